#include "capture/stop_policy.h"

#include <sys/syscall.h>

#include <string>

#include "unwind/registers.h"

namespace ukstack {

bool at_same_place(const procfs::SyscallState& before, const procfs::SyscallState& after,
                   bool allow_restart) {
  bool same_call = after.nr == before.nr || (allow_restart && after.nr == SYS_restart_syscall);
  return after.kind == before.kind && after.sp == before.sp && after.pc == before.pc && same_call;
}

StopPolicy::StopPolicy(const CaptureOptions& options, const procfs::ProcessReader& reader,
                       Tracer& tracer, unwind::Unwinder* unwinder,
                       const std::unordered_map<int, VerifiedThread>* verified, BpfRecords* bpf)
    : options_(options),
      reader_(reader),
      tracer_(tracer),
      unwinder_(unwinder),
      verified_(verified),
      bpf_(bpf) {}

// PTRACE_SEIZE refuses (EPERM) a thread that is exiting: that is not a permission
// problem, the thread is just going away.
bool StopPolicy::now_exiting(int tid) const {
  auto stat = reader_.stat(tid);
  return !stat || stat->state == 'Z' || stat->state == 'X';
}

// Step 1, first: the thread's stat and its scheduler counters. False when the
// thread is gone.
bool StopPolicy::read_stat(RawThread& raw) {
  auto stat = reader_.stat(raw.tid);
  if (!stat) {
    raw.exited = true;
    return false;
  }
  raw.stat = *stat;
  raw.kernel_thread = stat->is_kernel_thread();
  // Read before both halves and before any stop (which makes a thread run): auto's
  // verification needs it (a thread never on a CPU from here to the re-read cannot
  // have moved), and samples compare it to tell stuck from waking.
  if (auto sched = reader_.schedstat(raw.tid); sched && sched->kept()) raw.sched_before = *sched;
  return true;
}

// Step 1, then: everything else /proc says about the thread, before it is stopped:
// a stopped thread's kernel stack shows ptrace_stop, not the call it was blocked
// in. False when there is no user half to get (kernel thread, zombie, exiting).
bool StopPolicy::read_before_stop(RawThread& raw) {
  raw.kernel_before = reader_.kernel_stack_text(raw.tid);
  if (auto syscall = reader_.syscall(raw.tid)) raw.syscall = *syscall;
  // wchan is the kernel stack's first frame (the builder takes it from there);
  // read the file only when the stack cannot be read (wchan needs less privilege).
  if (!raw.kernel_before) {
    if (auto wchan = reader_.wchan(raw.tid)) raw.wchan = *wchan;
  }
  // Where the kernel keeps no schedstat, context switches stand in for it.
  if (!raw.sched_before) {
    if (auto status = reader_.status(raw.tid)) raw.status = *status;
  }

  if (raw.kernel_thread) return false;  // no user half, and ptrace would refuse
  if (raw.stat.state == 'Z' || raw.stat.state == 'X') {
    // Only a leader stays a zombie while its other threads live; any other thread
    // seen as Z or X is in the middle of exiting.
    if (raw.tid == reader_.pid()) {
      raw.notes.push_back("zombie: the thread has exited and has no user stack left");
    } else {
      raw.exited = true;
    }
    return false;
  }
  return true;
}

// auto, after read_stat: a thread the previous capture verified in place, and that
// has not been on a CPU since (the same schedstat: time run and times scheduled,
// counted in nanoseconds, so a reused tid cannot match), has the same kernel stack,
// system call and user stack as then: two reads instead of five and an unwind. Its
// name and state are the ones just read (another thread may rename it).
bool StopPolicy::reuse_if_never_ran(RawThread& raw) {
  if (options_.stop != StopMode::Auto || verified_ == nullptr || !raw.sched_before) return false;
  auto known = verified_->find(raw.tid);
  if (known == verified_->end() || !known->second.sched.same_run_as(*raw.sched_before) ||
      raw.stat.state == 'Z' || raw.stat.state == 'X') {
    return false;
  }
  raw.kernel_before = known->second.kernel_text;
  raw.syscall = known->second.syscall;
  raw.reused_user = known->second.user;
  raw.unwound_without_stop = true;
  raw.verified_in_place = true;
  return true;
}

// The BPF engine, in auto and none: a thread whose record is of one moment is taken
// from it whole, and nothing about it is read from /proc or stopped. A record
// taken while the thread woke is taken again, a few times; a running thread, a
// zombie, or a thread the pass did not see takes today's path.
bool StopPolicy::take_from_bpf(RawThread& raw) {
  if (bpf_ == nullptr || (options_.stop != StopMode::Auto && options_.stop != StopMode::None)) {
    return false;
  }
  BpfThreadRead* read = bpf_->has_pass() ? bpf_->find(raw.tid) : bpf_->demand(raw.tid);
  for (int attempt = 0; read != nullptr; ++attempt) {
    if (read->state == 'R' || read->zombie || read->state == 'X') break;
    if (read->one_moment() && use_bpf_record(raw, *read)) return true;
    if (attempt == options_.bpf_retries) break;
    read = bpf_->take_again(raw.tid);
  }
  const int tid = raw.tid;
  raw = RawThread{};  // what a try filled in is not of today's path
  raw.tid = tid;
  return false;
}

// The halves from one record. The unwind reads the copy, and beyond it the live
// stack: then the thread must not have run since the record (its schedstat the
// same), or the record is not used.
bool StopPolicy::use_bpf_record(RawThread& raw, BpfThreadRead& read) {
  raw.stat = procfs::TaskStat{};
  raw.stat.tid = read.tid;
  raw.stat.name = read.name;
  raw.stat.state = read.state;
  raw.stat.flags = read.flags;
  raw.kernel_thread = read.kernel_thread();
  raw.sched_before = read.sched();
  raw.kernel_before = read.kernel_stack;
  raw.syscall = read.syscall();
  raw.from_bpf = true;
  if (raw.kernel_thread) return true;
  if (!read.registers) return false;
  raw.unwound_without_stop = true;
  raw.verified_in_place = true;
  if (verified_ != nullptr) {
    auto known = verified_->find(raw.tid);
    if (known != verified_->end() && known->second.sched.same_run_as(*raw.sched_before)) {
      raw.reused_user = known->second.user;  // not on a CPU since: the same stack
      return true;
    }
  }
  unwind::ThreadSample sample;
  sample.tid = raw.tid;
  sample.registers = unwind::registers_from_ptrace(*read.registers);
  sample.stack = std::move(read.stack);
  if (unwinder_ == nullptr) {
    raw.sample = std::move(sample);  // the builder says why there is no user half
    return true;
  }
  unwind::UnwoundStack stack = unwinder_->unwind(sample);
  if (stack.read_live_memory) {
    auto after = reader_.schedstat(raw.tid);
    if (!after || !raw.sched_before->same_run_as(*after)) return false;
  }
  raw.unwound = std::move(stack);
  return true;
}

void StopPolicy::capture_one(RawThread& raw) {
  if (bpf_ != nullptr && bpf_->has_pass() && take_from_bpf(raw)) return;
  if (!read_stat(raw)) return;
  if (reuse_if_never_ran(raw)) return;
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
      // On demand: what /proc could not give whole without a stop, BPF can.
      if (raw.blocked() && bpf_ != nullptr && !bpf_->has_pass()) {
        RawThread procfs_read = raw;
        if (take_from_bpf(raw)) return;
        raw = std::move(procfs_read);
      }
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
void StopPolicy::use_no_stop(RawThread& raw, const std::string& why) {
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
bool StopPolicy::try_verified_no_stop(RawThread& raw) {
  if (unwinder_ == nullptr || (!raw.sched_before && !raw.status)) return false;
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

// Steps 2-5 for one thread: seizes the thread and asks it to stop. Empty when it
// cannot be stopped; raw then says why (exited, or not permitted).
std::optional<SeizedThread> StopPolicy::seize_and_interrupt(RawThread& raw) {
  auto seized = SeizedThread::seize(tracer_, raw.tid);
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
void StopPolicy::gave_up_waiting(RawThread& raw) {
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
unwind::ByteBuffer StopPolicy::take_stack_buffer() {
  if (stack_buffer_.capacity() < options_.stack_copy_bytes) {
    stack_buffer_.assign(options_.stack_copy_bytes, std::byte{0});
  }
  return std::move(stack_buffer_);
}

void StopPolicy::stop_one(RawThread& raw) {
  auto buffer = take_stack_buffer();
  auto seized = seize_and_interrupt(raw);
  if (!seized) {
    stack_buffer_ = std::move(buffer);
    return;
  }
  auto stop = seized->wait_for_stop(Clock::now() + options_.timeout);
  if (stop == StopOutcome::Exited) {
    raw.exited = true;
  } else if (stop == StopOutcome::Stopped) {
    sample_stopped(raw, *seized, std::move(buffer));
  }
  seized->detach();  // at once: the unwind runs on the copy
  // Nothing is stopped now: unwind at once and hand the copy's buffer on to the
  // next thread, so memory does not grow with the number of threads.
  if (raw.sample && unwinder_ != nullptr) {
    raw.unwound = unwinder_->unwind(*raw.sample);
    stack_buffer_ = std::move(raw.sample->stack.bytes);
    raw.sample.reset();
  }
  if (stop == StopOutcome::TimedOut) gave_up_waiting(raw);
}

// While the thread is stopped: its registers and one copy of its live stack. Nothing
// else (no file access, no symbol lookup) happens during a stop.
void StopPolicy::sample_stopped(RawThread& raw, SeizedThread& seized, unwind::ByteBuffer buffer) {
  auto regs = seized.registers();
  if (!regs) {
    raw.user_error = regs.error().message;
    return;
  }
  unwind::ThreadSample sample;
  sample.tid = raw.tid;
  sample.registers = unwind::registers_from_ptrace(*regs);
  if (auto copy =
          seized.copy_stack(sample.registers.sp(), options_.stack_copy_bytes, std::move(buffer))) {
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

// --stop all: kernel halves first, then every thread stopped (asking for new
// threads until none appears), then sampled, then all detached.
void StopPolicy::capture_all(std::vector<RawThread>& raws,
                             const std::function<std::vector<int>()>& fresh,
                             Clock::time_point run_deadline,
                             const std::function<void()>& while_stopped) {
  std::vector<std::optional<SeizedThread>> seized;
  std::vector<unwind::ByteBuffer> buffers;  // each thread's stack copy, touched before the stop
  for (int pass = 0; pass < kMaxRescans && Clock::now() < run_deadline; ++pass) {
    std::vector<int> tids = fresh();
    if (tids.empty()) break;
    std::size_t first = raws.size();
    // Every kernel half is read before the first interrupt: the process is then
    // held only for the ptrace calls and the stack copies, not for /proc reads.
    std::vector<bool> stoppable;
    for (int tid : tids) {
      RawThread& raw = raws.emplace_back();
      raw.tid = tid;
      seized.emplace_back();
      stoppable.push_back(read_stat(raw) && read_before_stop(raw));
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
      if (stop == StopOutcome::Exited) {
        raws[i].exited = true;
        seized[i].reset();
      } else if (stop == StopOutcome::TimedOut) {
        seized[i].reset();  // detaches, or lingers until it stops: see SeizedThread::detach
        gave_up_waiting(raws[i]);
      }
    }
  }
  // Every thread that could be is stopped now: sample them, then let all go.
  for (std::size_t i = 0; i < raws.size(); ++i) {
    if (seized[i]) sample_stopped(raws[i], *seized[i], std::move(buffers[i]));
  }
  if (while_stopped) while_stopped();
  for (auto& thread : seized) {
    if (thread) thread->detach();
  }
}

}  // namespace ukstack
