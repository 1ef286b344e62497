#include "capture/seized_thread.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <cerrno>
#include <string>

#include "capture/signal_guard.h"

namespace ukstack {

Result<SeizedThread> SeizedThread::seize(int tid) {
  if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
    return Error::from_errno(errno, "cannot seize thread " + std::to_string(tid));
  }
  SeizeRegistry::add(tid);
  return SeizedThread(tid);
}

SeizedThread::SeizedThread(SeizedThread&& other) noexcept
    : tid_(other.tid_), stopped_(other.stopped_), signal_to_deliver_(other.signal_to_deliver_) {
  other.tid_ = -1;
}

SeizedThread::~SeizedThread() { detach(); }

bool SeizedThread::interrupt() { return ptrace(PTRACE_INTERRUPT, tid_, nullptr, nullptr) == 0; }

SeizedThread::Stop SeizedThread::wait_for_stop(std::chrono::steady_clock::time_point deadline) {
  if (tid_ < 0) return Stop::Exited;
  if (stopped_) return Stop::Stopped;
  sigset_t child_signal;
  sigemptyset(&child_signal);
  sigaddset(&child_signal, SIGCHLD);
  for (;;) {
    int status = 0;
    pid_t waited = waitpid(tid_, &status, __WALL | WNOHANG);
    if (waited == tid_) {
      if (WIFEXITED(status) || WIFSIGNALED(status)) {
        SeizeRegistry::remove(tid_);
        tid_ = -1;
        return Stop::Exited;
      }
      if (WIFSTOPPED(status)) {
        stopped_ = true;
        // PTRACE_EVENT_STOP is our interrupt (or a group-stop, which detaching
        // leaves as it was). Any other stop is a signal on its way to the thread:
        // we stand in its delivery path, so hand it back on detach.
        if (status >> 16 != PTRACE_EVENT_STOP) signal_to_deliver_ = WSTOPSIG(status);
        return Stop::Stopped;
      }
      continue;
    }
    if (waited < 0 && errno != EINTR) {
      if (errno == ECHILD) {  // no longer our tracee: it is gone
        SeizeRegistry::remove(tid_);
        tid_ = -1;
        return Stop::Exited;
      }
      return Stop::TimedOut;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return Stop::TimedOut;
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
    timespec timeout{static_cast<time_t>(left.count() / 1'000'000'000),
                     static_cast<long>(left.count() % 1'000'000'000)};
    // Woken by the SIGCHLD the kernel sends the tracer when the thread stops.
    sigtimedwait(&child_signal, nullptr, &timeout);
  }
}

Result<user_regs_struct> SeizedThread::registers() const {
  user_regs_struct regs{};
  if (ptrace(PTRACE_GETREGS, tid_, nullptr, &regs) != 0) {
    return Error::from_errno(errno, "cannot read the registers of thread " + std::to_string(tid_));
  }
  return regs;
}

void SeizedThread::detach() {
  if (tid_ < 0) return;
  if (!stopped_) {
    // It may have stopped just now; a seized thread can only be detached in a stop.
    int status = 0;
    if (waitpid(tid_, &status, __WALL | WNOHANG) == tid_ && WIFSTOPPED(status)) {
      stopped_ = true;
      if (status >> 16 != PTRACE_EVENT_STOP) signal_to_deliver_ = WSTOPSIG(status);
    }
  }
  if (stopped_) {
    ptrace(PTRACE_DETACH, tid_, nullptr,
           reinterpret_cast<void*>(static_cast<long>(signal_to_deliver_)));
    SeizeRegistry::remove(tid_);
  } else {
    // Still running inside the kernel: stays in the registry and is detached by
    // the kernel when ukstack exits (see the header).
    SeizeRegistry::mark_lingering(tid_);
  }
  tid_ = -1;
}

ChildSignalBlock::ChildSignalBlock() {
  sigset_t child_signal;
  sigset_t previous;
  sigemptyset(&child_signal);
  sigaddset(&child_signal, SIGCHLD);
  sigprocmask(SIG_BLOCK, &child_signal, &previous);
  was_blocked_ = sigismember(&previous, SIGCHLD) == 1;
}

ChildSignalBlock::~ChildSignalBlock() {
  if (was_blocked_) return;
  sigset_t child_signal;
  sigemptyset(&child_signal);
  sigaddset(&child_signal, SIGCHLD);
  sigprocmask(SIG_UNBLOCK, &child_signal, nullptr);
}

}  // namespace ukstack
