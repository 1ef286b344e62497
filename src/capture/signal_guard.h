// Every thread ukstack holds seized is in the SeizeRegistry. If ukstack receives
// SIGINT, SIGTERM, SIGHUP or SIGQUIT, or crashes (SIGSEGV, SIGABRT, SIGBUS, SIGFPE,
// SIGILL), an async-signal-safe handler detaches them all, then lets the signal do
// what it would have done. SIGALRM is the capture's watchdog: detach, one line on
// stderr, exit 2. (After SIGKILL the kernel detaches; since no SIGSTOP was ever
// sent, the target runs on.)
//
// These are process-wide: main owns them (FatalSignalGuard, Watchdog,
// ChildSignalBlock), never a library call.
#pragma once

#include <chrono>

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

// alarm(2) for the life of the object; FatalSignalGuard turns SIGALRM into detach
// + exit 2. Covers a single read that never returns (a /proc file or
// process_vm_readv waiting on the target's mmap lock), which no deadline checked
// between reads can.
class Watchdog {
 public:
  explicit Watchdog(std::chrono::milliseconds limit);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
};

// Blocks SIGCHLD for the life of the object, so waits for a ptrace stop sleep in
// sigtimedwait and wake on the stop rather than polling.
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
