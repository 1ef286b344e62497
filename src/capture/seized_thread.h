// Stopping one thread without a signal: PTRACE_SEIZE + PTRACE_INTERRUPT, a wait with
// a deadline, the registers, PTRACE_DETACH. Never PTRACE_ATTACH, never SIGSTOP.
#pragma once

#include <sys/user.h>

#include "base/result.h"
#include "capture/tracer.h"

namespace ukstack {

// Owns a seize. Not copyable; the destructor detaches, so no path leaves a thread
// seized.
class SeizedThread {
 public:
  // ESRCH: the thread is gone. EPERM: not permitted, or already traced.
  static Result<SeizedThread> seize(Tracer& tracer, int tid);

  SeizedThread(SeizedThread&& other) noexcept;
  SeizedThread& operator=(SeizedThread&&) = delete;
  SeizedThread(const SeizedThread&) = delete;
  SeizedThread& operator=(const SeizedThread&) = delete;
  ~SeizedThread();

  int tid() const { return tid_; }

  // Asks the thread to stop (PTRACE_INTERRUPT). False when it is gone.
  bool interrupt();
  // Waits until the interrupted thread stops or the deadline passes.
  StopOutcome wait_for_stop(Clock::time_point deadline);

  // Only after StopOutcome::Stopped.
  Result<user_regs_struct> registers() const;
  Result<unwind::StackCopy> copy_stack(RemoteAddr sp, std::size_t max_bytes,
                                       unwind::ByteBuffer buffer) const;

  // Lets the thread run on, handing back a signal that arrived while we held it.
  // A thread that has not stopped yet cannot be detached: it lingers (Tracer::linger)
  // and, because no SIGSTOP was ever sent, runs on once let go.
  void detach();

 private:
  SeizedThread(Tracer& tracer, int tid) : tracer_(&tracer), tid_(tid) {}

  Tracer* tracer_;
  int tid_ = -1;
  bool stopped_ = false;
  int signal_to_deliver_ = 0;
};

}  // namespace ukstack
