// Stopping one thread without a signal: PTRACE_SEIZE + PTRACE_INTERRUPT, a wait with
// a deadline, the registers, PTRACE_DETACH. Never PTRACE_ATTACH, never SIGSTOP.
#pragma once

#include <sys/user.h>

#include <chrono>

#include "base/result.h"

namespace ukstack {

// Owns a ptrace seize. Not copyable; the destructor detaches, so no path leaves a
// thread seized. Every seized tid is also in the SeizeRegistry, which a fatal-signal
// handler detaches (signal_guard.h).
class SeizedThread {
 public:
  enum class Stop {
    Stopped,   // in a ptrace stop: registers can be read
    TimedOut,  // did not stop by the deadline (state D, or busy in the kernel)
    Exited,    // the thread ended while we waited
  };

  // ESRCH: the thread is gone. EPERM: not permitted, or already traced.
  static Result<SeizedThread> seize(int tid);

  SeizedThread(SeizedThread&& other) noexcept;
  SeizedThread& operator=(SeizedThread&&) = delete;
  SeizedThread(const SeizedThread&) = delete;
  SeizedThread& operator=(const SeizedThread&) = delete;
  ~SeizedThread();

  int tid() const { return tid_; }

  // Asks the thread to stop (PTRACE_INTERRUPT). False when it is gone.
  bool interrupt();
  // Waits until the interrupted thread stops or the deadline passes.
  Stop wait_for_stop(std::chrono::steady_clock::time_point deadline);

  // Only after Stop::Stopped.
  Result<user_regs_struct> registers() const;

  // Lets the thread run on, handing back a signal that arrived while we held it.
  // A thread that has not stopped yet cannot be detached: the kernel detaches it
  // when ukstack exits, and because no SIGSTOP was ever sent it runs on.
  void detach();

 private:
  explicit SeizedThread(int tid) : tid_(tid) {}

  int tid_ = -1;
  bool stopped_ = false;
  int signal_to_deliver_ = 0;
};

// Blocks SIGCHLD for the life of the object, so waits for a ptrace stop sleep in
// sigtimedwait and wake on the stop rather than polling. Create one per capture.
class ChildSignalBlock {
 public:
  ChildSignalBlock();
  ~ChildSignalBlock();
  ChildSignalBlock(const ChildSignalBlock&) = delete;
  ChildSignalBlock& operator=(const ChildSignalBlock&) = delete;

 private:
  bool was_blocked_ = false;
};

}  // namespace ukstack
