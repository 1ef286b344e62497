#include "capture/session.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <set>

#include "base/format.h"
#include "capture/jit_frames.h"
#include "capture/stop_policy.h"
#include "capture/thread_builder.h"
#include "capture/waits/waits.h"
#include "procfs/process_reader.h"
#include "unwind/live_address_space.h"

namespace ukstack {

namespace {

// The mappings that make modules: files. Anonymous memory (thread stacks, heap)
// comes and goes with every thread and changes no module.
std::vector<procfs::Mapping> file_mappings(const std::vector<procfs::Mapping>& mappings) {
  std::vector<procfs::Mapping> files;
  for (const auto& mapping : mappings) {
    if (!mapping.path.empty() && mapping.path.front() == '/') files.push_back(mapping);
  }
  return files;
}

// A blocked thread auto verified in place, whole (both halves, no error): what the
// next capture may take as it is while the thread stays off the CPU.
void remember_if_verified(const RawThread& raw, const Thread& thread,
                          std::unordered_map<int, VerifiedThread>& verified) {
  if (!raw.verified_in_place || raw.exited || !raw.sched_before || !raw.syscall ||
      !raw.kernel_before || thread.user.error || !thread.notes.empty()) {
    return;
  }
  verified.emplace(raw.tid, VerifiedThread{.sched = *raw.sched_before,
                                           .kernel_text = *raw.kernel_before,
                                           .syscall = *raw.syscall,
                                           .user = thread.user});
}

}  // namespace

CaptureSession::CaptureSession(int pid, CaptureOptions options, CaptureSeams seams)
    : pid_(pid), options_(std::move(options)), seams_(std::move(seams)) {}

CaptureSession::~CaptureSession() = default;

Result<std::unique_ptr<CaptureSession>> CaptureSession::open(int pid, CaptureOptions options,
                                                             CaptureSeams seams) {
  std::unique_ptr<CaptureSession> session(
      new CaptureSession(pid, std::move(options), std::move(seams)));
  if (auto checked = session->check_target(); !checked) return checked.error();
  if (auto bpf = session->choose_bpf(); !bpf) return bpf.error();
  // Modules are reported (and the main ELF opened) before any thread is stopped:
  // no file access or symbol lookup happens during a stop.
  session->report_modules_if_changed();
  session->just_opened_ = true;
  return session;
}

Status CaptureSession::check_target() {
  if (pid_ <= 0) return Error{0, "invalid PID " + std::to_string(pid_)};
  if (pid_ == getpid())
    return Error{0, "ukstack cannot capture itself (PID " + std::to_string(pid_) + ")"};
  procfs::ProcessReader reader(*seams_.proc, pid_);
  auto stat = reader.stat(pid_);
  if (!stat) {
    if (thread_gone(stat.error())) return Error{ESRCH, "no such process: " + std::to_string(pid_)};
    return stat.error();
  }
  // /proc/<tid> of a non-leader thread exists too (hidden from the listing), and its
  // stat shows that tid: only status's Tgid tells a thread from a process.
  auto status = reader.status(pid_);
  if (status && status->tgid != 0 && status->tgid != pid_) {
    return Error{0, std::to_string(pid_) + " is a thread of process " +
                        std::to_string(status->tgid) +
                        "; give the process ID (use --tid to pick threads)"};
  }
  leader_ = *stat;
  ns_pid_ = status && status->ns_tgid > 0 ? status->ns_tgid : pid_;
  uid_.reset();
  if (status && status->uid_effective >= 0)
    uid_ = static_cast<std::uint32_t>(status->uid_effective);
  kernel_process_ = stat->is_kernel_thread();
  foreign_tracer_.clear();
  if (status && status->tracer_pid != 0 && status->tracer_pid != getpid()) {
    std::string tracer_name = "?";
    procfs::ProcessReader tracer_reader(*seams_.proc, status->tracer_pid);
    if (auto tracer = tracer_reader.stat(status->tracer_pid)) tracer_name = tracer->name;
    foreign_tracer_ = std::to_string(status->tracer_pid) + " (" + tracer_name + ")";
    if (options_.stop != StopMode::None) {
      return Error{EBUSY,
                   "process " + std::to_string(pid_) + " is already traced by PID " +
                       foreign_tracer_ +
                       "; detach that debugger, or use --stop none to capture without stopping"};
    }
  }
  return {};
}

// BPF reads any process; ukstack shows only what its caller may trace. So before
// the first BPF read the caller's access is checked as the kernel would: refused
// with --engine bpf is an error; with auto, the procfs engine gives the kernel's
// own answer. BPF is of use where a thread is left running: auto and none.
Status CaptureSession::choose_bpf() {
  use_bpf_ = false;
  if (seams_.bpf == nullptr || kernel_process_) return {};
  if (options_.stop != StopMode::Auto && options_.stop != StopMode::None) return {};
  Status allowed = seams_.may_trace ? seams_.may_trace(pid_) : Status{};
  if (!allowed) {
    if (options_.engine == Engine::Bpf) return allowed.error();
    return {};
  }
  use_bpf_ = true;
  return {};
}

// This capture's BPF records: one pass over every thread before any is captured
// where that pays (--engine bpf, --stop none, a process of many threads); else, in
// auto, none yet: threads /proc cannot give whole without a stop are read on
// demand. None without BPF; an Error only when --engine bpf's pass failed.
Result<std::optional<BpfRecords>> CaptureSession::bpf_records_for(
    const procfs::ProcessReader& reader) {
  std::optional<BpfRecords> records;
  if (!use_bpf_) return records;
  bool pass_first = options_.engine == Engine::Bpf || options_.stop == StopMode::None;
  if (!pass_first) {
    auto tasks = reader.tasks();
    pass_first = tasks && tasks->size() >= kBpfPassThreads;
  }
  if (!pass_first) {
    records.emplace(*seams_.bpf, pid_, std::nullopt);
    return records;
  }
  const int only_tid = options_.tids.size() == 1 ? options_.tids.front() : 0;
  auto pass = seams_.bpf->read(pid_, only_tid, /*with_stacks=*/true);
  if (pass) {
    records.emplace(*seams_.bpf, pid_, std::move(*pass));
  } else if (options_.engine == Engine::Bpf) {
    return pass.error();
  }
  return records;
}

// A zombie leader has no memory map left: maps and memory are read through a live
// thread (every thread shares them).
int CaptureSession::live_thread_for_memory() const {
  if (leader_.state != 'Z') return pid_;
  procfs::ProcessReader reader(*seams_.proc, pid_);
  if (auto tasks = reader.tasks()) {
    for (int tid : *tasks) {
      auto stat = reader.stat(tid);
      if (stat && stat->state != 'Z' && stat->state != 'X') return tid;
    }
  }
  return pid_;
}

void CaptureSession::report_modules_if_changed() {
  if (kernel_process_) return;
  const int mm_tid = live_thread_for_memory();
  procfs::ProcessReader reader(*seams_.proc, mm_tid);
  auto maps = reader.maps();
  if (!maps) {
    if (!unwinder_) unwinder_error_ = maps.error().message;
    return;  // gone, or not permitted: the capture says which
  }
  process_maps_ = *maps;
  std::vector<procfs::Mapping> files = file_mappings(*maps);
  if (unwinder_ && files == module_mappings_) return;

  unwinder_.reset();       // before the memory it reads through
  verified_.clear();       // unwound by the unwinder that goes
  go_looked_for_ = false;  // an exec may have brought another program
  python_looked_for_ = false;
  memory_ = std::make_unique<unwind::LiveAddressSpace>(mm_tid);
  auto unwinder = seams_.open_unwinder(
      unwind::LiveProcess{.pid = mm_tid, .mappings = std::move(*maps), .memory = memory_.get()},
      options_.unwind);
  ++module_reports_;
  if (unwinder) {
    unwinder_ = std::move(*unwinder);
    unwinder_error_.clear();
    module_mappings_ = std::move(files);
  } else {
    unwinder_error_ = unwinder.error().message;
    module_mappings_.clear();
  }
}

void CaptureSession::look_for_go() {
  go_looked_for_ = true;
  go_.reset();
  if (kernel_process_ || !memory_) return;
  // The executable as the process has it, whatever its path in our mount namespace.
  const std::string exe = "/proc/" + std::to_string(live_thread_for_memory()) + "/exe";
  auto bias = unwind::executable_load_bias(exe, module_mappings_);
  if (!bias) {
    if (unwind::is_go_executable(exe)) go_ = GoProgram{std::nullopt, bias.error().message};
    return;
  }
  go_ = find_go_program(exe, *bias);
}

void CaptureSession::look_for_python() {
  python_looked_for_ = true;
  python_.reset();
  if (kernel_process_ || !memory_) return;
  if (std::ranges::none_of(module_mappings_, [](const procfs::Mapping& mapping) {
        return unwind::may_hold_python(mapping.path);
      })) {
    return;
  }
  // The files as the process sees them, whatever its mount namespace.
  const std::string root = "/proc/" + std::to_string(live_thread_for_memory()) + "/root";
  auto found =
      unwind::find_python_program(module_mappings_, root, *memory_, options_.unwind.debug_dirs);
  if (!found) {
    python_ = found.error();
  } else if (*found) {
    python_ = std::move(**found);
  }
}

void CaptureSession::add_go(Snapshot& snapshot, std::optional<GoroutineCapture> while_stopped) {
  if (!go_) return;
  if (!go_->layout || !memory_) {
    add_goroutine_note(snapshot, *go_);
    return;
  }
  // The runtime's nanotime() is CLOCK_MONOTONIC: how long each goroutine waited.
  timespec now{};
  std::optional<std::int64_t> now_ns;
  if (clock_gettime(CLOCK_MONOTONIC, &now) == 0) {
    now_ns = static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
  }
  if (while_stopped) {
    add_goroutines(snapshot, std::move(*while_stopped), unwinder_.get(), GoroutineRead::Stopped,
                   now_ns);
  } else {
    add_goroutines(snapshot, read_goroutines_checked(*memory_, *go_->layout), unwinder_.get(),
                   GoroutineRead::CheckedNoStop, now_ns);
  }
}

void CaptureSession::name_jit_code(Thread& thread, bool& map_read) {
  if (!has_unnamed_jit_code(thread, process_maps_)) return;
  if (!map_read && uid_) {  // whose file to trust is not known without the process's user
    perf_map_.refresh(seams_.read_target_file, live_thread_for_memory(), ns_pid_, *uid_);
    map_read = true;
  }
  name_jit_frames(thread, perf_map_, process_maps_);
}

Result<Snapshot> CaptureSession::capture(bool last, std::optional<Clock::time_point> deadline) {
  const Clock::time_point run_deadline = deadline.value_or(Clock::now() + options_.run_deadline);
  // Checked at every capture: the process may have gone, or a debugger come, since.
  if (auto checked = check_target(); !checked) return checked.error();
  if (!just_opened_) report_modules_if_changed();  // open has just reported them
  just_opened_ = false;

  // A reader per capture: what it caches (the socket table) is of this moment.
  procfs::ProcessReader reader(*seams_.proc, pid_);
  Snapshot snapshot;
  snapshot.source = SnapshotSource::Live;
  snapshot.captured_at = rfc3339_utc(std::time(nullptr));
  utsname host{};
  if (uname(&host) == 0) {
    snapshot.kernel = host.release;
    snapshot.arch = host.machine;
  }
  snapshot.process.pid = pid_;
  snapshot.process.name = leader_.name;
  if (auto exe = reader.exe()) snapshot.process.exe = *exe;
  if (auto cmdline = reader.cmdline()) snapshot.process.cmdline = *cmdline;

  auto wanted = [this](int tid) {
    return options_.tids.empty() || std::ranges::find(options_.tids, tid) != options_.tids.end();
  };
  std::set<int> seen;
  // Threads of the task list not seen before (and asked for); marks them seen.
  auto fresh_threads = [&]() {
    std::vector<int> fresh;
    if (auto tasks = reader.tasks()) {
      for (int tid : *tasks) {
        if (wanted(tid) && seen.insert(tid).second) fresh.push_back(tid);
      }
    }
    return fresh;
  };

  if (!go_looked_for_) look_for_go();
  const unwind::GoRuntimeLayout* go_layout =
      go_ && go_->layout && memory_ ? &*go_->layout : nullptr;
  std::optional<GoroutineCapture> goroutines_while_stopped;
  if (!python_looked_for_) look_for_python();
  const unwind::PythonProgram* python = python_ && *python_ ? &**python_ : nullptr;
  std::optional<PythonCapture> python_while_stopped;

  auto bpf_records = bpf_records_for(reader);
  if (!bpf_records) return bpf_records.error();
  StopPolicy policy(options_, reader, *seams_.tracer, unwinder_.get(), &verified_,
                    *bpf_records ? &**bpf_records : nullptr);
  std::vector<RawThread> raws;
  if (options_.stop == StopMode::All) {
    policy.capture_all(raws, fresh_threads, run_deadline, [&] {
      if (go_layout) goroutines_while_stopped = read_goroutine_stacks(*memory_, *go_layout);
      if (python) python_while_stopped = read_python(*memory_, *python, PythonRead::Stopped);
    });
  } else {
    // Threads that appear during the capture are captured too: rescan until a
    // pass finds no new thread.
    for (int pass = 0; pass < kMaxRescans; ++pass) {
      std::vector<int> fresh = fresh_threads();
      if (fresh.empty()) break;  // none new, or the process is gone
      for (int tid : fresh) {
        RawThread& raw = raws.emplace_back();
        raw.tid = tid;
        if (Clock::now() >= run_deadline) {
          raw.user_error = "not captured: the whole run's deadline passed";
          continue;
        }
        policy.capture_one(raw);
      }
    }
  }
  seams_.tracer->detach_lingering();

  if (raws.empty()) {
    if (!options_.tids.empty()) {
      return Error{ESRCH, "none of the given threads is in process " + std::to_string(pid_)};
    }
    return Error{ESRCH, "no such process: " + std::to_string(pid_)};
  }
  for (int tid : options_.tids) {
    if (!seen.count(tid)) {
      return Error{ESRCH,
                   "no thread " + std::to_string(tid) + " in process " + std::to_string(pid_)};
    }
  }
  const Error& refused = policy.last_seize_error();
  if (policy.seize_refusals() == static_cast<int>(raws.size()) &&
      (refused.errnum == EPERM || refused.errnum == EACCES)) {
    return Error{EPERM, "not permitted to trace process " + std::to_string(pid_) +
                            ": run ukstack as root or with CAP_SYS_PTRACE (kernel stacks also "
                            "need CAP_SYS_ADMIN)"};
  }

  const StackMethod method = options_.unwind.backend == unwind::Backend::Libunwind
                                 ? StackMethod::Libunwind
                                 : StackMethod::Libdw;
  ThreadBuilder builder(reader, unwinder_.get(), unwinder_error_, method);
  snapshot.threads.reserve(raws.size());
  std::unordered_map<int, VerifiedThread> verified;
  bool perf_map_read = false;
  for (auto& raw : raws) {
    snapshot.threads.push_back(builder.build(raw));
    name_jit_code(snapshot.threads.back(), perf_map_read);
    if (!last) remember_if_verified(raw, snapshot.threads.back(), verified);
  }
  verified_ = std::move(verified);  // threads gone since are forgotten
  for (std::size_t i = 0; i < raws.size(); ++i) {
    builder.recheck_kernel_half(raws[i], snapshot.threads[i]);
  }
  if (!foreign_tracer_.empty()) {
    for (auto& thread : snapshot.threads) {
      thread.notes.push_back("process is traced by PID " + foreign_tracer_ +
                             "; nothing was stopped");
    }
  }
  std::sort(snapshot.threads.begin(), snapshot.threads.end(),
            [](const Thread& a, const Thread& b) { return a.tid < b.tid; });
  snapshot.engine = *bpf_records && (*bpf_records)->used() ? "bpf" : "procfs";
  add_go(snapshot, std::move(goroutines_while_stopped));
  if (python) {
    add_python_frames(snapshot, *python,
                      python_while_stopped
                          ? std::move(*python_while_stopped)
                          : read_python(*memory_, *python, PythonRead::CheckedNoStop));
  } else if (python_ && !*python_) {
    add_python_note(snapshot, python_->error());
  }
  find_waits(snapshot, WaitSources{.proc = seams_.proc, .memory = memory_.get()});
  return snapshot;
}

Result<Snapshot> capture_live(int pid, const CaptureOptions& options, BpfSource* bpf) {
  procfs::RealProcSource proc;
  PtraceTracer tracer;
  auto session = CaptureSession::open(pid, options,
                                      CaptureSeams{.proc = &proc, .tracer = &tracer, .bpf = bpf});
  if (!session) return session.error();
  return (*session)->capture(/*last=*/true);
}

}  // namespace ukstack
