#include "cli/cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string_view>
#include <utility>
#include <vector>

#include "analysis/completeness.h"
#include "cli/targets.h"
#include "cli/version_text.h"
#include "procfs/source.h"

namespace ukstack {

namespace {

constexpr const char* kExamples = R"(Examples:
  ukstack 4242                     every thread of process 4242: kernel and user stacks
  ukstack --tid 4250 4242          only thread 4250
  ukstack --format json 4242       the snapshot as JSON (schema ukstack.snapshot/2)
  ukstack -o hang.json 4242        print the text and keep the snapshot for later
  ukstack --stop none 4242         never stop a thread (kernel halves, no-stop user halves)
  ukstack --stop all 4242          stop every thread at once for one consistent moment
  ukstack --core core.4242 --exe /usr/bin/x
                                   postmortem: the user stack of every thread in a core file
  coredumpctl dump 4242 | ukstack --core - --sysroot /srv/crashed-root
                                   a core from standard input (zstd, lz4, xz or plain), with
                                   the crashed machine's files under /srv/crashed-root
  ukstack --input hang.json        show a saved snapshot again (any --format)
  ukstack --input hang.json --resymbolize --debug-dir /srv/debug
                                   name its frames from debug info on this machine
  ukstack --samples 5 4242         five captures 100 ms apart: each thread stuck, waking
                                   (same place, but it runs in between) or moving
  ukstack --format folded 4242 > x.folded      for a flame graph (npx speedscope x.folded)
  ukstack --format pprof 4242 > x.pb.gz        for go tool pprof -top x.pb.gz

A core has user stacks only: no kernel stacks, no system-call state. With --core,
--tid selects threads; --stop, --timeout and --unwinder libunwind are usage errors
(a core is read with libdw, and nothing is stopped). With --input, only --format,
--color and -o apply, and with --resymbolize also --debug-dir, --debuginfod-timeout
and --no-inlines.

Exit status: 0 all stacks captured; 1 some half of some thread missing or cut short;
2 nothing captured (no such process, not permitted, already traced, not a core
file, unreadable snapshot); 64 bad usage.
Needs root or CAP_SYS_PTRACE to stop threads, and CAP_SYS_ADMIN to read kernel stacks.)";

// The options whose values are a closed set: the words a user types, in the order
// --help lists them, and what each stands for. CLI11's check and the conversion
// after parsing read the same table.
template <class Value>
using Choices = std::vector<std::pair<std::string, Value>>;

const Choices<StopMode> kStopModes{{"auto", StopMode::Auto},
                                   {"each", StopMode::Each},
                                   {"all", StopMode::All},
                                   {"none", StopMode::None}};
const Choices<Engine> kEngines{
    {"auto", Engine::Auto}, {"bpf", Engine::Bpf}, {"procfs", Engine::Procfs}};
const Choices<unwind::Backend> kBackends{{"libdw", unwind::Backend::Libdw},
                                         {"libunwind", unwind::Backend::Libunwind}};
const Choices<OutputFormat> kFormats{{"text", OutputFormat::Text},
                                     {"json", OutputFormat::Json},
                                     {"folded", OutputFormat::Folded},
                                     {"pprof", OutputFormat::Pprof}};
const Choices<ColorChoice> kColors{
    {"auto", ColorChoice::Auto}, {"always", ColorChoice::Always}, {"never", ColorChoice::Never}};
const Choices<LayoutChoice> kLayouts{
    {"auto", LayoutChoice::Auto}, {"rows", LayoutChoice::Rows}, {"columns", LayoutChoice::Columns}};

template <class Value>
CLI::IsMember one_of(const Choices<Value>& choices) {
  std::vector<std::string> words;
  for (const auto& [word, value] : choices) words.push_back(word);
  return CLI::IsMember(words);
}

// Only for a word one_of has let through.
template <class Value>
Value chosen(const Choices<Value>& choices, const std::string& word) {
  return std::ranges::find(choices, word, &std::pair<std::string, Value>::first)->second;
}

}  // namespace

ParsedCommandLine parse_command_line(int argc, char** argv) {
  CliOptions options;
  CLI::App app{
      "ukstack: kernel and user stacks of every thread of a live process, joined at "
      "the system call each is blocked in; the user stacks of every thread of a core file.",
      "ukstack"};
  app.footer(kExamples);
  app.set_version_flag("--version", version_text());
  // Words, not numbers: a name is looked up (targets.h), and a word that is neither
  // gets a sentence rather than CLI11's range message.
  std::vector<std::string> target_words;
  app.add_option("PID", target_words,
                 "process to capture, by PID or by name (when exactly one process has it); "
                 "several processes are captured one after another and their waits for each "
                 "other joined in one wait graph")
      ->type_name("PID|NAME");
  std::vector<std::string> p_words;
  app.add_option("-p,--pid", p_words, "process to capture, as eu-stack -p takes it (repeatable)")
      ->type_name("PID")
      ->allow_extra_args(false);
  app.add_option("--core", options.core_file,
                 "read the user stacks from this core file instead of a process; it may be "
                 "compressed (zstd, lz4, xz: as systemd-coredump stores it), - reads it from "
                 "standard input");
  CLI::Option* exe = app.add_option("--exe", options.exe_file,
                                    "with --core: the executable the core was dumped from");
  CLI::Option* sysroot =
      app.add_option("--sysroot", options.capture.unwind.sysroot,
                     "with --core: the directory holding the crashed machine's files (its "
                     "/usr/lib/x/libfoo.so is DIR/usr/lib/x/libfoo.so, used only with the "
                     "core's build-id; debug info under DIR/usr/lib/debug too)")
          ->check(CLI::ExistingDirectory);
  app.add_option("--input", options.snapshot_file,
                 "render this saved JSON snapshot (-o, --format json)");
  app.add_flag("--resymbolize", options.resymbolize,
               "with --input: name the frames from debug info on this machine, found by each "
               "module's build-id (--debug-dir, /usr/lib/debug, the module's path, debuginfod)");
  std::string stop_mode = "auto";
  app.add_option("--stop", stop_mode,
                 "auto: unwind blocked threads without stopping them where that is complete and "
                 "verified, stop the rest; each: stop one thread at a time; all: stop every thread "
                 "first (one consistent moment); none: never stop anything")
      ->check(one_of(kStopModes))
      ->capture_default_str();
  std::string engine = "auto";
  app.add_option("--engine", engine,
                 "how blocked threads are read without stopping them: bpf (exact, needs root or "
                 "CAP_BPF and CAP_PERFMON, Linux 5.18), procfs (/proc: a thread whose unwind "
                 "needs more registers than /proc shows is stopped), auto (bpf where it works)")
      ->check(one_of(kEngines))
      ->capture_default_str();
  app.add_flag("-v,--verbose", options.verbose, "say on stderr which engine ran, and why");
  std::string backend = "libdw";
  app.add_option("--unwinder", backend, "user-stack backend")
      ->check(one_of(kBackends))
      ->capture_default_str();
  // Two flags, not CLI11's "--inlines,!--no-inlines", so --help shows each with its meaning.
  bool inlines = false, no_inlines = false;
  app.add_flag("--inlines", inlines, "show inlined calls as frames of their own (the default)");
  app.add_flag("--no-inlines", no_inlines, "show an inlined call only as its caller's frame");
  bool native = false, no_native = false;
  app.add_flag("--native", native,
               "Python programs: show native frames between the Python frames (the default)");
  app.add_flag("--no-native", no_native,
               "Python programs: show Python frames and the C functions they call, not the "
               "interpreter's own frames; -o keeps every frame");
  std::string format = "text";
  app.add_option("--format", format,
                 "output format: text, json, folded (folded stacks for flamegraph.pl, inferno, "
                 "speedscope), pprof (gzipped profile.proto for go tool pprof, Pyroscope, Parca: "
                 "binary, so to a file or a pipe)")
      ->check(one_of(kFormats))
      ->capture_default_str();
  app.add_option("--tid", options.capture.tids, "only this thread (repeatable)")
      ->check(CLI::PositiveNumber)
      ->take_all()
      ->allow_extra_args(false);
  long timeout_ms = options.capture.timeout.count();
  app.add_option("--timeout", timeout_ms, "per-thread stop deadline in milliseconds")
      ->check(CLI::Range(1L, 60'000L))
      ->capture_default_str();
  int samples = 0;
  app.add_option("--samples", samples,
                 "capture this many times and mark each thread stuck (same stack, never ran), "
                 "waking (same stack, ran in between) or moving; shows the last capture")
      ->check(CLI::Range(kMinSamples, kMaxSamples));
  long interval_ms = Sampling{}.interval.count();
  app.add_option("--interval", interval_ms,
                 "with --samples: milliseconds from one capture's start to the next's")
      ->check(CLI::Range(kMinSampleInterval.count(), kMaxSampleInterval.count()))
      ->capture_default_str();
  app.add_option("-o,--output", options.output_file, "also write the snapshot (JSON) to this file");
  // One directory per --debug-dir: the PID is no longer a required positional, so
  // CLI11 would otherwise take a PID after it as another directory.
  app.add_option("--debug-dir", options.capture.unwind.debug_dirs,
                 "another directory to search for separate debug info (repeatable)")
      ->allow_extra_args(false);
  long debuginfod_ms = options.capture.unwind.debuginfod_budget.count();
  app.add_option("--debuginfod-timeout", debuginfod_ms,
                 "total time allowed for debuginfod downloads (DEBUGINFOD_URLS), in milliseconds "
                 "(0: none); they only ever happen after every thread has been let go")
      ->check(CLI::Range(0L, 600'000L))
      ->capture_default_str();
  std::string layout = "auto";
  app.add_option("--layout", layout,
                 "text: rows (kernel half above the user half), columns (side by side), or auto "
                 "(columns on a terminal at least 140 columns wide)")
      ->check(one_of(kLayouts))
      ->capture_default_str();
  bool group = false, no_group = false;
  app.add_flag("--group", group,
               "text: show threads with the same stacks once, as a group with their count and "
               "tids (default: when the process has more than 16 threads); JSON lists the "
               "groups unless --no-group");
  app.add_flag("--no-group", no_group, "one block per thread, and no groups in JSON");
  app.add_flag("--all-goroutines", options.all_goroutines,
               "text: show the Go runtime's own goroutines too (every frame in runtime.: the "
               "garbage collector's workers, the finalizer); JSON always lists every goroutine");
  std::string color = "auto";
  app.add_option("--color", color, "colour in text output (never with NO_COLOR)")
      ->check(one_of(kColors))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return {std::nullopt, kExitComplete};
  } catch (const CLI::CallForVersion&) {
    std::cout << app.version() << "\n";
    return {std::nullopt, kExitComplete};
  } catch (const CLI::ParseError& error) {
    std::cerr << "ukstack: " << error.what() << " (see ukstack --help)\n";
    return {std::nullopt, kExitUsage};
  }
  auto usage_error = [](const std::string& message) {
    std::cerr << "ukstack: " << message << " (see ukstack --help)\n";
    return ParsedCommandLine{std::nullopt, kExitUsage};
  };
  const bool live = app.count("PID") + app.count("-p") > 0;
  const int sources = static_cast<int>((live ? 1 : 0) + app.count("--core") + app.count("--input"));
  if (sources != 1) return usage_error("give exactly one of PID, --core CORE or --input FILE.json");
  if (live) {
    const procfs::RealProcSource proc;
    p_words.insert(p_words.end(), target_words.begin(), target_words.end());
    for (const std::string& word : p_words) {
      ResolvedTarget target = resolve_target(word, proc, static_cast<int>(getpid()));
      if (target.pid == 0 && target.problem.find('\n') == std::string::npos)
        return usage_error(target.problem);
      if (target.pid == 0) {  // several processes have the name: the list is the help
        std::cerr << "ukstack: " << target.problem << "\n";
        return {std::nullopt, kExitUsage};
      }
      options.pids.push_back(target.pid);
    }
  }
  std::vector<int> sorted_pids = options.pids;  // the user's order is the output's
  std::ranges::sort(sorted_pids);
  if (auto twice = std::ranges::adjacent_find(sorted_pids); twice != sorted_pids.end())
    return usage_error("PID " + std::to_string(*twice) + " is given twice");
  if (options.pids.size() > 1 && app.count("--tid") > 0)
    return usage_error("--tid goes with one PID: a thread belongs to one process");
  if (exe->count() > 0 && app.count("--core") == 0) return usage_error("--exe goes with --core");
  if (sysroot->count() > 0 && app.count("--core") == 0)
    return usage_error("--sysroot goes with --core");
  // A core is binary: a terminal cannot give one (and would wait for it forever).
  if (app.count("--core") > 0 && options.core_file == "-" && isatty(STDIN_FILENO) == 1)
    return usage_error("--core - reads the core from standard input, which is a terminal");
  if (app.count("--core") > 0) {
    options.input = InputKind::Core;
    for (const char* option : {"--stop", "--timeout", "--samples", "--interval"}) {
      if (app.count(option) > 0)
        return usage_error(std::string(option) + " means nothing for a core file");
    }
    if (chosen(kBackends, backend) == unwind::Backend::Libunwind)
      return usage_error("core files are read with libdw: drop --unwinder libunwind");
  }
  if (options.resymbolize && app.count("--input") == 0)
    return usage_error("--resymbolize goes with --input FILE.json");
  if (app.count("--input") > 0) {
    options.input = InputKind::Snapshot;
    for (const char* option :
         {"--stop", "--timeout", "--tid", "--unwinder", "--inlines", "--no-inlines", "--debug-dir",
          "--debuginfod-timeout", "--samples", "--interval"}) {
      const bool names_frames = std::string_view(option) == "--inlines" ||
                                std::string_view(option) == "--no-inlines" ||
                                std::string_view(option) == "--debug-dir" ||
                                std::string_view(option) == "--debuginfod-timeout";
      if (options.resymbolize && names_frames) continue;  // they shape the lookup
      if (app.count(option) > 0) {
        return usage_error(std::string(option) +
                           " changes a capture, not how a saved snapshot is shown");
      }
    }
  }
  if (app.count("--interval") > 0 && app.count("--samples") == 0)
    return usage_error("--interval goes with --samples");
  if (app.count("--samples") > 0) {
    options.sampling = Sampling{samples, std::chrono::milliseconds(interval_ms)};
    // The samples share one run's bound (DESIGN.md: a run is bounded).
    const auto span = (samples - 1) * options.sampling->interval;
    if (span >= options.capture.run_deadline) {
      return usage_error("--samples " + std::to_string(samples) + " --interval " +
                         std::to_string(interval_ms) + " would take " +
                         std::to_string(span.count() / 1000) + " s, more than a run's " +
                         std::to_string(options.capture.run_deadline.count() / 1000) + " s bound");
    }
  }
  // libdw takes a relative debug directory as one beside each module's file.
  for (std::string& dir : options.capture.unwind.debug_dirs) {
    std::error_code ignored;
    if (auto absolute = std::filesystem::absolute(dir, ignored); !ignored) dir = absolute.string();
  }
  options.capture.timeout = std::chrono::milliseconds(timeout_ms);
  options.capture.unwind.debuginfod_budget = std::chrono::milliseconds(debuginfod_ms);
  options.capture.stop = chosen(kStopModes, stop_mode);
  options.capture.engine = chosen(kEngines, engine);
  options.capture.unwind.backend = chosen(kBackends, backend);
  options.format = chosen(kFormats, format);
  options.color = chosen(kColors, color);
  options.layout = chosen(kLayouts, layout);
  // Not CLI11's excludes(): --help would print "Excludes: ..." beside each.
  if (inlines && no_inlines) return usage_error("--inlines and --no-inlines contradict each other");
  if (group && no_group) return usage_error("--group and --no-group contradict each other");
  if (native && no_native) return usage_error("--native and --no-native contradict each other");
  options.native_frames = !no_native;
  options.capture.unwind.inlines = !no_inlines;
  if (group) options.grouping = Grouping::Always;
  if (no_group) options.grouping = Grouping::Never;
  return {std::move(options), kExitComplete};
}

std::pair<Layout, std::size_t> text_layout(LayoutChoice choice, const Terminal& terminal) {
  switch (choice) {
    case LayoutChoice::Rows:
      return {Layout::Rows, terminal.width};
    case LayoutChoice::Columns:
      return {Layout::Columns, terminal.width > 0 ? terminal.width : kDefaultColumnsWidth};
    case LayoutChoice::Auto:
      break;
  }
  if (terminal.is_tty && terminal.width >= kAutoColumnsWidth) {
    return {Layout::Columns, terminal.width};
  }
  return {Layout::Rows, terminal.width};
}

int exit_status(const Result<Snapshot>& snapshot) {
  if (!snapshot) return kExitNothing;
  return snapshot_complete(*snapshot) ? kExitComplete : kExitPartial;
}

}  // namespace ukstack
