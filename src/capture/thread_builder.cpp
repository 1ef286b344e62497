#include "capture/thread_builder.h"

#include "capture/stop_policy.h"
#include "procfs/kernel_stack.h"
#include "procfs/syscall_names.h"

namespace ukstack {

namespace {

std::string kernel_stack_error(const Error& error) {
  if (error.errnum == EACCES || error.errnum == EPERM) {
    return "kernel stack needs root (CAP_SYS_ADMIN)";
  }
  return error.message;
}

// What the thread's counters said before any stop (a reused thread's are read
// afresh too). Where schedstat is kept, its count of runs already counts every
// context switch, and status is not read; where it is not, the switches decide.
std::optional<ThreadActivity> activity_of(const RawThread& raw) {
  if (!raw.sched_before && !raw.status) return std::nullopt;
  ThreadActivity activity;
  if (raw.sched_before) {
    activity.cpu_ns = raw.sched_before->cpu_ns;
    activity.times_run = raw.sched_before->times_run;
  }
  if (raw.status) {
    activity.voluntary_switches = raw.status->voluntary_ctxt_switches;
    activity.involuntary_switches = raw.status->nonvoluntary_ctxt_switches;
  }
  return activity;
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
  if (!uf.build_id.empty()) frame.build_id = std::move(uf.build_id);
  frame.module_offset = uf.module_offset;
  return frame;
}

ThreadBuilder::ThreadBuilder(const procfs::ProcessReader& reader, unwind::Unwinder* unwinder,
                             std::string unwinder_error, StackMethod method)
    : reader_(reader),
      unwinder_(unwinder),
      unwinder_error_(std::move(unwinder_error)),
      method_(method) {}

Thread ThreadBuilder::build(RawThread& raw) {
  Thread thread;
  thread.tid = raw.tid;
  thread.notes = std::move(raw.notes);
  thread.kernel.method = raw.from_bpf ? StackMethod::Bpf : StackMethod::Procfs;
  thread.user.method = StackMethod::None;
  if (raw.exited && raw.stat.tid == 0) {
    thread.state = "X";
    thread.notes.push_back("thread exited during capture");
    return thread;
  }
  thread.activity = activity_of(raw);
  thread.name = raw.stat.name;
  thread.state = raw.exited ? "X" : std::string(1, raw.stat.state);
  thread.wchan = raw.wchan;
  if (raw.syscall && raw.syscall->kind == procfs::SyscallState::Kind::InSyscall) {
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
  if (raw.reused_user) {
    thread.user = std::move(*raw.reused_user);
    raw.reused_user.reset();
    return thread;
  }
  if (!raw.unwound && raw.sample) {
    if (unwinder_ == nullptr) {
      thread.user.error = unwinder_error_;
      return thread;
    }
    raw.unwound = unwinder_->unwind(*raw.sample);
  }
  if (raw.unwound) {
    thread.user.method = raw.from_bpf               ? StackMethod::Bpf
                         : raw.unwound_without_stop ? StackMethod::Nostop
                                                    : method_;
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

// Right after the detach the thread is still restarting its call. The kernel
// restarts an interrupted wait, sometimes through restart_syscall, so the question
// asked is whether the thread is still blocked at the same place in user space.
void ThreadBuilder::recheck_kernel_half(const RawThread& raw, Thread& thread) const {
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

SyscallInfo ThreadBuilder::decode_syscall(const procfs::SyscallState& state) {
  SyscallInfo info;
  info.nr = state.nr;
  info.name = std::string(procfs::syscall_name(state.nr));
  info.args.assign(state.args.begin(), state.args.end());
  for (int arg : procfs::syscall_fd_args(state.nr)) {
    int number = static_cast<int>(state.args[static_cast<std::size_t>(arg)]);
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

}  // namespace ukstack
