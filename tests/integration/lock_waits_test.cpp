// Who holds the lock a thread waits for, live and from a core: each scene of the
// lock_waits fixture (deadlocks, a long wait, rwlocks, mutex kinds, std::mutex and
// std::shared_mutex) is captured through the C++ API (capture_live), then written
// to a core by gdb's gcore (a test oracle) and read with capture_core. Every
// waiter's wait must name the lock the fixture printed and, as its holder, the
// thread the fixture says took it; readers-only rwlocks have no holder and say so;
// threads that wait for no lock (owners, a condition variable's waiter) have none.
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "base/format.h"
#include "capture/core/core_capture.h"
#include "capture/session.h"
#include "capture/signal_guard.h"
#include "tests/integration/capture_helpers.h"
#include "tests/integration/lock_actors.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;

const Thread* thread_with_tid(const Snapshot& snapshot, int tid) {
  auto it = std::ranges::find(snapshot.threads, tid, &Thread::tid);
  return it == snapshot.threads.end() ? nullptr : &*it;
}

// Each actor's waits in `snapshot` against what the fixture printed. Live
// snapshots name holders by their thread names; a core has no thread names.
void expect_waits_as_printed(const Snapshot& snapshot, const std::vector<Actor>& actors, int pid,
                             bool live) {
  for (const Actor& actor : actors) {
    SCOPED_TRACE(actor.name + " (tid " + std::to_string(actor.tid) + ")");
    const Thread* thread = thread_with_tid(snapshot, actor.tid);
    ASSERT_NE(thread, nullptr);
    if (live) {
      EXPECT_EQ(thread->name, actor.name);
    }
    if (actor.waits.empty()) {
      EXPECT_TRUE(thread->waits_for.empty()) << thread->waits_for.front().description;
      continue;
    }
    ASSERT_EQ(thread->waits_for.size(), 1u);
    const Wait& wait = thread->waits_for.front();
    EXPECT_EQ(to_string(wait.kind), actor.kind);
    ASSERT_TRUE(wait.address);
    EXPECT_EQ(hex(*wait.address), actor.waits);
    EXPECT_EQ(wait.description, actor.kind + " " + actor.waits);

    auto owner = std::ranges::find(actors, actor.waits, &Actor::holds);
    if (owner != actors.end()) {
      ASSERT_EQ(wait.holders.size(), 1u) << wait.reason.value_or("");
      EXPECT_EQ(wait.holders[0].pid, pid);
      EXPECT_EQ(wait.holders[0].tid, owner->tid);
      if (live) {
        EXPECT_EQ(wait.holders[0].name, owner->name);
        EXPECT_FALSE(wait.holders[0].state.empty());
      }
      EXPECT_FALSE(wait.reason);
      continue;
    }
    // Held for reading only: glibc keeps no list of readers.
    ASSERT_NE(std::ranges::find(actors, actor.waits, &Actor::reads), actors.end())
        << "the fixture names no holder of " << actor.waits;
    EXPECT_TRUE(wait.holders.empty());
    ASSERT_TRUE(wait.reason);
    EXPECT_NE(wait.reason->find("reading"), std::string::npos) << *wait.reason;
  }
}

class LockWaits : public ::testing::TestWithParam<std::string> {};

TEST_P(LockWaits, EveryWaiterNamesTheHolderTheFixturePrintedLiveAndFromACore) {
  FixtureProcess fixture = FixtureProcess::start({fixture_path("lock_waits"), GetParam()});
  const std::vector<Actor> actors = actors_of(fixture);
  ASSERT_FALSE(actors.empty()) << fixture.ready_line();
  // Owners sleep holding their locks; everyone else blocks in futex.
  for (const Actor& actor : actors) {
    const bool owner = !actor.holds.empty() || !actor.reads.empty();
    const long call = owner && actor.waits.empty() ? SYS_clock_nanosleep : SYS_futex;
    ASSERT_TRUE(wait_for_syscall(actor.tid, call, std::chrono::seconds(10)))
        << actor.name << " never blocked in system call " << call;
  }

  std::map<int, SyscallInfo> live_calls;  // by tid, as /proc/<tid>/syscall showed them
  {
    // What main holds for a capture of a live process.
    FatalSignalGuard signal_guard;
    ChildSignalBlock child_signal_block;
    auto snapshot = capture_live(fixture.pid(), CaptureOptions{});
    ASSERT_TRUE(snapshot) << snapshot.error().message;
    SCOPED_TRACE("live");
    expect_waits_as_printed(*snapshot, actors, fixture.pid(), /*live=*/true);
    for (const Thread& thread : snapshot->threads) {
      if (thread.syscall) live_calls[thread.tid] = *thread.syscall;
    }
  }

  TempDir dir;
  const int pid = fixture.pid();  // kept for the core, after the process is gone
  const Gcore core = make_gcore(pid, dir.path());
  if (core.path.empty()) GTEST_SKIP() << "no core to read: " << core.why;
  const std::string& core_path = core.path;
  fixture.kill_and_wait();  // the core alone from here on
  auto snapshot = capture_core(core_path, "", CaptureOptions{});
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  SCOPED_TRACE("core");
  // The system call from the saved registers is the one /proc showed live.
  for (const Actor& actor : actors) {
    SCOPED_TRACE(actor.name);
    const Thread* thread = thread_with_tid(*snapshot, actor.tid);
    ASSERT_NE(thread, nullptr);
    ASSERT_TRUE(thread->syscall) << "no system call from the saved registers";
    ASSERT_TRUE(live_calls.contains(actor.tid));
    const SyscallInfo& live = live_calls[actor.tid];
    EXPECT_EQ(thread->syscall->nr, live.nr);
    EXPECT_EQ(thread->syscall->name, live.name);
    EXPECT_EQ(thread->syscall->args, live.args);
    EXPECT_TRUE(thread->syscall->fds.empty());
  }
  expect_waits_as_printed(*snapshot, actors, pid, /*live=*/false);
}

INSTANTIATE_TEST_SUITE_P(Scenes, LockWaits,
                         ::testing::Values("abba", "cycle3", "long", "rwlock", "kinds", "std"));

}  // namespace
}  // namespace ukstack::test
