// Every thread ukstack holds seized is in the SeizeRegistry. If ukstack receives
// SIGINT, SIGTERM, SIGHUP or SIGQUIT, or crashes (SIGSEGV, SIGABRT, SIGBUS, SIGFPE,
// SIGILL), an async-signal-safe handler detaches them all, then lets the signal do
// what it would have done. SIGALRM is the capture's watchdog (see capture.cpp):
// detach, one line on stderr, exit 2. (After SIGKILL the kernel detaches; since no SIGSTOP was
// ever sent, the target runs on.)
#pragma once

namespace ukstack {

class SeizeRegistry {
 public:
  static void add(int tid);
  static void remove(int tid);
  // Seized but never stopped (timed out): cannot be detached until it stops.
  static void mark_lingering(int tid);
  // Detaches lingering threads that have stopped since. Returns how many remain.
  static int detach_lingering();
  // Async-signal-safe.
  static void detach_all();
};

// Installs the handlers for its lifetime.
class FatalSignalGuard {
 public:
  FatalSignalGuard();
  ~FatalSignalGuard();
  FatalSignalGuard(const FatalSignalGuard&) = delete;
  FatalSignalGuard& operator=(const FatalSignalGuard&) = delete;
};

}  // namespace ukstack
