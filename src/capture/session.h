// A capture session: opened once per live process, then captures it as often as
// asked (samples, before/after comparisons). What is costly and does not change
// between captures is kept: the modules reported to libdw, the symbol and CFI
// caches, the debug-info search, the unwinder. Modules are reported again only
// when the process's file mappings changed (a dlopen, an exec).
//
// The session asks the kernel only through its seams: the ProcSource for /proc,
// the Tracer for ptrace, the unwinder factory for user stacks; so the stop policy
// runs against fakes in unit tests. Process-wide state (signal handlers, the
// watchdog, the SIGCHLD mask) is not the session's: main owns it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "capture/bpf_records.h"
#include "capture/goroutines.h"
#include "capture/options.h"
#include "capture/perf_map_file.h"
#include "capture/python_threads.h"
#include "capture/raw_thread.h"
#include "capture/trace_access.h"
#include "capture/tracer.h"
#include "model/snapshot.h"
#include "procfs/maps.h"
#include "procfs/process_reader.h"
#include "procfs/source.h"
#include "procfs/task_stat.h"
#include "unwind/unwinder.h"

namespace ukstack {

using UnwinderFactory = std::function<Result<std::unique_ptr<unwind::Unwinder>>(
    unwind::LiveProcess process, const unwind::UnwindOptions& options)>;

// What a session asks the kernel through. Borrowed: they outlive the session.
struct CaptureSeams {
  const procfs::ProcSource* proc = nullptr;
  Tracer* tracer = nullptr;
  UnwinderFactory open_unwinder = &unwind::open_unwinder;
  // The BPF engine, loaded once per run; null: procfs only (options.engine says
  // whether that is an error).
  BpfSource* bpf = nullptr;
  // Whether the caller may trace a process; checked before BPF reads it.
  std::function<Status(int pid)> may_trace = &ukstack::may_trace;
  // Files of the target's own file system (its perf map).
  TargetFileReader read_target_file = &ukstack::read_target_file;
};

// From how many threads auto reads a process through one BPF pass before anything
// else: the pass costs the engine's load (once per run) and then less per thread
// than /proc; below it, /proc first and BPF on demand.
inline constexpr std::size_t kBpfPassThreads = 64;

class CaptureSession {
 public:
  // An Error when the target cannot be captured at all: no such process, a thread
  // id given as the PID, ukstack itself, already traced (unless --stop none).
  static Result<std::unique_ptr<CaptureSession>> open(int pid, CaptureOptions options,
                                                      CaptureSeams seams);
  ~CaptureSession();
  CaptureSession(const CaptureSession&) = delete;
  CaptureSession& operator=(const CaptureSession&) = delete;

  // One capture. An Error only when nothing could be captured (the process is
  // gone, not permitted, the threads asked for are not there); problems with
  // single threads are in the snapshot. `last`: no capture follows, so nothing is
  // kept for the next one (a one-shot run keeps its memory to the snapshot).
  // `run_deadline`: when the capture must end (samples share one run's bound);
  // by default the options' run_deadline from now.
  Result<Snapshot> capture(bool last = false,
                           std::optional<Clock::time_point> run_deadline = std::nullopt);

  int pid() const { return pid_; }
  // How often modules were reported (1 after open; more after the maps changed).
  int module_reports() const { return module_reports_; }

 private:
  CaptureSession(int pid, CaptureOptions options, CaptureSeams seams);
  Status check_target();
  Status choose_bpf();
  Result<std::optional<BpfRecords>> bpf_records_for(const procfs::ProcessReader& reader);
  void report_modules_if_changed();
  int live_thread_for_memory() const;
  void look_for_go();
  void look_for_python();
  // The goroutines, read during the stop (`while_stopped`) or now, checked.
  void add_go(Snapshot& snapshot, std::optional<GoroutineCapture> while_stopped);
  // Names the thread's frames in JIT code from the perf map, read (what is new of
  // it) at the first such frame of a capture: `map_read` says whether it was.
  void name_jit_code(Thread& thread, bool& map_read);

  int pid_;
  CaptureOptions options_;
  CaptureSeams seams_;
  procfs::TaskStat leader_;  // read by check_target, at every capture
  bool kernel_process_ = false;
  std::string foreign_tracer_;        // "PID (name)" when another debugger traces the target
  int ns_pid_ = 0;                    // the target's PID in its own PID namespace
  std::optional<std::uint32_t> uid_;  // its effective user, when status shows it

  // The file-backed mappings the unwinder's modules were reported from.
  std::vector<procfs::Mapping> module_mappings_;
  // All of the process's mappings, as read at the last capture (JIT code is in
  // anonymous ones).
  std::vector<procfs::Mapping> process_maps_;
  TargetPerfMap perf_map_;
  // Declared before the unwinder, which reads through it: destroyed after it.
  std::unique_ptr<unwind::AddressSpace> memory_;
  std::unique_ptr<unwind::Unwinder> unwinder_;
  std::string unwinder_error_;
  // auto: the blocked threads the last capture verified in place, by tid.
  std::unordered_map<int, VerifiedThread> verified_;
  // The Go runtime (issue 11), looked for once per executable: nullopt when the
  // program is not Go.
  std::optional<GoProgram> go_;
  bool go_looked_for_ = false;
  // The Python interpreter (issue 14), looked for once per module report: nullopt
  // when the program is not Python; an Error when it is but cannot be read.
  std::optional<Result<unwind::PythonProgram>> python_;
  bool python_looked_for_ = false;
  int module_reports_ = 0;
  bool use_bpf_ = false;      // the engine is given and the caller may trace the process
  bool just_opened_ = false;  // the first capture need not report modules again
};

// One capture of a live process through the real /proc and ptrace (the CLI's
// path). The caller holds the process-wide guards (see signal_guard.h).
// `bpf`: the run's BPF engine, or null.
Result<Snapshot> capture_live(int pid, const CaptureOptions& options, BpfSource* bpf = nullptr);

}  // namespace ukstack
