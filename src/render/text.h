// The text view of a snapshot: one block per thread, kernel frames above the
// system call that joins them to the user frames (DESIGN.md, "Text output").
// Every string that came from the target is shown through escape_for_terminal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "model/snapshot.h"

namespace ukstack {

// Whether threads with the same combined stack (Snapshot::groups) are shown once.
enum class Grouping {
  Auto,    // when the process has more than kGroupAbove threads
  Always,  // --group
  Never,   // --no-group
};
inline constexpr std::size_t kGroupAbove = 16;

// Rows: the kernel half above the user half. Columns: side by side under the
// system call that joins them, the kernel column as wide as its longest line (at
// most half the width), the user column the rest; text too long for its column is
// shortened in the middle with an ellipsis, never cut silently.
enum class Layout { Rows, Columns };
inline constexpr std::size_t kMinColumnsWidth = 60;  // narrower: rows

struct TextOptions {
  bool color = false;  // ANSI: bold thread headers, dim boundary lines
  Grouping grouping = Grouping::Auto;
  Layout layout = Layout::Rows;
  // The terminal's width, 0 when not a terminal: the columns' width, and the
  // summary's lines are shortened to it (when at least kMinColumnsWidth).
  std::size_t width = 0;
  bool all_goroutines = false;  // the Go runtime's own goroutines too (--all-goroutines)
};

// `text` in at most `width` characters (code points): when longer, its head and
// tail around "…".
std::string shorten_middle(std::string_view text, std::size_t width);

// "101-140,150,152-153": ascending tids, runs of consecutive ones as ranges.
std::string tid_ranges(const std::vector<int>& tids);
// The same for goroutine ids.
std::string id_ranges(const std::vector<std::uint64_t>& ids);
// `ranges` (as above) cut after its first `shown` runs, with ",…" when it had more.
std::string first_runs(const std::string& ranges, std::size_t shown);

// One process: its header, the summary (render/text_summary.h), then a block per
// thread or group.
std::string render_text(const Snapshot& snapshot, const TextOptions& options);
// The same text, written to `out` a thread at a time (memory stays flat).
void write_text(const Snapshot& snapshot, const TextOptions& options, std::ostream& out);

// Several processes captured together (`ukstack PID PID...`), one wait graph: one
// summary over all of them, then each process, its header and its threads.
std::string render_text(std::span<const Snapshot> snapshots, const TextOptions& options);
void write_text(std::span<const Snapshot> snapshots, const TextOptions& options, std::ostream& out);

}  // namespace ukstack
