// The command line (CLI11): what the user asked for, or the exit status to leave with.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "capture/options.h"
#include "capture/sampling.h"
#include "model/snapshot.h"
#include "render/text.h"

namespace ukstack {

inline constexpr int kExitComplete = 0;  // every thread's both halves captured
inline constexpr int kExitPartial = 1;   // captured, but some half missing or cut short
inline constexpr int kExitNothing = 2;   // nothing could be captured
inline constexpr int kExitUsage = 64;    // bad usage (EX_USAGE)

// What is to be shown: a live process, a core file, or a saved snapshot.
enum class InputKind { Live, Core, Snapshot };

enum class OutputFormat { Text, Json, Folded, Pprof };
enum class LayoutChoice { Auto, Rows, Columns };
enum class ColorChoice { Auto, Always, Never };

struct CliOptions {
  InputKind input = InputKind::Live;
  std::vector<int> pids;      // Live: one or more processes, one wait graph
  std::string core_file;      // Core: --core
  std::string exe_file;       // Core: --exe (may be empty)
  std::string snapshot_file;  // Snapshot: --input
  bool resymbolize = false;   // Snapshot: --resymbolize (with --debug-dir, debuginfod)
  OutputFormat format = OutputFormat::Text;
  ColorChoice color = ColorChoice::Auto;
  Grouping grouping = Grouping::Auto;
  bool all_goroutines = false;  // --all-goroutines  // --group / --no-group (JSON: groups or none)
  LayoutChoice layout = LayoutChoice::Auto;
  bool native_frames = true;  // --native / --no-native: Python programs' native frames shown
  std::string output_file;    // -o: the snapshot as JSON, besides what is printed
  bool verbose = false;       // -v: which engine ran, and why
  CaptureOptions capture;
  std::optional<Sampling> sampling;  // Live: --samples N --interval MS
};

struct ParsedCommandLine {
  std::optional<CliOptions> options;  // empty: exit with exit_code (help, version, usage error)
  int exit_code = kExitComplete;
};

// Where the text goes: a terminal (and how wide), or not.
struct Terminal {
  bool is_tty = false;
  std::size_t width = 0;  // 0: unknown
};
inline constexpr std::size_t kAutoColumnsWidth = 140;     // auto: columns from this width on
inline constexpr std::size_t kDefaultColumnsWidth = 160;  // --layout columns, width unknown

// The layout and width text is rendered with: auto gives columns on a terminal at
// least kAutoColumnsWidth wide, rows otherwise; columns off a terminal (a file, a
// pipe) use $COLUMNS when the caller passes it as the width, else the default.
std::pair<Layout, std::size_t> text_layout(LayoutChoice choice, const Terminal& terminal);

// DESIGN.md's exit status for what a capture gave: 2 when nothing was captured, 0
// when every half of every thread was, 1 when some half is missing or cut short.
int exit_status(const Result<Snapshot>& snapshot);

// Prints help, version and usage errors itself (errors as one line on stderr).
ParsedCommandLine parse_command_line(int argc, char** argv);

}  // namespace ukstack
