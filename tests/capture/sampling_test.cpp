// Samples through one session, against fakes: what each sample reads of a thread's
// scheduling (its activity, before any stop, in every mode, also for a thread taken
// as it was), that auto's samples stop no blocked thread, and how the run ends.
#include "capture/sampling.h"

#include "tests/capture/capture_fixture.h"

namespace ukstack::testing {
namespace {

using namespace std::chrono_literals;

class SamplingTest : public CaptureTest {
 protected:
  Result<std::vector<Snapshot>> sample(int count, std::chrono::milliseconds interval = 1ms) {
    auto samples = capture_samples(kPid, options, Sampling{count, interval}, seams());
    EXPECT_TRUE(tracer.still_held().empty()) << log.dump();
    return samples;
  }
};

// FakeThread's schedstat: "2587533 7131706 2".
const ThreadActivity kFakeActivity{.cpu_ns = 2587533, .times_run = 2};

TEST_F(SamplingTest, AutoSamplesStopNoBlockedThread) {
  add(process.blocked(kPid));
  add(process.running(kPid + 1));
  auto samples = sample(5);
  ASSERT_TRUE(samples) << samples.error().message;
  ASSERT_EQ(samples->size(), 5u);

  EXPECT_EQ(log.count("seize", kPid), 0) << log.dump();
  EXPECT_EQ(log.count("seize", kPid + 1), 5);  // a running thread is stopped to be read
  EXPECT_EQ(log.count("unwind", kPid), 1);     // then taken as it was: it never ran
  for (const Snapshot& snapshot : *samples) {
    // A thread taken as it was carries the counters read for this sample.
    EXPECT_EQ(thread_of(snapshot, kPid).activity, kFakeActivity);
    EXPECT_EQ(thread_of(snapshot, kPid).user.method, StackMethod::Nostop);
  }
}

TEST_F(SamplingTest, ABlockedThreadThatRanIsUnwoundAgainWithoutAStop) {
  add(process.blocked(kPid));
  int detaches = 0;  // the running thread's stop marks each sample: kPid ran in between
  add(process.running(kPid + 1));
  tracer.script(kPid + 1).on_detach = [&] {
    ++detaches;
    process.set_schedstat(kPid, "2600000 7131706 " + std::to_string(2 + detaches) + "\n");
  };
  auto samples = sample(3);
  ASSERT_TRUE(samples) << samples.error().message;
  EXPECT_EQ(log.count("seize", kPid), 0) << log.dump();
  EXPECT_EQ(log.count("unwind", kPid), 3);
  EXPECT_EQ(thread_of((*samples)[2], kPid).activity->times_run, 4u);
}

TEST_F(SamplingTest, ActivityIsReadBeforeAnyStopInEveryMode) {
  for (StopMode mode : {StopMode::Each, StopMode::All, StopMode::None}) {
    log = EventLog{};
    options.stop = mode;
    add(process.blocked(kPid));
    auto samples = sample(2);
    ASSERT_TRUE(samples) << samples.error().message;
    EXPECT_EQ(thread_of(samples->back(), kPid).activity, kFakeActivity);
    if (mode != StopMode::None) {
      // A stop makes the thread run: its counters are read before it.
      EXPECT_LT(log.first_read("schedstat", kPid), log.first("seize", kPid)) << log.dump();
    }
  }
}

TEST_F(SamplingTest, WhereSchedstatIsNotKeptContextSwitchesAreTheActivity) {
  FakeThread leader = process.blocked(kPid);
  leader.schedstat = procfs_sample("schedstat-not-kept.txt");
  leader.voluntary_switches = 31;
  add(leader);
  auto samples = sample(2);
  ASSERT_TRUE(samples) << samples.error().message;
  const auto& activity = thread_of(samples->back(), kPid).activity;
  ASSERT_TRUE(activity);
  EXPECT_EQ(activity->cpu_ns, 0u);
  EXPECT_EQ(activity->times_run, 0u);
  EXPECT_EQ(activity->voluntary_switches, 31u);
  EXPECT_EQ(activity->involuntary_switches, 1u);  // status-sleep.txt's
}

TEST_F(SamplingTest, AThreadLeftLingeringIsLetGoOnceItStopsNotAtTheNextSample) {
  options.stop = StopMode::Each;
  add(process.blocked(kPid));
  TracerScript& script = tracer.script(kPid);
  script.waits = {WaitResult{StopOutcome::TimedOut, 0}};  // never stops in time
  script.stops_after_polls = 3;                           // but soon after
  auto samples = sample(2, 50ms);
  ASSERT_TRUE(samples) << samples.error().message;

  EXPECT_EQ(log.count("linger", kPid), 2) << log.dump();
  EXPECT_EQ(log.count("detach", kPid), 2) << log.dump();
  // Let go before the second sample seized it again, not by that sample.
  int seizes = 0;
  int detached_before_second_seize = 0;
  for (const Event& event : log.events()) {
    if (event.tid != kPid) continue;
    if (event.kind == "seize") ++seizes;
    if (event.kind == "detach" && seizes == 1) ++detached_before_second_seize;
  }
  EXPECT_EQ(detached_before_second_seize, 1) << log.dump();
}

TEST_F(SamplingTest, AProcessThatExitsMidwaySaysAfterHowManySamples) {
  add(process.blocked(kPid));
  add(process.running(kPid + 1));
  int detaches = 0;
  tracer.script(kPid + 1).on_detach = [&] {
    if (++detaches == 2) proc.fail(process.task_path(kPid, "stat"), ENOENT);
  };
  auto samples = sample(5);
  ASSERT_FALSE(samples);
  EXPECT_EQ(samples.error().errnum, ESRCH);
  EXPECT_NE(samples.error().message.find("after 2 of 5 samples"), std::string::npos)
      << samples.error().message;
}

TEST_F(SamplingTest, TheRunsBoundEndsTheSamplingWithWhatWasTaken) {
  add(process.blocked(kPid));
  options.run_deadline = 50ms;
  auto samples = sample(5, 10s);  // the second sample would start after the bound
  ASSERT_TRUE(samples) << samples.error().message;
  EXPECT_EQ(samples->size(), 1u);
}

TEST_F(SamplingTest, NoSuchProcessIsAnErrorBeforeAnySample) {
  auto samples = sample(3);  // nothing in /proc for kPid but its maps
  ASSERT_FALSE(samples);
  EXPECT_EQ(samples.error().errnum, ESRCH);
}

}  // namespace
}  // namespace ukstack::testing
