// Stuck or moving on a live fixture: five samples through one session tell the
// thread blocked forever (stuck) from the one in a 20 ms poll loop (waking) and the
// spinning one (moving, never stuck), and in auto no sample stops a blocked thread.
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <algorithm>

#include "analysis/progress.h"
#include "capture/sampling.h"
#include "capture/signal_guard.h"
#include "tests/integration/capture_helpers.h"

namespace ukstack::test {
namespace {

using namespace std::chrono_literals;

const Thread* thread_with_tid(const Snapshot& snapshot, int tid) {
  auto it = std::ranges::find(snapshot.threads, tid, &Thread::tid);
  return it == snapshot.threads.end() ? nullptr : &*it;
}

std::string progress_of(const Snapshot& snapshot, int tid) {
  const Thread* thread = thread_with_tid(snapshot, tid);
  if (thread == nullptr) return "(not in the snapshot)";
  return thread->progress ? std::string(to_string(*thread->progress)) : "(unknown)";
}

// How each sample saw the thread, for a failure message.
std::string as_sampled(const std::vector<Snapshot>& samples, int tid) {
  std::string text;
  for (const Snapshot& snapshot : samples) {
    const Thread* thread = thread_with_tid(snapshot, tid);
    if (thread == nullptr) {
      text += "(not in this sample)\n";
      continue;
    }
    text += "state " + thread->state + ", " +
            (thread->syscall ? thread->syscall->name : "no call") + ", user (" +
            std::string(to_string(thread->user.method)) + "):";
    for (const Frame& frame : thread->user.frames) text += " " + frame.function;
    text += "; kernel:";
    for (const Frame& frame : thread->kernel.frames) text += " " + frame.function;
    for (const std::string& note : thread->notes) text += "; " + note;
    text += "\n";
  }
  return text;
}

// The thread's scheduler counters as the kernel shows them, read by the test: any
// stop, signal or EINTR would make the thread run and change them.
std::string schedstat(int tid) {
  return read_text_file("/proc/" + std::to_string(tid) + "/schedstat").value_or("(gone)");
}

TEST(Samples, FiveSamplesTellStuckWakingAndMovingThreadsApart) {
  FixtureProcess fixture = FixtureProcess::start({fixture_path("stuck_or_moving")});
  const int main_tid = fixture.id("main");
  const int spin = fixture.id("spin");
  const int blocked = fixture.id("blocked");
  const int poll = fixture.id("poll");
  ASSERT_TRUE(wait_for_syscall(blocked, SYS_ppoll, 5s));
  ASSERT_TRUE(wait_for_syscall(poll, SYS_ppoll, 5s));
  ASSERT_TRUE(wait_for_syscall(main_tid, SYS_futex, 5s));

  // What main holds for a capture of a live process.
  FatalSignalGuard signal_guard;
  ChildSignalBlock child_signal_block;
  const std::string blocked_before = schedstat(blocked);
  auto samples = capture_samples(fixture.pid(), CaptureOptions{}, Sampling{5, 50ms});
  ASSERT_TRUE(samples) << samples.error().message;
  ASSERT_EQ(samples->size(), 5u);
  // Between the first and the last sample the blocked thread never ran: no sample
  // stopped it (auto takes it without a stop, then as it was while it never runs).
  EXPECT_EQ(schedstat(blocked), blocked_before);

  const std::string poll_sampled = as_sampled(*samples, poll);
  const std::string spin_sampled = as_sampled(*samples, spin);
  Snapshot result = mark_progress(std::move(*samples), 50);
  ASSERT_TRUE(result.samples);
  EXPECT_EQ(result.samples->count, 5);
  EXPECT_EQ(result.samples->interval_ms, 50);
  EXPECT_EQ(progress_of(result, blocked), "stuck");
  EXPECT_EQ(progress_of(result, main_tid), "stuck");
  EXPECT_EQ(progress_of(result, poll), "waking") << poll_sampled;
  EXPECT_EQ(progress_of(result, spin), "moving") << spin_sampled;
  // Nothing left stopped or traced.
  for (int tid : {main_tid, spin, blocked, poll}) {
    EXPECT_NE(thread_state(tid), std::optional<char>('t')) << tid;
  }
}

TEST(Samples, BadSampleOptionsExit64WithOneLine) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"--samples", "1", "1"},                          // one sample compares nothing
           {"--samples", "101", "1"},                        // past the bound
           {"--samples", "five", "1"},                       // not a number
           {"--samples", "5", "--interval", "0", "1"},       // no interval
           {"--samples", "5", "--interval", "10001", "1"},   // past the bound
           {"--samples", "100", "--interval", "1000", "1"},  // 99 s: past the run's 30 s
           {"--interval", "50", "1"},                        // without --samples
           {"--samples", "5", "--core", "core.1"},           // a core has one moment
           {"--samples", "5", "--input", "snapshot.json"}}) {
    SCOPED_TRACE(::testing::PrintToString(args));
    CommandResult result = run_ukstack(args);
    EXPECT_EQ(result.exit_code, 64);
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_NE(result.err.find(args[0] == "--interval" || args[2] == "--interval" ? "--interval"
                                                                                 : "--samples"),
              std::string::npos)
        << result.err;
  }
}

TEST(Samples, TheBinarySamplesAndShowsTheLastCapture) {
  FixtureProcess fixture = FixtureProcess::start({fixture_path("stuck_or_moving")});
  ASSERT_TRUE(wait_for_syscall(fixture.id("blocked"), SYS_ppoll, 5s));
  nlohmann::json snapshot =
      capture_json({"--samples", "3", "--interval", "20", std::to_string(fixture.pid())}, {0, 1});
  const nlohmann::json* blocked = find_thread(snapshot, fixture.id("blocked"));
  ASSERT_NE(blocked, nullptr) << snapshot.dump(2);
  EXPECT_TRUE(contains_name(functions(*blocked, "user"), "blocked_forever")) << blocked->dump(2);
  expect_not_disturbed(fixture.pid());
}

}  // namespace
}  // namespace ukstack::test
