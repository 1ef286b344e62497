// Perf map files (/tmp/perf-<pid>.map): the names a JIT gives the code it makes,
// written by the program itself for perf (linux tools/perf/Documentation/
// jit-interface.txt): one "START SIZE NAME" line per piece of code, START and SIZE
// in hex (without "0x" as V8, the JVM and CPython write them; "0x" is accepted too),
// NAME the rest of the line, spaces included. The file only grows: code that moved
// or was freed keeps its line, and a later line over the same addresses wins (as
// perf reads it; V8 re-uses the addresses of code it moved).
//
// Bounded: past `max_bytes` of text or `max_entries` lines the map gives up (every
// entry dropped: a stale early name must not stand for code the unread part
// re-used); malformed lines are skipped and counted. problems() says both in one
// line. Never throws on any input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ukstack::procfs {

struct PerfMapLimits {
  std::uint64_t max_bytes = std::uint64_t{64} << 20;  // 64 MiB
  std::size_t max_entries = 1'000'000;
};

// The entry that names an address: its name and first address (the address's
// offset in it is address - start).
struct PerfMapSymbol {
  std::string_view name;  // valid until the next add()
  std::uint64_t start = 0;
};

class PerfMap {
 public:
  explicit PerfMap(PerfMapLimits limits = {}) : limits_(limits) {}

  // Parses the complete lines of `text`: the file's bytes from where the previous
  // add() stopped. Returns how many bytes it used: a last line without its '\n' is
  // still being written and is left for the next add().
  std::size_t add(std::string_view text);

  std::optional<PerfMapSymbol> lookup(std::uint64_t address) const;

  std::size_t entries() const { return entries_; }  // lines used
  std::size_t malformed() const { return malformed_; }
  bool gave_up() const { return gave_up_; }
  // What was skipped or dropped, in one line ("2 malformed lines skipped (line 7:
  // 'x')"); "" when nothing was.
  std::string problems() const;

 private:
  // A piece of one entry that no later entry covers.
  struct Segment {
    std::uint64_t end = 0;          // exclusive
    std::uint64_t entry_start = 0;  // the entry's own start (a piece may begin later)
    std::size_t name_offset = 0;    // the name, in names_
    std::uint32_t name_size = 0;
  };
  void insert(std::uint64_t start, std::uint64_t end, std::string_view name);
  void give_up();

  PerfMapLimits limits_;
  std::map<std::uint64_t, Segment> segments_;  // disjoint, by start
  // Every name, one after the other: a million names in one allocation, not in a
  // million strings.
  std::string names_;
  std::uint64_t bytes_ = 0;
  std::size_t lines_ = 0;
  std::size_t entries_ = 0;
  std::size_t malformed_ = 0;
  std::string first_malformed_;  // "line 7: 'x'"
  bool gave_up_ = false;
};

}  // namespace ukstack::procfs
