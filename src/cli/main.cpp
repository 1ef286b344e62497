// ukstack: parse the command line, capture (a process or a core) or load a saved
// snapshot, render, leave with DESIGN.md's status.
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "analysis/deadlocks.h"
#include "analysis/groups.h"
#include "analysis/progress.h"
#include "analysis/python_frames.h"
#include "capture/bpf_engine.h"
#include "capture/core/core_capture.h"
#include "capture/resymbolize.h"
#include "capture/sampling.h"
#include "capture/session.h"
#include "capture/signal_guard.h"
#include "cli/cli.h"
#include "model/snapshot_file.h"
#include "render/escape.h"
#include "render/folded.h"
#include "render/json.h"
#include "render/pprof.h"
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

// One live process: a capture, or --samples captures marked stuck, waking or moving.
ukstack::Result<ukstack::Snapshot> capture_process(int pid, const ukstack::CliOptions& options,
                                                   ukstack::BpfSource* bpf) {
  using namespace ukstack;
  if (!options.sampling) return capture_live(pid, options.capture, bpf);
  auto samples = capture_samples(pid, options.capture, *options.sampling, bpf);
  if (!samples) return samples.error();
  return mark_progress(std::move(*samples), static_cast<int>(options.sampling->interval.count()));
}

// -v: which engine captured the process, and why not BPF when it did not.
void say_engine(int pid, const ukstack::Snapshot& snapshot,
                std::optional<ukstack::LazyBpfEngine>& bpf) {
  using namespace ukstack;
  std::cerr << "ukstack: process " << pid << ": engine " << snapshot.engine;
  if (snapshot.engine == "bpf") {
    // Measured, not assumed: records the kernel made again because their output
    // did not fit the iterator's buffer (so far in the run).
    std::cerr << " (records made again after an overflow: " << bpf->reruns() << ")";
  } else {
    if (!bpf) {
      std::cerr << " (--engine procfs)";
    } else if (!bpf->tried()) {
      std::cerr << " (every thread read whole from /proc without a stop: BPF not needed)";
    } else if (const Error* why = bpf->load_error()) {
      std::cerr << " (BPF not used: " << escape_for_terminal(why->message) << ")";
    } else {
      std::cerr << " (BPF not used for this process: its stop mode stops threads, or the caller "
                   "may not trace it)";
    }
  }
  std::cerr << "\n";
}

// --resymbolize: the frames named from debug info here; -v says how many.
ukstack::Status resymbolize_snapshots(std::vector<ukstack::Snapshot>& snapshots,
                                      const ukstack::CliOptions& options) {
  auto counts = ukstack::resymbolize(snapshots, options.capture.unwind);
  if (!counts) return counts.error();
  if (options.verbose) {
    std::cerr << "ukstack: --resymbolize: " << counts->improved << " of " << counts->frames
              << " frames looked up by build-id gained a name or a source line\n";
  }
  return {};
}

// What is to be shown: each process asked for, captured one after another (an error
// for each that could not be), a core, or the snapshots a saved file holds.
std::vector<ukstack::Result<ukstack::Snapshot>> acquire(const ukstack::CliOptions& options) {
  using namespace ukstack;
  std::vector<Result<Snapshot>> results;
  switch (options.input) {
    case InputKind::Live: {
      // Process-wide, for as long as threads may be seized: a fatal or terminating
      // signal detaches them; SIGCHLD stays blocked so waits for a stop sleep in
      // sigtimedwait. The watchdog bounds each process's run (30 s and a margin)
      // and ends a read the target never lets return.
      FatalSignalGuard signal_guard;
      ChildSignalBlock child_signal_block;
      // The BPF engine loads once per run, for every process, when first needed.
      // Where it cannot (auto), the procfs engine captures.
      std::optional<LazyBpfEngine> bpf;
      if (options.capture.engine != Engine::Procfs) bpf.emplace(options.capture.stack_copy_bytes);
      for (int pid : options.pids) {
        Watchdog watchdog(options.capture.run_deadline + std::chrono::seconds(5));
        results.push_back(capture_process(pid, options, bpf ? &*bpf : nullptr));
        if (options.verbose && results.back()) say_engine(pid, *results.back(), bpf);
      }
      break;
    }
    case InputKind::Core:
      results.push_back(capture_core(options.core_file, options.exe_file, options.capture));
      break;
    case InputKind::Snapshot:
      if (auto loaded = load_snapshots_file(options.snapshot_file); !loaded) {
        results.push_back(loaded.error());
      } else if (auto named =
                     options.resymbolize ? resymbolize_snapshots(*loaded, options) : Status{};
                 !named) {
        results.push_back(named.error());
      } else {
        for (Snapshot& snapshot : *loaded) results.emplace_back(std::move(snapshot));
      }
      break;
  }
  return results;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ukstack;
  ParsedCommandLine parsed = parse_command_line(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  const CliOptions& options = *parsed.options;
  // Checked before any capture: a profile's gzipped bytes would only garble a terminal.
  if (options.format == OutputFormat::Pprof && isatty(STDOUT_FILENO) == 1) {
    std::cerr << "ukstack: --format pprof writes binary data: redirect it to a file "
                 "(ukstack --format pprof PID > profile.pb.gz)\n";
    return kExitUsage;
  }

  // DESIGN.md's status over every process: the worst of those captured; 2 when
  // none was; a process that could not be captured beside others that were makes
  // the run partial (its one line is on stderr).
  std::vector<Snapshot> snapshots;
  int status = kExitComplete;
  for (Result<Snapshot>& result : acquire(options)) {
    if (!result) {
      std::cerr << "ukstack: " << escape_for_terminal(result.error().message) << "\n";
      status = kExitPartial;
      continue;
    }
    status = std::max(status, exit_status(result));
    snapshots.push_back(std::move(*result));
  }
  if (snapshots.empty()) return kExitNothing;

  // Groups are in the JSON (stdout and -o) as well as in the text; --no-group
  // leaves them out of both, even those a loaded snapshot had. Deadlocks are found
  // over every process at once: their waits join one graph.
  for (Snapshot& snapshot : snapshots) {
    if (options.grouping == Grouping::Never) {
      snapshot.groups.clear();
      snapshot.goroutine_groups.clear();
    } else {
      snapshot.groups = group_threads(snapshot);
      snapshot.goroutine_groups = group_goroutines(snapshot);
    }
  }
  fill_deadlocks(snapshots);
  // --no-native changes what is shown; -o keeps every frame.
  std::vector<Snapshot> python_only;
  if (!options.native_frames) {
    python_only = snapshots;
    for (Snapshot& snapshot : python_only) hide_native_frames(snapshot);
  }
  const std::vector<Snapshot>& shown = options.native_frames ? snapshots : python_only;
  switch (options.format) {
    case OutputFormat::Json:
      write_json(shown, std::cout);
      break;
    case OutputFormat::Folded:
      std::cout << render_folded(shown);
      break;
    case OutputFormat::Pprof:
      if (!write_pprof(shown, std::cout)) {
        std::cerr << "ukstack: cannot write the pprof profile to standard output\n";
        status = kExitNothing;  // -o below still keeps the snapshot
      }
      break;
    case OutputFormat::Text: {
      const auto [layout, width] = text_layout(options.layout, terminal());
      write_text(shown,
                 TextOptions{.color = use_color(options.color),
                             .grouping = options.grouping,
                             .layout = layout,
                             .width = width,
                             .all_goroutines = options.all_goroutines},
                 std::cout);
      break;
    }
  }
  std::cout.flush();

  if (!options.output_file.empty()) {
    std::ofstream out(options.output_file, std::ios::trunc);
    write_json(snapshots, out);
    out.close();
    if (!out) {
      std::cerr << "ukstack: cannot write the snapshot to "
                << escape_for_terminal(options.output_file) << "\n";
      return kExitNothing;
    }
  }
  return status;
}
