#include "src/capture.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <optional>
#include <set>

#include "procfs/process_reader.h"
#include "procfs/syscall_names.h"
#include "src/attacher.h"
#include "src/signal_guard.h"
#include "unwind/registers.h"

namespace ukstack {

namespace {

using Clock = std::chrono::steady_clock;

bool thread_gone(const Error& error) { return error.errnum == ENOENT || error.errnum == ESRCH; }

std::string kernel_stack_error(const Error& error) {
  if (error.errnum == EACCES || error.errnum == EPERM) {
    return "kernel stack needs root (CAP_SYS_ADMIN)";
  }
  return error.message;
}

// What was read and sampled for one thread, before any unwinding.
struct RawThread {
  int tid = 0;
  bool exited = false;
  bool kernel_thread = false;
  procfs::TaskStat stat;
  Result<std::string> kernel_before = Error{};
  std::optional<procfs::SyscallState> syscall;
  std::string wchan;
  std::optional<unwind::ThreadSample> sample;
  bool unwound_without_stop = false;
  std::optional<std::string> user_error;
  std::vector<std::string> notes;
};

std::string now_rfc3339() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

class LiveCapture {
 public:
  LiveCapture(int pid, const CaptureOptions& options)
      : pid_(pid), options_(options), reader_(source_, pid), memory_(pid) {}

  Result<Snapshot> run();

 private:
  Status check_target();
  RawThread sample_thread(int tid);
  void stop_and_copy(RawThread& raw);
  Thread build_thread(RawThread& raw);
  void recheck_kernel_half(const RawThread& raw, Thread& thread);
  SyscallInfo decode_syscall(const procfs::SyscallState& state);

  int pid_;
  const CaptureOptions& options_;
  procfs::RealProcSource source_;
  procfs::ProcessReader reader_;
  unwind::RemoteMemory memory_;
  std::unique_ptr<unwind::Unwinder> unwinder_;
  std::string unwinder_error_;
  bool kernel_process_ = false;
  int seize_refusals_ = 0;
  Error last_seize_error_;
};

Status LiveCapture::check_target() {
  if (pid_ <= 0) return Error{0, "invalid PID " + std::to_string(pid_)};
  if (pid_ == getpid()) return Error{0, "ukstack cannot capture itself (PID " + std::to_string(pid_) + ")"};
  auto stat = reader_.stat(pid_);
  if (!stat) {
    if (thread_gone(stat.error())) return Error{ESRCH, "no such process: " + std::to_string(pid_)};
    return stat.error();
  }
  if (stat->tid != pid_) {
    return Error{0, std::to_string(pid_) + " is a thread of process " + std::to_string(stat->tid) +
                        "; give the process ID (use --tid to pick threads)"};
  }
  kernel_process_ = stat->is_kernel_thread();
  auto status = reader_.status(pid_);
  if (status && status->tracer_pid != 0 && status->tracer_pid != getpid()) {
    std::string tracer_name = "?";
    if (auto tracer = reader_.stat(status->tracer_pid)) tracer_name = tracer->name;
    return Error{EBUSY, "process " + std::to_string(pid_) + " is already traced by PID " +
                            std::to_string(status->tracer_pid) + " (" + tracer_name +
                            "); detach that debugger first"};
  }
  return {};
}

Result<Snapshot> LiveCapture::run() {
  if (auto checked = check_target(); !checked) return checked.error();

  Snapshot snapshot;
  snapshot.source = "live";
  snapshot.captured_at = now_rfc3339();
  utsname host{};
  if (uname(&host) == 0) {
    snapshot.kernel = host.release;
    snapshot.arch = host.machine;
  }
  snapshot.process.pid = pid_;
  if (auto stat = reader_.stat(pid_)) snapshot.process.name = stat->name;
  if (auto exe = reader_.exe()) snapshot.process.exe = *exe;
  if (auto cmdline = reader_.cmdline()) snapshot.process.cmdline = *cmdline;

  // Modules are reported (and the main ELF opened) before any thread is stopped:
  // no file access or symbol lookup happens during a stop.
  if (!kernel_process_) {
    auto unwinder = unwind::open_unwinder(pid_, options_.unwind);
    if (unwinder) {
      unwinder_ = std::move(*unwinder);
    } else {
      unwinder_error_ = unwinder.error().message;
    }
  }

  FatalSignalGuard signal_guard;
  ChildSignalBlock child_signal_block;
  const auto run_deadline = Clock::now() + options_.run_deadline;

  // Threads that appear during the capture are captured too: rescan until a pass
  // finds no new thread (bounded, for a process that never stops creating them).
  std::set<int> seen;
  std::vector<RawThread> raws;
  constexpr int kMaxRescans = 16;
  for (int pass = 0; pass < kMaxRescans && Clock::now() < run_deadline; ++pass) {
    auto tasks = reader_.tasks();
    if (!tasks) {
      if (raws.empty()) {
        return thread_gone(tasks.error())
                   ? Error{ESRCH, "no such process: " + std::to_string(pid_)}
                   : tasks.error();
      }
      break;  // the process exited mid-capture: keep what we have
    }
    bool found_new = false;
    for (int tid : *tasks) {
      if (!options_.tids.empty() &&
          std::find(options_.tids.begin(), options_.tids.end(), tid) == options_.tids.end()) {
        continue;
      }
      if (!seen.insert(tid).second) continue;
      found_new = true;
      if (Clock::now() >= run_deadline) {
        RawThread skipped;
        skipped.tid = tid;
        skipped.user_error = "not captured: the whole run's deadline passed";
        raws.push_back(std::move(skipped));
        continue;
      }
      raws.push_back(sample_thread(tid));
    }
    if (!found_new) break;
  }
  SeizeRegistry::detach_lingering();

  for (int tid : options_.tids) {
    if (!seen.count(tid)) return Error{ESRCH, "no thread " + std::to_string(tid) + " in process " + std::to_string(pid_)};
  }
  if (!raws.empty() && seize_refusals_ == static_cast<int>(raws.size()) &&
      (last_seize_error_.errnum == EPERM || last_seize_error_.errnum == EACCES)) {
    return Error{EPERM, "not permitted to trace process " + std::to_string(pid_) +
                            ": run ukstack as root or with CAP_SYS_PTRACE (kernel stacks also "
                            "need CAP_SYS_ADMIN)"};
  }

  for (auto& raw : raws) snapshot.threads.push_back(build_thread(raw));
  for (std::size_t i = 0; i < raws.size(); ++i) recheck_kernel_half(raws[i], snapshot.threads[i]);
  std::sort(snapshot.threads.begin(), snapshot.threads.end(),
            [](const Thread& a, const Thread& b) { return a.tid < b.tid; });
  return snapshot;
}

RawThread LiveCapture::sample_thread(int tid) {
  RawThread raw;
  raw.tid = tid;
  // 1. Everything /proc says about the thread, before it is stopped: a stopped
  //    thread's kernel stack shows ptrace_stop, not the call it was blocked in.
  auto stat = reader_.stat(tid);
  if (!stat) {
    raw.exited = true;
    return raw;
  }
  raw.stat = *stat;
  raw.kernel_thread = stat->is_kernel_thread();
  raw.kernel_before = reader_.kernel_stack_text(tid);
  if (auto syscall = reader_.syscall(tid)) raw.syscall = *syscall;
  if (auto wchan = reader_.wchan(tid)) raw.wchan = *wchan;

  if (raw.kernel_thread) return raw;  // no user half, and ptrace would refuse
  if (stat->state == 'Z' || stat->state == 'X') {
    raw.user_error = "thread is a zombie: it has no user stack left";
    return raw;
  }
  // 2.-4. Stop, sample, detach at once.
  stop_and_copy(raw);
  return raw;
}

// Step 4's re-read, done once every thread has been sampled and unwound (right
// after the detach the thread is still restarting its call). The kernel restarts
// an interrupted wait, sometimes through restart_syscall, so the question asked is
// whether the thread is still blocked at the same place in user space.
void LiveCapture::recheck_kernel_half(const RawThread& raw, Thread& thread) {
  if (raw.exited || raw.kernel_thread || !raw.syscall || !raw.kernel_before) return;
  if (raw.syscall->kind == procfs::SyscallState::Kind::Running) return;
  auto after = reader_.syscall(raw.tid);
  if (!after) return;  // exited since: reported by the next capture, not this one
  constexpr long kRestartSyscall = 219;
  bool same_place = after->kind == raw.syscall->kind && after->sp == raw.syscall->sp &&
                    after->pc == raw.syscall->pc &&
                    (after->nr == raw.syscall->nr || after->nr == kRestartSyscall);
  if (!same_place) {
    auto kernel_after = reader_.kernel_stack_text(raw.tid);
    if (kernel_after && *kernel_after != *raw.kernel_before) {
      thread.notes.push_back("kernel stack changed during capture: the thread has moved on since");
    }
  }
}

void LiveCapture::stop_and_copy(RawThread& raw) {
  auto seized = SeizedThread::seize(raw.tid);
  if (!seized) {
    if (thread_gone(seized.error())) {
      raw.exited = true;
      return;
    }
    ++seize_refusals_;
    last_seize_error_ = seized.error();
    raw.user_error = seized.error().errnum == EPERM
                         ? "not permitted to stop the thread (needs root or CAP_SYS_PTRACE)"
                         : seized.error().message;
    return;
  }
  auto stop = seized->interrupt_and_wait(Clock::now() + options_.timeout);
  if (stop == SeizedThread::Stop::Exited) {
    raw.exited = true;
    return;
  }
  if (stop == SeizedThread::Stop::Stopped) {
    auto regs = seized->registers();
    if (regs) {
      // Same user sp and pc as /proc/<tid>/syscall showed before the stop: the
      // thread did not move between the kernel read and the stop.
      if (raw.syscall && raw.syscall->kind != procfs::SyscallState::Kind::Running &&
          (RemoteAddr(regs->rip) != raw.syscall->pc || RemoteAddr(regs->rsp) != raw.syscall->sp)) {
        raw.notes.push_back(
            "thread moved between reading its kernel stack and stopping it: the halves are "
            "from different moments");
      }
      unwind::ThreadSample sample;
      sample.tid = raw.tid;
      sample.registers = unwind::registers_from_ptrace(*regs);
      auto copy = unwind::copy_stack(memory_, sample.registers.sp(), options_.stack_copy_bytes);
      seized->detach();  // at once: the unwind runs on the copy
      if (copy) sample.stack = std::move(*copy);
      raw.sample = std::move(sample);
    } else {
      seized->detach();
      raw.user_error = regs.error().message;
    }
    return;
  }
  // Timed out. Not waited for: unwound without stopping, from what
  // /proc/<tid>/syscall shows (sp, pc and the argument registers).
  seized->detach();
  std::string why = "thread did not stop within " + std::to_string(options_.timeout.count()) +
                    " ms (state " + std::string(1, raw.stat.state) + ")";
  if (raw.syscall && raw.syscall->kind != procfs::SyscallState::Kind::Running) {
    unwind::ThreadSample sample;
    sample.tid = raw.tid;
    sample.registers = unwind::registers_from_syscall(*raw.syscall);
    raw.sample = std::move(sample);
    raw.unwound_without_stop = true;
    raw.notes.push_back(why + "; unwound without stopping");
  } else {
    raw.user_error = why;
  }
}

SyscallInfo LiveCapture::decode_syscall(const procfs::SyscallState& state) {
  SyscallInfo info;
  info.nr = state.nr;
  info.name = std::string(procfs::syscall_name(state.nr));
  info.args.assign(state.args.begin(), state.args.end());
  for (int arg : procfs::syscall_fd_args(state.nr)) {
    FdDescription fd;
    fd.arg = arg;
    fd.fd = static_cast<int>(state.args[static_cast<std::size_t>(arg)]);
    if (auto link = reader_.fd(fd.fd)) fd.target = link->target;
    fd.description = reader_.describe_fd(fd.fd);
    info.fds.push_back(std::move(fd));
  }
  return info;
}

Thread LiveCapture::build_thread(RawThread& raw) {
  Thread thread;
  thread.tid = raw.tid;
  thread.notes = std::move(raw.notes);
  if (raw.exited && raw.stat.tid == 0) {
    thread.state = "X";
    thread.kernel.method = "procfs";
    thread.user.method = "none";
    thread.notes.push_back("thread exited during capture");
    return thread;
  }
  thread.name = raw.stat.name;
  thread.state = raw.exited ? "X" : std::string(1, raw.stat.state);
  thread.wchan = raw.wchan;
  if (raw.syscall && raw.syscall->kind == procfs::SyscallState::Kind::InSyscall) {
    thread.syscall = decode_syscall(*raw.syscall);
  }

  thread.kernel.method = "procfs";
  if (!raw.kernel_before) {
    thread.kernel.error = kernel_stack_error(raw.kernel_before.error());
  } else if (auto frames = procfs::parse_kernel_stack(*raw.kernel_before)) {
    for (const auto& kf : *frames) {
      Frame frame;
      frame.function = kf.function;
      frame.offset = kf.offset;
      frame.size = kf.size;
      if (kf.address) frame.pc = *kf.address;
      if (!kf.module.empty()) frame.module = kf.module;
      thread.kernel.frames.push_back(std::move(frame));
    }
  } else {
    thread.kernel.error = frames.error().message;
  }

  thread.user.method = "none";
  if (raw.exited) {
    thread.notes.push_back("thread exited during capture");
    thread.user.method = "none";
    return thread;
  }
  if (raw.kernel_thread) {
    thread.user.method = "none";
    thread.notes.push_back("kernel thread: it has no user stack");
    return thread;
  }
  if (raw.user_error) {
    thread.user.error = raw.user_error;
    return thread;
  }
  if (!unwinder_) {
    thread.user.error = unwinder_error_;
    return thread;
  }
  if (raw.sample) {
    thread.user.method = raw.unwound_without_stop ? "nostop" : std::string(unwinder_->method());
    unwind::UnwoundStack stack = unwinder_->unwind(*raw.sample);
    for (auto& uf : stack.frames) {
      Frame frame;
      frame.pc = uf.pc.value();
      frame.function = std::move(uf.function);
      frame.offset = uf.offset;
      if (!uf.module.empty()) frame.module = std::move(uf.module);
      if (!uf.file.empty()) frame.file = std::move(uf.file);
      if (uf.line > 0) frame.line = uf.line;
      frame.inlined = uf.inlined;
      thread.user.frames.push_back(std::move(frame));
    }
    thread.user.error = stack.error;
  }
  return thread;
}

}  // namespace

Result<Snapshot> capture_live(int pid, const CaptureOptions& options) {
  LiveCapture capture(pid, options);
  return capture.run();
}

}  // namespace ukstack
