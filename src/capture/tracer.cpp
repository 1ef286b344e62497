#include "capture/tracer.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <cerrno>
#include <string>

#include "capture/signal_guard.h"
#include "unwind/live_address_space.h"

namespace ukstack {

Status PtraceTracer::seize(int tid) {
  if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
    return Error::from_errno(errno, "cannot seize thread " + std::to_string(tid));
  }
  SeizeRegistry::add(tid);
  return {};
}

bool PtraceTracer::interrupt(int tid) {
  return ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) == 0;
}

WaitResult PtraceTracer::wait_for_stop(int tid, Clock::time_point deadline) {
  sigset_t child_signal;
  sigemptyset(&child_signal);
  sigaddset(&child_signal, SIGCHLD);
  for (;;) {
    int status = 0;
    pid_t waited = waitpid(tid, &status, __WALL | WNOHANG);
    if (waited == tid) {
      if (WIFEXITED(status) || WIFSIGNALED(status)) {
        SeizeRegistry::remove(tid);
        return {StopOutcome::Exited};
      }
      if (WIFSTOPPED(status)) {
        // PTRACE_EVENT_STOP is our interrupt (or a group-stop, which detaching
        // leaves as it was). Any other stop is a signal on its way to the thread.
        int signal = status >> 16 == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(status);
        return {StopOutcome::Stopped, signal};
      }
      continue;
    }
    if (waited < 0 && errno != EINTR) {
      if (errno == ECHILD) {  // no longer our tracee: it is gone
        SeizeRegistry::remove(tid);
        return {StopOutcome::Exited};
      }
      return {StopOutcome::TimedOut};
    }
    auto now = Clock::now();
    if (now >= deadline) return {StopOutcome::TimedOut};
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
    timespec timeout{static_cast<time_t>(left.count() / 1'000'000'000),
                     static_cast<long>(left.count() % 1'000'000'000)};
    // Woken by the SIGCHLD the kernel sends the tracer when the thread stops.
    sigtimedwait(&child_signal, nullptr, &timeout);
  }
}

Result<user_regs_struct> PtraceTracer::registers(int tid) {
  user_regs_struct regs{};
  if (ptrace(PTRACE_GETREGS, tid, nullptr, &regs) != 0) {
    return Error::from_errno(errno, "cannot read the registers of thread " + std::to_string(tid));
  }
  return regs;
}

Result<unwind::StackCopy> PtraceTracer::copy_stack(int tid, RemoteAddr sp, std::size_t max_bytes,
                                                   unwind::ByteBuffer buffer) {
  // process_vm_readv: one system call for the whole range, never PEEKDATA per word.
  return unwind::copy_stack(unwind::LiveAddressSpace(tid), sp, max_bytes, std::move(buffer));
}

void PtraceTracer::detach(int tid, int signal) {
  ptrace(PTRACE_DETACH, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(signal)));
  SeizeRegistry::remove(tid);
}

void PtraceTracer::linger(int tid) { SeizeRegistry::mark_lingering(tid); }

int PtraceTracer::detach_lingering() { return SeizeRegistry::detach_lingering(); }

}  // namespace ukstack
