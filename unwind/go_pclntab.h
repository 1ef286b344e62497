// Go's own function table, .gopclntab: what names Go's functions when a binary has no
// symbol table and no DWARF (`go build -ldflags='-s -w'`). The runtime needs it for
// its own tracebacks, so every Go binary keeps it; libdw, delve and addr2line do not
// read it. Its layout (Go's src/debug/gosym/pclntab.go and runtime/symtab.go):
//
//   header    magic (its byte order is the binary's), pc quantum, pointer size, then
//             per version the function count, file count, textStart and region offsets
//   functab   (entry, record offset) per function, sorted by entry, plus the end of
//             the last function: the binary search runs on it
//   _func     one record per function: name offset, pcfile and pcln table offsets, ...
//   pctab     pc-value tables: varint pairs (zig-zag value delta, pc delta / quantum)
//
// Every offset in the table is checked against the section: a truncated or corrupted
// table gives no answer for the pcs it damages, never a read outside the bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ukstack::unwind {

// The table formats, by the Go release that introduced each (and its magic).
enum class GoPclntabVersion {
  Go12,   // 0xfffffffb: Go 1.2-1.15, pcs absolute, one region for everything
  Go116,  // 0xfffffffa: Go 1.16-1.17, separate name, CU, file, pc-value regions
  Go118,  // 0xfffffff0: Go 1.18-1.19, pcs 32-bit offsets from textStart
  Go120,  // 0xfffffff1: Go 1.20 and later, the same layout as Go118
};

// The sections Go's linker puts the table in: its own, or in a PIE's relro data.
inline constexpr std::array<std::string_view, 2> kGoPclntabSections = {".gopclntab",
                                                                       ".data.rel.ro.gopclntab"};

struct GoFunction {
  std::string_view name;    // as Go prints it: "net.(*TCPListener).Accept"; in the table
  std::uint64_t entry = 0;  // link-time address of its first instruction
  std::uint64_t end = 0;    // the next function's entry
  std::size_t record = 0;   // where its _func record starts in the table
};

struct GoSourceLine {
  std::string_view file;  // as the compiler saw it: "/usr/lib/go-1.19/src/net/fd_unix.go"
  int line = 0;
};

class GoPclntab {
 public:
  // The table in `bytes` (a .gopclntab section; borrowed, must outlive this), or none
  // when the header is not one of a known version or its regions lie outside the
  // bytes. `text_address`: the link-time address of .text, the base of a Go 1.18+
  // table whose header has no textStart of its own (left unrelocated in the file).
  static std::optional<GoPclntab> parse(std::span<const std::uint8_t> bytes,
                                        std::uint64_t text_address);

  GoPclntabVersion version() const { return version_; }
  std::size_t function_count() const { return function_count_; }

  // The index-th function of the table, or none when its entries are damaged.
  std::optional<GoFunction> function(std::size_t index) const;
  // The function whose code holds the link-time address `pc`.
  std::optional<GoFunction> function_at(std::uint64_t pc) const;
  // File and line of `pc` in `function`. None in code inlined from another function:
  // the table's line is then the callee's, and the call site's is known only to the
  // inline tree, which since Go 1.18 lies outside this section (runtime.moduledata).
  std::optional<GoSourceLine> source_line(const GoFunction& function, std::uint64_t pc) const;
  // Whether `pc` is in code inlined into `function`; also when the table is damaged
  // where it would tell.
  bool in_inlined_code(const GoFunction& function, std::uint64_t pc) const;

 private:
  GoPclntab() = default;

  // Bounds-checked access to the table: `base + delta` when inside it.
  std::optional<std::size_t> offset(std::size_t base, std::uint64_t delta) const;
  std::optional<std::uint64_t> word(std::size_t position, std::size_t size) const;
  std::optional<std::string_view> string_at(std::size_t position) const;

  std::size_t functab_field_size() const;
  std::optional<std::uint64_t> functab_entry(std::size_t index) const;
  // The n-th 32-bit field of a _func record after its entry (1: name, 5: pcfile, ...).
  std::optional<std::uint32_t> record_field(std::size_t record, std::size_t n) const;
  // The value a pc-value table gives `pc` in the function starting at `entry`.
  std::optional<std::int32_t> pc_value(std::uint32_t table, std::uint64_t entry,
                                       std::uint64_t pc) const;
  std::optional<std::string_view> file_name(std::size_t record, std::int32_t file_index) const;

  std::span<const std::uint8_t> bytes_;
  GoPclntabVersion version_ = GoPclntabVersion::Go12;
  bool big_endian_ = false;
  std::uint8_t quantum_ = 1;  // instruction size unit of the pc deltas
  std::uint8_t pointer_size_ = 8;
  std::uint64_t text_start_ = 0;  // Go 1.18+: what functab and _func entries are relative to
  std::size_t function_count_ = 0;
  std::size_t file_count_ = 0;  // Go 1.2: entries of the file table
  // Where the regions start in the table (all 0 but functab and files for Go 1.2).
  std::size_t names_ = 0;
  std::size_t cus_ = 0;
  std::size_t files_ = 0;
  std::size_t pc_tables_ = 0;
  std::size_t records_ = 0;  // _func record offsets are relative to this
  std::size_t functab_ = 0;
};

// A name from the table as the linker writes it into the ELF symbol table, and so as
// an unstripped build shows it: "·" (U+00B7, in closures' and generated functions'
// names: "type..eq.net.dialResult·1") becomes ".". What the table elides of a generic
// instantiation's type arguments ("[...]", as Go's tracebacks print it) stays elided.
std::string go_elf_symbol_name(std::string_view table_name);

}  // namespace ukstack::unwind
