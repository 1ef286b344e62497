#include "capture/signal_guard.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstddef>

namespace ukstack {

namespace {

// Fixed storage: the handler may not allocate. A slot holds a tid, negated while
// the thread lingers. 65,536 slots cover --stop all on the largest processes.
constexpr std::size_t kSlots = 65536;
std::array<std::atomic<int>, kSlots> g_seized{};
std::atomic<std::size_t> g_high_water{0};

constexpr std::array kHandledSignals = {SIGALRM, SIGINT,  SIGTERM, SIGHUP, SIGQUIT,
                                        SIGSEGV, SIGABRT, SIGBUS,  SIGFPE, SIGILL};
struct sigaction g_previous[kHandledSignals.size()];

std::size_t find_slot(int value) {
  std::size_t end = g_high_water.load();
  for (std::size_t i = 0; i < end; ++i) {
    if (g_seized[i].load() == value) return i;
  }
  return kSlots;
}

void on_fatal_signal(int signo) {
  SeizeRegistry::detach_all();
  if (signo == SIGALRM) {
    // The watchdog: something the target controls (a /proc read that waits on its
    // memory-map lock, say) did not return. Give up with DESIGN's "nothing captured".
    static const char kMessage[] =
        "ukstack: gave up: reading the target did not finish in time (is a thread holding "
        "its memory-map lock in state D?)\n";
    (void)!write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    _exit(2);
  }
  // Then what the signal would have done without us: default action, re-raised
  // (it is delivered when the handler returns).
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  sigaction(signo, &default_action, nullptr);
  raise(signo);
}

}  // namespace

void SeizeRegistry::add(int tid) {
  for (std::size_t i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (g_seized[i].compare_exchange_strong(expected, tid)) {
      std::size_t high = g_high_water.load();
      while (high < i + 1 && !g_high_water.compare_exchange_weak(high, i + 1)) {
      }
      return;
    }
  }
  // Full: the kernel still detaches at exit, so this only loses the early detach.
}

void SeizeRegistry::remove(int tid) {
  std::size_t slot = find_slot(tid);
  if (slot == kSlots) slot = find_slot(-tid);
  if (slot != kSlots) g_seized[slot].store(0);
}

void SeizeRegistry::mark_lingering(int tid) {
  std::size_t slot = find_slot(tid);
  if (slot != kSlots) g_seized[slot].store(-tid);
}

int SeizeRegistry::detach_lingering() {
  int remaining = 0;
  std::size_t end = g_high_water.load();
  for (std::size_t i = 0; i < end; ++i) {
    int value = g_seized[i].load();
    if (value >= 0) continue;
    int tid = -value;
    int status = 0;
    pid_t waited = waitpid(tid, &status, __WALL | WNOHANG);
    if (waited == tid && WIFSTOPPED(status)) {
      int signal = status >> 16 == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(status);
      ptrace(PTRACE_DETACH, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(signal)));
      g_seized[i].store(0);
    } else if (waited == tid || (waited < 0 && errno == ECHILD)) {
      g_seized[i].store(0);  // exited
    } else {
      ++remaining;
    }
  }
  return remaining;
}

void SeizeRegistry::detach_all() {
  std::size_t end = g_high_water.load();
  for (std::size_t i = 0; i < end; ++i) {
    int value = g_seized[i].load();
    if (value == 0) continue;
    int tid = value < 0 ? -value : value;
    // Fails harmlessly (ESRCH) for a thread not in a stop; the kernel detaches
    // those when we exit.
    ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
  }
}

FatalSignalGuard::FatalSignalGuard() {
  struct sigaction action {};
  action.sa_handler = &on_fatal_signal;
  sigfillset(&action.sa_mask);  // no second handler runs inside the first
  for (std::size_t i = 0; i < kHandledSignals.size(); ++i) {
    sigaction(kHandledSignals[i], &action, &g_previous[i]);
  }
}

FatalSignalGuard::~FatalSignalGuard() {
  for (std::size_t i = 0; i < kHandledSignals.size(); ++i) {
    sigaction(kHandledSignals[i], &g_previous[i], nullptr);
  }
}

Watchdog::Watchdog(std::chrono::milliseconds limit) {
  alarm(static_cast<unsigned>(std::chrono::ceil<std::chrono::seconds>(limit).count()));
}

Watchdog::~Watchdog() { alarm(0); }

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
