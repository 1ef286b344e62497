// ukstack: parse the command line, capture (a process or a core) or load a saved
// snapshot, render, leave with DESIGN.md's status.
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "analysis/groups.h"
#include "analysis/progress.h"
#include "capture/core_capture.h"
#include "capture/sampling.h"
#include "capture/session.h"
#include "capture/signal_guard.h"
#include "cli/cli.h"
#include "model/snapshot_file.h"
#include "render/escape.h"
#include "render/json.h"
#include "render/text.h"

namespace {

bool use_color(ukstack::ColorChoice choice) {
  if (choice == ukstack::ColorChoice::Never) return false;
  if (std::getenv("NO_COLOR") != nullptr && *std::getenv("NO_COLOR") != '\0') return false;
  if (choice == ukstack::ColorChoice::Always) return true;
  return isatty(STDOUT_FILENO) == 1;
}

// Standard output's terminal and its width; off a terminal, $COLUMNS as the width
// when it is set (for --layout columns into a file or a pager).
ukstack::Terminal terminal() {
  ukstack::Terminal out;
  winsize size{};
  if (isatty(STDOUT_FILENO) == 1) {
    out.is_tty = true;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0) out.width = size.ws_col;
  } else if (const char* columns = std::getenv("COLUMNS")) {
    out.width = static_cast<std::size_t>(std::strtoul(columns, nullptr, 10));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ukstack;
  ParsedCommandLine parsed = parse_command_line(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  const CliOptions& options = *parsed.options;

  Result<Snapshot> snapshot = Error{};
  switch (options.input) {
    case InputKind::Live: {
      // Process-wide, for as long as threads may be seized: a fatal or terminating
      // signal detaches them; the watchdog ends a read the target never lets
      // return; SIGCHLD stays blocked so waits for a stop sleep in sigtimedwait.
      FatalSignalGuard signal_guard;
      Watchdog watchdog(options.capture.run_deadline + std::chrono::seconds(5));
      ChildSignalBlock child_signal_block;
      if (options.sampling) {
        auto samples = capture_samples(options.pid, options.capture, *options.sampling);
        if (samples) {
          snapshot = mark_progress(std::move(*samples),
                                   static_cast<int>(options.sampling->interval.count()));
        } else {
          snapshot = samples.error();
        }
      } else {
        snapshot = capture_live(options.pid, options.capture);
      }
      break;
    }
    case InputKind::Core:
      snapshot = capture_core(options.core_file, options.exe_file, options.capture);
      break;
    case InputKind::Snapshot:
      snapshot = load_snapshot_file(options.snapshot_file);
      break;
  }
  if (!snapshot) {
    std::cerr << "ukstack: " << escape_for_terminal(snapshot.error().message) << "\n";
    return exit_status(snapshot);
  }

  if (options.format == OutputFormat::Json) {
    write_json(*snapshot, std::cout);
  } else {
    if (options.grouping != Grouping::Never) snapshot->groups = group_threads(*snapshot);
    const auto [layout, width] = text_layout(options.layout, terminal());
    write_text(*snapshot,
               TextOptions{.color = use_color(options.color),
                           .grouping = options.grouping,
                           .layout = layout,
                           .width = width},
               std::cout);
  }
  std::cout.flush();

  if (!options.output_file.empty()) {
    std::ofstream out(options.output_file, std::ios::trunc);
    write_json(*snapshot, out);
    out.close();
    if (!out) {
      std::cerr << "ukstack: cannot write the snapshot to "
                << escape_for_terminal(options.output_file) << "\n";
      return kExitNothing;
    }
  }
  return exit_status(snapshot);
}
