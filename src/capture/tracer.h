// The seam in front of ptrace: every call that stops, inspects or lets go of a
// thread goes through a Tracer, so the stop policy is unit-tested with a fake
// (tests/capture) and runs against the kernel through PtraceTracer.
#pragma once

#include <sys/user.h>

#include <chrono>
#include <cstddef>

#include "base/remote_addr.h"
#include "base/result.h"
#include "unwind/stack_copy.h"

namespace ukstack {

using Clock = std::chrono::steady_clock;

enum class StopOutcome {
  Stopped,   // in a ptrace stop: registers can be read
  TimedOut,  // did not stop by the deadline (state D, or busy in the kernel)
  Exited,    // the thread ended while we waited
};

struct WaitResult {
  StopOutcome outcome = StopOutcome::TimedOut;
  // A signal that arrived while we held the thread (we stand in its delivery
  // path): handed back to it on detach. 0 for our own interrupt.
  int signal = 0;
};

class Tracer {
 public:
  virtual ~Tracer() = default;

  // PTRACE_SEIZE: ESRCH when the thread is gone, EPERM when not permitted (or
  // already traced). Never a signal to the thread.
  virtual Status seize(int tid) = 0;
  // PTRACE_INTERRUPT. False when the thread is gone.
  virtual bool interrupt(int tid) = 0;
  // Until the interrupted thread stops, exits, or the deadline passes. A deadline
  // already past checks once without waiting.
  virtual WaitResult wait_for_stop(int tid, Clock::time_point deadline) = 0;
  // Only in a stop.
  virtual Result<user_regs_struct> registers(int tid) = 0;
  // [sp, sp + max_bytes) of a stopped thread's memory, less where the mapping ends,
  // into `buffer` (no allocation while the thread is stopped).
  virtual Result<unwind::StackCopy> copy_stack(int tid, RemoteAddr sp, std::size_t max_bytes,
                                               unwind::ByteBuffer buffer) = 0;
  // Only in a stop: lets the thread run on, with `signal` handed back.
  virtual void detach(int tid, int signal) = 0;
  // A seized thread that never stopped cannot be detached: it stays seized until it
  // stops (then detach_lingering lets it go) or ukstack exits (the kernel does).
  virtual void linger(int tid) = 0;
  // Detaches lingering threads that have stopped since. Returns how many remain.
  virtual int detach_lingering() = 0;
};

// The real one. Every seized thread is also in the SeizeRegistry, which the
// fatal-signal handler detaches (signal_guard.h). Waits sleep in sigtimedwait for
// SIGCHLD, which the caller keeps blocked (ChildSignalBlock, owned by main).
class PtraceTracer final : public Tracer {
 public:
  Status seize(int tid) override;
  bool interrupt(int tid) override;
  WaitResult wait_for_stop(int tid, Clock::time_point deadline) override;
  Result<user_regs_struct> registers(int tid) override;
  Result<unwind::StackCopy> copy_stack(int tid, RemoteAddr sp, std::size_t max_bytes,
                                       unwind::ByteBuffer buffer) override;
  void detach(int tid, int signal) override;
  void linger(int tid) override;
  int detach_lingering() override;
};

}  // namespace ukstack
