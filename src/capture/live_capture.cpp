#include "capture/live_capture.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <optional>
#include <set>

#include "base/format.h"
#include "procfs/process_reader.h"
#include "procfs/syscall_names.h"
#include "capture/seized_thread.h"
#include "capture/signal_guard.h"
#include "unwind/registers.h"

namespace ukstack {

namespace {

using Clock = std::chrono::steady_clock;
using SyscallKind = procfs::SyscallState::Kind;

constexpr long kRestartSyscall = SYS_restart_syscall;
constexpr int kMaxRescans = 16;        // for a process that never stops making threads

bool thread_gone(const Error& error) { return error.errnum == ENOENT || error.errnum == ESRCH; }

std::string kernel_stack_error(const Error& error) {
  if (error.errnum == EACCES || error.errnum == EPERM) {
    return "kernel stack needs root (CAP_SYS_ADMIN)";
  }
  return error.message;
}

// What was read and sampled for one thread. Unwinding happens after every stop
// has ended, except for verified no-stop unwinds, which need no stop at all.
struct RawThread {
  int tid = 0;
  bool exited = false;
  bool kernel_thread = false;
  procfs::TaskStat stat;
  // Auto's proof that a thread stayed put while unwound without stopping: its
  // scheduler counters (read before the kernel half), or where the kernel keeps
  // none, its voluntary context switches.
  std::optional<procfs::SchedStat> sched_before;
  std::optional<procfs::TaskStatus> status;
  Result<std::string> kernel_before = Error{};
  std::optional<procfs::SyscallState> syscall;
  std::string wchan;
  std::optional<unwind::ThreadSample> sample;   // to be unwound
  std::optional<unwind::UnwoundStack> unwound;  // already unwound (auto's no-stop path)
  bool unwound_without_stop = false;
  bool verified_in_place = false;  // re-checked right after its no-stop unwind
  std::optional<std::string> user_error;
  std::vector<std::string> notes;

  bool blocked() const { return syscall && syscall->kind != SyscallKind::Running; }
};

// Still blocked where /proc/<tid>/syscall showed it before: same kind of wait,
// same user sp and pc, same call, or (allow_restart) the kernel's restart of it
// after a ptrace stop.
bool at_same_place(const procfs::SyscallState& before, const procfs::SyscallState& after,
                   bool allow_restart) {
  bool same_call = after.nr == before.nr || (allow_restart && after.nr == kRestartSyscall);
  return after.kind == before.kind && after.sp == before.sp && after.pc == before.pc && same_call;
}

// alarm(2) for the life of the object; FatalSignalGuard turns SIGALRM into detach
// + exit 2.
class Watchdog {
 public:
  explicit Watchdog(std::chrono::milliseconds limit) {
    alarm(static_cast<unsigned>(std::chrono::ceil<std::chrono::seconds>(limit).count()));
  }
  ~Watchdog() { alarm(0); }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
};

class LiveCapture {
 public:
  LiveCapture(int pid, const CaptureOptions& options)
      : pid_(pid), options_(options), reader_(source_, pid), memory_(pid) {}

  Result<Snapshot> run();

 private:
  Status check_target();
  bool wanted(int tid) const;
  Result<std::vector<int>> new_threads(std::set<int>& seen);

  int live_thread_for_memory();
  bool now_exiting(int tid);
  bool read_before_stop(RawThread& raw);
  void capture_one(RawThread& raw);
  void capture_all_stopped(std::vector<RawThread>& raws, std::set<int>& seen);
  void sample_stopped(RawThread& raw, SeizedThread& seized, unwind::ByteBuffer buffer = {});
  unwind::ByteBuffer take_stack_buffer();
  void use_no_stop(RawThread& raw, const std::string& why);
  bool try_verified_no_stop(RawThread& raw);
  void stop_one(RawThread& raw);
  std::optional<SeizedThread> seize_and_interrupt(RawThread& raw);
  void gave_up_waiting(RawThread& raw);

  Thread build_thread(RawThread& raw);
  void recheck_kernel_half(const RawThread& raw, Thread& thread);
  SyscallInfo decode_syscall(const procfs::SyscallState& state);

  int pid_;
  const CaptureOptions& options_;
  procfs::RealProcSource source_;
  procfs::ProcessReader reader_;
  unwind::LiveAddressSpace memory_;
  std::unique_ptr<unwind::Unwinder> unwinder_;
  std::string unwinder_error_;
  procfs::TaskStat leader_;  // read once, by check_target
  bool kernel_process_ = false;
  std::string foreign_tracer_;  // "PID (name)" when another debugger traces the target
  int seize_refusals_ = 0;
  Error last_seize_error_;
  Clock::time_point run_deadline_;
  std::map<int, FdDescription> fd_cache_;
  unwind::ByteBuffer stack_buffer_;  // one stack copy's room, reused thread after thread
};

Status LiveCapture::check_target() {
  if (pid_ <= 0) return Error{0, "invalid PID " + std::to_string(pid_)};
  if (pid_ == getpid())
    return Error{0, "ukstack cannot capture itself (PID " + std::to_string(pid_) + ")"};
  auto stat = reader_.stat(pid_);
  if (!stat) {
    if (thread_gone(stat.error())) return Error{ESRCH, "no such process: " + std::to_string(pid_)};
    return stat.error();
  }
  if (stat->tid != pid_) {
    return Error{0, std::to_string(pid_) + " is a thread of process " + std::to_string(stat->tid) +
                        "; give the process ID (use --tid to pick threads)"};
  }
  leader_ = *stat;
  kernel_process_ = stat->is_kernel_thread();
  auto status = reader_.status(pid_);
  if (status && status->tracer_pid != 0 && status->tracer_pid != getpid()) {
    std::string tracer_name = "?";
    procfs::ProcessReader tracer_reader(source_, status->tracer_pid);
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

bool LiveCapture::wanted(int tid) const {
  return options_.tids.empty() ||
         std::find(options_.tids.begin(), options_.tids.end(), tid) != options_.tids.end();
}

// Threads of the task list not seen before (and asked for). Marks them seen.
Result<std::vector<int>> LiveCapture::new_threads(std::set<int>& seen) {
  auto tasks = reader_.tasks();
  if (!tasks) return tasks.error();
  std::vector<int> fresh;
  for (int tid : *tasks) {
    if (wanted(tid) && seen.insert(tid).second) fresh.push_back(tid);
  }
  return fresh;
}

Result<Snapshot> LiveCapture::run() {
  FatalSignalGuard signal_guard;
  run_deadline_ = Clock::now() + options_.run_deadline;
  // The deadline is checked between threads; the watchdog covers a single read that
  // never returns (a /proc file or process_vm_readv waiting on the target's mmap lock).
  Watchdog watchdog(options_.run_deadline + std::chrono::seconds(5));
  if (auto checked = check_target(); !checked) return checked.error();

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
  if (auto exe = reader_.exe()) snapshot.process.exe = *exe;
  if (auto cmdline = reader_.cmdline()) snapshot.process.cmdline = *cmdline;

  // Modules are reported (and the main ELF opened) before any thread is stopped:
  // no file access or symbol lookup happens during a stop.
  if (!kernel_process_) {
    // A zombie leader has no memory map left: read maps and memory through a live
    // thread (every thread shares them).
    int mm_tid = live_thread_for_memory();
    memory_ = unwind::LiveAddressSpace(mm_tid);
    auto unwinder = unwind::open_unwinder(mm_tid, memory_, options_.unwind);
    if (unwinder) {
      unwinder_ = std::move(*unwinder);
    } else {
      unwinder_error_ = unwinder.error().message;
    }
  }

  ChildSignalBlock child_signal_block;

  std::set<int> seen;
  std::vector<RawThread> raws;
  if (options_.stop == StopMode::All) {
    capture_all_stopped(raws, seen);
  } else {
    // Threads that appear during the capture are captured too: rescan until a
    // pass finds no new thread.
    for (int pass = 0; pass < kMaxRescans; ++pass) {
      auto fresh = new_threads(seen);
      if (!fresh || fresh->empty()) break;  // none new, or the process is gone
      for (int tid : *fresh) {
        RawThread& raw = raws.emplace_back();
        raw.tid = tid;
        if (Clock::now() >= run_deadline_) {
          raw.user_error = "not captured: the whole run's deadline passed";
          continue;
        }
        capture_one(raw);
      }
    }
  }
  SeizeRegistry::detach_lingering();

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
  if (seize_refusals_ == static_cast<int>(raws.size()) &&
      (last_seize_error_.errnum == EPERM || last_seize_error_.errnum == EACCES)) {
    return Error{EPERM, "not permitted to trace process " + std::to_string(pid_) +
                            ": run ukstack as root or with CAP_SYS_PTRACE (kernel stacks also "
                            "need CAP_SYS_ADMIN)"};
  }

  snapshot.threads.reserve(raws.size());
  for (auto& raw : raws) snapshot.threads.push_back(build_thread(raw));
  for (std::size_t i = 0; i < raws.size(); ++i) recheck_kernel_half(raws[i], snapshot.threads[i]);
  if (!foreign_tracer_.empty()) {
    for (auto& thread : snapshot.threads) {
      thread.notes.push_back("process is traced by PID " + foreign_tracer_ +
                             "; nothing was stopped");
    }
  }
  std::sort(snapshot.threads.begin(), snapshot.threads.end(),
            [](const Thread& a, const Thread& b) { return a.tid < b.tid; });
  return snapshot;
}

// PTRACE_SEIZE refuses (EPERM) a thread that is exiting: that is not a permission
// problem, the thread is just going away.
bool LiveCapture::now_exiting(int tid) {
  auto stat = reader_.stat(tid);
  return !stat || stat->state == 'Z' || stat->state == 'X';
}

int LiveCapture::live_thread_for_memory() {
  if (leader_.state != 'Z') return pid_;
  if (auto tasks = reader_.tasks()) {
    for (int tid : *tasks) {
      auto stat = reader_.stat(tid);
      if (stat && stat->state != 'Z' && stat->state != 'X') return tid;
    }
  }
  return pid_;
}

// Step 1: everything /proc says about the thread, before it is stopped: a stopped
// thread's kernel stack shows ptrace_stop, not the call it was blocked in.
// False when there is no user half to get (exited, kernel thread, zombie).
bool LiveCapture::read_before_stop(RawThread& raw) {
  auto stat = reader_.stat(raw.tid);
  if (!stat) {
    raw.exited = true;
    return false;
  }
  raw.stat = *stat;
  raw.kernel_thread = stat->is_kernel_thread();
  // Auto's verification needs a counter read before both halves: a thread that
  // was never on a CPU from here to the re-read cannot have moved.
  if (options_.stop == StopMode::Auto) {
    if (auto sched = reader_.schedstat(raw.tid); sched && sched->kept()) raw.sched_before = *sched;
  }
  raw.kernel_before = reader_.kernel_stack_text(raw.tid);
  if (auto syscall = reader_.syscall(raw.tid)) raw.syscall = *syscall;
  // wchan is the kernel stack's first frame (build_thread takes it from there);
  // read the file only when the stack cannot be read (wchan needs less privilege).
  if (!raw.kernel_before) {
    if (auto wchan = reader_.wchan(raw.tid)) raw.wchan = *wchan;
  }
  if (options_.stop == StopMode::Auto && !raw.sched_before) {
    if (auto status = reader_.status(raw.tid)) raw.status = *status;
  }

  if (raw.kernel_thread) return false;  // no user half, and ptrace would refuse
  if (stat->state == 'Z' || stat->state == 'X') {
    // Only a leader stays a zombie while its other threads live; any other thread
    // seen as Z or X is in the middle of exiting.
    if (raw.tid == pid_) {
      raw.notes.push_back("zombie: the thread has exited and has no user stack left");
    } else {
      raw.exited = true;
    }
    return false;
  }
  return true;
}

void LiveCapture::capture_one(RawThread& raw) {
  if (!read_before_stop(raw)) return;
  switch (options_.stop) {
    case StopMode::None:
      if (raw.blocked()) {
        use_no_stop(raw, "");
      } else {
        raw.user_error = "thread was running; --stop none does not stop it to read its registers";
        raw.notes.push_back("running: user half not captured without stopping");
      }
      return;
    case StopMode::Auto:
      if (raw.blocked() && try_verified_no_stop(raw)) return;
      stop_one(raw);
      return;
    case StopMode::Each:
    case StopMode::All:
      stop_one(raw);
      return;
  }
}

// The thread's user half from /proc/<tid>/syscall (sp, pc, argument registers) and
// live memory, to be unwound later. `why` becomes a note when not empty.
void LiveCapture::use_no_stop(RawThread& raw, const std::string& why) {
  unwind::ThreadSample sample;
  sample.tid = raw.tid;
  sample.registers = unwind::registers_from_syscall(*raw.syscall);
  raw.sample = std::move(sample);
  raw.unwound_without_stop = true;
  if (!why.empty()) raw.notes.push_back(why);
}

// --stop auto: unwind a blocked thread without stopping it, and keep the result
// only if it is complete (reached the outermost frame) and verified (the thread
// was at the same place, and did not sleep again, for the whole unwind).
bool LiveCapture::try_verified_no_stop(RawThread& raw) {
  if (!unwinder_ || (!raw.sched_before && !raw.status)) return false;
  unwind::ThreadSample sample;
  sample.tid = raw.tid;
  sample.registers = unwind::registers_from_syscall(*raw.syscall);
  unwind::UnwoundStack stack = unwinder_->unwind(sample);
  if (stack.error || !stack.complete || stack.frames.empty()) return false;  // stop it instead

  if (raw.sched_before) {
    // Not on a CPU since before the kernel half was read: both halves and the
    // memory just unwound are from one moment.
    auto after = reader_.schedstat(raw.tid);
    if (!after || !raw.sched_before->same_run_as(*after)) return false;
  } else {
    auto after = reader_.syscall(raw.tid);
    auto status_after = reader_.status(raw.tid);
    if (!after || !status_after) return false;
    bool same_place = at_same_place(*raw.syscall, *after, /*allow_restart=*/false);
    bool slept_once = status_after->voluntary_ctxt_switches == raw.status->voluntary_ctxt_switches;
    if (!same_place || !slept_once) return false;
  }

  raw.unwound = std::move(stack);
  raw.unwound_without_stop = true;
  raw.verified_in_place = true;
  return true;
}

// Steps 2-5 for one thread: seize, interrupt, wait with a deadline, sample, detach.
// Seizes the thread and asks it to stop. Empty when it cannot be stopped; raw
// then says why (exited, or not permitted).
std::optional<SeizedThread> LiveCapture::seize_and_interrupt(RawThread& raw) {
  auto seized = SeizedThread::seize(raw.tid);
  if (!seized) {
    if (thread_gone(seized.error()) || now_exiting(raw.tid)) {
      raw.exited = true;
    } else {
      ++seize_refusals_;
      last_seize_error_ = seized.error();
      raw.user_error = seized.error().errnum == EPERM
                           ? "not permitted to stop the thread (needs root or CAP_SYS_PTRACE)"
                           : seized.error().message;
    }
    return std::nullopt;
  }
  if (!seized->interrupt()) {
    raw.exited = true;
    return std::nullopt;
  }
  return std::move(*seized);
}

// Step 5: a thread that did not stop by the deadline is not waited for.
void LiveCapture::gave_up_waiting(RawThread& raw) {
  std::string why = "did not stop within " + std::to_string(options_.timeout.count()) +
                    " ms (state " + std::string(1, raw.stat.state) + ")";
  if (raw.blocked()) {
    use_no_stop(raw, why + "; unwound without stopping");
  } else {
    raw.user_error = why;
  }
}

// A buffer for one stack copy with its pages already touched: page faults in our
// own memory would otherwise lengthen the target's stop.
unwind::ByteBuffer LiveCapture::take_stack_buffer() {
  if (stack_buffer_.capacity() < options_.stack_copy_bytes) {
    stack_buffer_.assign(options_.stack_copy_bytes, std::byte{0});
  }
  return std::move(stack_buffer_);
}

void LiveCapture::stop_one(RawThread& raw) {
  auto buffer = take_stack_buffer();
  auto seized = seize_and_interrupt(raw);
  if (!seized) return;
  auto stop = seized->wait_for_stop(Clock::now() + options_.timeout);
  if (stop == SeizedThread::Stop::Exited) {
    raw.exited = true;
  } else if (stop == SeizedThread::Stop::Stopped) {
    sample_stopped(raw, *seized, std::move(buffer));
  }
  seized->detach();  // at once: the unwind runs on the copy
  // Nothing is stopped now: unwind at once and hand the copy's buffer on to the
  // next thread, so memory does not grow with the number of threads.
  if (raw.sample && unwinder_) {
    raw.unwound = unwinder_->unwind(*raw.sample);
    stack_buffer_ = std::move(raw.sample->stack.bytes);
    raw.sample.reset();
  }
  if (stop == SeizedThread::Stop::TimedOut) gave_up_waiting(raw);
}

// While the thread is stopped: its registers and one copy of its live stack. Nothing
// else (no file access, no symbol lookup) happens during a stop.
void LiveCapture::sample_stopped(RawThread& raw, SeizedThread& seized, unwind::ByteBuffer buffer) {
  auto regs = seized.registers();
  if (!regs) {
    raw.user_error = regs.error().message;
    return;
  }
  unwind::ThreadSample sample;
  sample.tid = raw.tid;
  sample.registers = unwind::registers_from_ptrace(*regs);
  if (auto copy = unwind::copy_stack(memory_, sample.registers.sp(), options_.stack_copy_bytes,
                                     std::move(buffer))) {
    sample.stack = std::move(*copy);
  }
  raw.sample = std::move(sample);
  // Same user sp and pc as /proc/<tid>/syscall showed before the stop: the thread
  // did not move between the kernel read and the stop.
  if (raw.blocked() &&
      (RemoteAddr(regs->rip) != raw.syscall->pc || RemoteAddr(regs->rsp) != raw.syscall->sp)) {
    raw.notes.push_back(
        "thread moved between reading its kernel stack and stopping it: the halves are from "
        "different moments");
  }
}

// --stop all: kernel halves first, then every thread stopped (rescanning the task
// list until no new thread appears), then sampled, then all detached.
void LiveCapture::capture_all_stopped(std::vector<RawThread>& raws, std::set<int>& seen) {
  std::vector<std::optional<SeizedThread>> seized;
  std::vector<unwind::ByteBuffer> buffers;  // each thread's stack copy, touched before the stop
  for (int pass = 0; pass < kMaxRescans && Clock::now() < run_deadline_; ++pass) {
    auto fresh = new_threads(seen);
    if (!fresh || fresh->empty()) break;
    std::size_t first = raws.size();
    // Every kernel half is read before the first interrupt: the process is then
    // held only for the ptrace calls and the stack copies, not for /proc reads.
    std::vector<bool> stoppable;
    for (int tid : *fresh) {
      RawThread& raw = raws.emplace_back();
      raw.tid = tid;
      seized.emplace_back();
      stoppable.push_back(read_before_stop(raw));
      buffers.emplace_back();
      if (stoppable.back()) buffers.back() = take_stack_buffer();
    }
    for (std::size_t i = first; i < raws.size(); ++i) {
      if (!stoppable[i - first]) continue;
      if (auto thread = seize_and_interrupt(raws[i])) seized[i].emplace(std::move(*thread));
    }
    // One deadline for the pass: the threads stop in parallel.
    auto deadline = Clock::now() + options_.timeout;
    for (std::size_t i = first; i < raws.size(); ++i) {
      if (!seized[i]) continue;
      auto stop = seized[i]->wait_for_stop(deadline);
      if (stop == SeizedThread::Stop::Exited) {
        raws[i].exited = true;
        seized[i].reset();
      } else if (stop == SeizedThread::Stop::TimedOut) {
        seized[i].reset();  // detaches, or lingers until it stops: see SeizedThread::detach
        gave_up_waiting(raws[i]);
      }
    }
  }
  // Every thread that could be is stopped now: sample them, then let all go.
  for (std::size_t i = 0; i < raws.size(); ++i) {
    if (seized[i]) sample_stopped(raws[i], *seized[i], std::move(buffers[i]));
  }
  for (auto& thread : seized) {
    if (thread) thread->detach();
  }
}

// Step 4's re-read, done once every thread has been sampled and unwound (right
// after the detach the thread is still restarting its call). The kernel restarts
// an interrupted wait, sometimes through restart_syscall, so the question asked is
// whether the thread is still blocked at the same place in user space.
void LiveCapture::recheck_kernel_half(const RawThread& raw, Thread& thread) {
  if (raw.exited || raw.kernel_thread || !raw.blocked() || !raw.kernel_before) return;
  if (raw.verified_in_place) return;  // checked already, right after its unwind
  auto after = reader_.syscall(raw.tid);
  if (!after) return;  // exited since: the snapshot shows it as it was
  if (!at_same_place(*raw.syscall, *after, /*allow_restart=*/true)) {
    auto kernel_after = reader_.kernel_stack_text(raw.tid);
    if (kernel_after && *kernel_after != *raw.kernel_before) {
      thread.notes.push_back("kernel stack changed during capture: the thread has moved on since");
    }
  }
}

SyscallInfo LiveCapture::decode_syscall(const procfs::SyscallState& state) {
  SyscallInfo info;
  info.nr = state.nr;
  info.name = std::string(procfs::syscall_name(state.nr));
  info.args.assign(state.args.begin(), state.args.end());
  for (int arg : procfs::syscall_fd_args(state.nr)) {
    int number = static_cast<int>(state.args[static_cast<std::size_t>(arg)]);
    // Threads share their file descriptors: describe each one once per capture.
    auto known = fd_cache_.find(number);
    if (known == fd_cache_.end()) {
      FdDescription fd;
      fd.fd = number;
      if (auto link = reader_.fd(number)) fd.target = link->target;
      fd.description = reader_.describe_fd(number);
      known = fd_cache_.emplace(number, std::move(fd)).first;
    }
    FdDescription fd = known->second;
    fd.arg = arg;
    info.fds.push_back(std::move(fd));
  }
  return info;
}

}  // namespace

Frame to_frame(unwind::UnwoundFrame&& uf) {
  Frame frame;
  frame.pc = uf.pc.value();
  frame.function = std::move(uf.function);
  frame.offset = uf.offset;
  if (!uf.module.empty()) frame.module = std::move(uf.module);
  if (!uf.file.empty()) frame.file = std::move(uf.file);
  if (uf.line > 0) frame.line = uf.line;
  frame.inlined = uf.inlined;
  frame.found_by = uf.found_by;
  return frame;
}

namespace {

Thread LiveCapture::build_thread(RawThread& raw) {
  Thread thread;
  thread.tid = raw.tid;
  thread.notes = std::move(raw.notes);
  thread.kernel.method = StackMethod::Procfs;
  thread.user.method = StackMethod::None;
  if (raw.exited && raw.stat.tid == 0) {
    thread.state = "X";
    thread.notes.push_back("thread exited during capture");
    return thread;
  }
  thread.name = raw.stat.name;
  thread.state = raw.exited ? "X" : std::string(1, raw.stat.state);
  thread.wchan = raw.wchan;
  if (raw.syscall && raw.syscall->kind == SyscallKind::InSyscall) {
    thread.syscall = decode_syscall(*raw.syscall);
  }

  if (!raw.kernel_before) {
    // A thread that exited has no kernel stack left to read: not an error.
    if (!(raw.exited && thread_gone(raw.kernel_before.error()))) {
      thread.kernel.error = kernel_stack_error(raw.kernel_before.error());
    }
  } else if (auto frames = procfs::parse_kernel_stack(*raw.kernel_before)) {
    thread.kernel.frames.reserve(frames->size());
    for (const auto& kf : *frames) {
      Frame frame;
      frame.function = kf.function;
      frame.offset = kf.offset;
      frame.size = kf.size;
      if (kf.address) frame.pc = *kf.address;
      if (!kf.module.empty()) frame.module = kf.module;
      thread.kernel.frames.push_back(std::move(frame));
    }
    if (thread.wchan.empty() && !thread.kernel.frames.empty()) {
      thread.wchan = thread.kernel.frames.front().function;
    }
  } else {
    thread.kernel.error = frames.error().message;
  }

  if (raw.exited) {
    thread.notes.push_back("thread exited during capture");
    return thread;
  }
  if (raw.kernel_thread) {
    thread.notes.push_back("kernel thread: it has no user stack");
    return thread;
  }
  if (raw.user_error) {
    thread.user.error = raw.user_error;
    return thread;
  }
  if (!raw.unwound && raw.sample) {
    if (!unwinder_) {
      thread.user.error = unwinder_error_;
      return thread;
    }
    raw.unwound = unwinder_->unwind(*raw.sample);
  }
  if (raw.unwound) {
    thread.user.method = raw.unwound_without_stop ? StackMethod::Nostop
                         : options_.unwind.backend == unwind::Backend::Libunwind
                             ? StackMethod::Libunwind
                             : StackMethod::Libdw;
    thread.user.frames.reserve(raw.unwound->frames.size());
    for (auto& uf : raw.unwound->frames) thread.user.frames.push_back(to_frame(std::move(uf)));
    thread.user.error = std::move(raw.unwound->error);
    if (!raw.unwound->complete && !thread.user.error) {
      thread.user.error =
          "unwound without stopping and cut short: a caller's frame needs a register only a "
          "stopped thread shows (frame pointer); --stop each gives the whole stack";
    }
    // Freed now, not at the end of the capture: with thousands of threads the raw
    // stacks and copies would otherwise double the peak memory.
    raw.unwound.reset();
    raw.sample.reset();
  }
  return thread;
}

}  // namespace

Result<Snapshot> capture_live(int pid, const CaptureOptions& options) {
  LiveCapture capture(pid, options);
  return capture.run();
}

}  // namespace ukstack
