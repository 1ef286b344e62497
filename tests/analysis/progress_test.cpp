// Stuck, waking or moving across samples, on hand-built snapshots: each case is a
// thread as a user would find it in a hung process, sampled a few times.
#include "analysis/progress.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace ukstack {
namespace {

Frame frame(std::string function, std::uint64_t offset, std::optional<std::string> module) {
  Frame f;
  f.function = std::move(function);
  f.offset = offset;
  f.pc = 0x1000 + offset;
  f.module = std::move(module);
  return f;
}

ThreadActivity counters(std::uint64_t cpu_ns, std::uint64_t times_run,
                        std::uint64_t voluntary = 0) {
  return ThreadActivity{.cpu_ns = cpu_ns,
                        .times_run = times_run,
                        .voluntary_switches = voluntary,
                        .involuntary_switches = 0};
}

// A worker blocked in read on a pipe, unwound without a stop, that has run 5 ms in
// 12 slices so far.
Thread reader(int tid) {
  Thread t;
  t.tid = tid;
  t.name = "worker";
  t.state = "S";
  t.syscall = SyscallInfo{.nr = 0, .name = "read", .args = {3, 0x7f00, 1}, .fds = {}};
  t.kernel.method = StackMethod::Procfs;
  t.kernel.frames = {frame("pipe_read", 0x1c5, std::nullopt),
                     frame("vfs_read", 0x2a, std::nullopt)};
  t.user.method = StackMethod::Nostop;
  t.user.frames = {frame("read", 0x4c, "/usr/lib/libc.so.6"),
                   frame("worker_loop", 0x10, "/usr/bin/server"),
                   frame("start_thread", 0x305, "/usr/lib/libc.so.6")};
  t.activity = counters(5'000'000, 12);
  return t;
}

// A thread on a CPU in compute(), stopped by the capture to read its registers.
Thread spinner(int tid) {
  Thread t;
  t.tid = tid;
  t.name = "spin";
  t.state = "R";
  t.kernel.method = StackMethod::Procfs;
  t.user.method = StackMethod::Libdw;
  t.user.frames = {frame("compute", 0x21, "/usr/bin/server"),
                   frame("start_thread", 0x305, "/usr/lib/libc.so.6")};
  t.activity = counters(900'000'000, 40);
  return t;
}

// A kernel thread: a kernel half only.
Thread kworker(int tid) {
  Thread t;
  t.tid = tid;
  t.name = "kworker/0:1";
  t.state = "I";
  t.kernel.method = StackMethod::Procfs;
  t.kernel.frames = {frame("worker_thread", 0x1a0, std::nullopt),
                     frame("kthread", 0xe8, std::nullopt)};
  t.notes = {"kernel thread: it has no user stack"};
  t.activity = counters(1'000'000, 3);
  return t;
}

Snapshot sample(std::vector<Thread> threads, std::string captured_at = "") {
  Snapshot s;
  s.process.pid = 100;
  s.captured_at = std::move(captured_at);
  s.threads = std::move(threads);
  return s;
}

// The same thread in `n` samples, changed by `change(thread, i)` for sample i.
template <class Change>
std::vector<Snapshot> sampled(const Thread& thread, int n, Change change) {
  std::vector<Snapshot> samples;
  for (int i = 0; i < n; ++i) {
    Thread copy = thread;
    change(copy, i);
    samples.push_back(sample({copy}));
  }
  return samples;
}

const Thread& thread_of(const Snapshot& snapshot, int tid) {
  auto it = std::ranges::find(snapshot.threads, tid, &Thread::tid);
  if (it == snapshot.threads.end()) {
    ADD_FAILURE() << "thread " << tid << " is not in the snapshot";
    static const Thread none;
    return none;
  }
  return *it;
}

bool has_note(const Thread& thread, const std::string& part) {
  return std::ranges::any_of(
      thread.notes, [&](const std::string& note) { return note.find(part) != std::string::npos; });
}

// ---- threads in every sample --------------------------------------------------------

TEST(Progress, SameStackAndNeverRanIsStuck) {
  Snapshot result = mark_progress(sampled(reader(10), 5, [](Thread&, int) {}), 100);
  EXPECT_EQ(thread_of(result, 10).progress, Progress::Stuck);
  EXPECT_TRUE(thread_of(result, 10).notes.empty());
}

TEST(Progress, SameStackButRanInBetweenIsWaking) {
  // A poll loop: back in the same call at every sample, a little CPU time each time.
  auto samples = sampled(reader(10), 5, [](Thread& t, int i) {
    t.activity = counters(5'000'000 + 20'000 * i, 12 + 2 * i);
  });
  EXPECT_EQ(thread_of(mark_progress(samples, 100), 10).progress, Progress::Waking);
}

TEST(Progress, RunningOnceInAnyIntervalIsWaking) {
  auto samples = sampled(reader(10), 5, [](Thread& t, int i) {
    if (i >= 3) t.activity = counters(5'000'100, 13);  // woke once, between samples 3 and 4
  });
  EXPECT_EQ(thread_of(mark_progress(samples, 100), 10).progress, Progress::Waking);
}

TEST(Progress, AChangedStackIsMovingEvenWhenItComesBack) {
  auto samples = sampled(reader(10), 3, [](Thread& t, int i) {
    if (i == 1) t.user.frames[1].function = "parse_request";
  });
  EXPECT_EQ(thread_of(mark_progress(samples, 100), 10).progress, Progress::Moving);
}

TEST(Progress, AnotherSystemCallIsMoving) {
  auto samples = sampled(reader(10), 3, [](Thread& t, int i) {
    if (i == 2) t.syscall->nr = 17;
  });
  EXPECT_EQ(thread_of(mark_progress(samples, 100), 10).progress, Progress::Moving);
}

TEST(Progress, OffsetsAndArgumentsMayDifferForStuck) {
  // What same_combined_stack ignores: offsets and addresses, the call's arguments.
  auto samples = sampled(reader(10), 3, [](Thread& t, int i) {
    t.user.frames[1].offset = 0x10 + static_cast<std::uint64_t>(i);
    t.syscall->args[1] = 0x7f00 + static_cast<std::uint64_t>(i);
  });
  EXPECT_EQ(thread_of(mark_progress(samples, 100), 10).progress, Progress::Stuck);
}

TEST(Progress, AThreadCaughtWokenInItsCallIsAtTheSamePlace) {
  // Woken by its timeout, waiting for a CPU: /proc/<tid>/syscall says "running", the
  // kernel stack still shows the call; auto stopped it to read its registers.
  auto samples = sampled(reader(10), 4, [](Thread& t, int i) {
    t.activity = counters(5'000'000 + 20'000 * i, 12 + 2 * i);
    if (i != 2) {
      t.state = i == 0 ? "R" : "S";  // S: read as sleeping just before it woke
      t.syscall.reset();
      t.user.method = StackMethod::Libdw;
    }
  });
  EXPECT_EQ(thread_of(mark_progress(samples, 100), 10).progress, Progress::Waking);
}

TEST(Progress, AKernelStackReadWhileTheThreadRanIsNoChangeOfPlace) {
  // The kernel stack read empty (it ran for a moment), the call read blocked again.
  auto samples = sampled(reader(10), 3, [](Thread& t, int i) {
    t.activity = counters(5'000'000 + 20'000 * i, 12 + 2 * i);
    if (i == 2) {
      t.kernel.frames.clear();
      t.notes = {"kernel stack changed during capture: the thread has moved on since"};
    }
  });
  EXPECT_EQ(thread_of(mark_progress(samples, 100), 10).progress, Progress::Waking);
  // Where no kernel stack can be read at all, every sample says so: no gap to fill.
  auto unreadable = sampled(reader(10), 3, [](Thread& t, int i) {
    t.kernel.frames.clear();
    t.kernel.error = "kernel stack needs root (CAP_SYS_ADMIN)";
    if (i == 1) t.user.frames[1].function = "parse_request";
  });
  EXPECT_EQ(thread_of(mark_progress(unreadable, 100), 10).progress, Progress::Moving);
}

TEST(Progress, AThreadOutOfItsCallInOneSampleIsMoving) {
  // Back in user space: no system call and no kernel frames.
  auto samples = sampled(reader(10), 3, [](Thread& t, int i) {
    if (i == 1) {
      t.state = "R";
      t.syscall.reset();
      t.kernel.frames.clear();
    }
  });
  EXPECT_EQ(thread_of(mark_progress(samples, 100), 10).progress, Progress::Moving);
}

TEST(Progress, AThreadOnACpuAtTheSamePlaceIsMovingNeverStuck) {
  // Even with counters that did not move (a kernel that updates them late).
  for (bool counters_moved : {true, false}) {
    auto samples = sampled(spinner(20), 5, [&](Thread& t, int i) {
      if (counters_moved) t.activity = counters(900'000'000 + 50'000'000 * i, 40 + i);
    });
    const Snapshot result = mark_progress(samples, 50);
    const Thread& spin = thread_of(result, 20);
    EXPECT_EQ(spin.progress, Progress::Moving) << counters_moved;
    EXPECT_TRUE(has_note(spin, "busy loop")) << counters_moved;
  }
}

TEST(Progress, WithoutSchedulerStatisticsContextSwitchesDecide) {
  // A kernel that keeps no schedstat: cpu_ns and times_run are 0 in every sample.
  Thread quiet = reader(10);
  quiet.activity = counters(0, 0, 7);
  Thread polling = reader(11);
  auto samples = sampled(quiet, 3, [](Thread&, int) {});
  for (int i = 0; i < 3; ++i) {
    Thread t = polling;
    t.activity = counters(0, 0, 7 + static_cast<std::uint64_t>(i));
    samples[static_cast<std::size_t>(i)].threads.push_back(t);
  }
  Snapshot result = mark_progress(samples, 100);
  EXPECT_EQ(thread_of(result, 10).progress, Progress::Stuck);
  EXPECT_EQ(thread_of(result, 11).progress, Progress::Waking);
}

TEST(Progress, InvoluntarySwitchesAloneMeanItRan) {
  auto samples = sampled(reader(10), 2, [](Thread& t, int i) {
    t.activity->involuntary_switches = static_cast<std::uint64_t>(i);
  });
  EXPECT_EQ(thread_of(mark_progress(samples, 100), 10).progress, Progress::Waking);
}

TEST(Progress, AKernelThreadIsJudgedByItsKernelHalf) {
  Snapshot stuck = mark_progress(sampled(kworker(2), 3, [](Thread&, int) {}), 100);
  EXPECT_EQ(thread_of(stuck, 2).progress, Progress::Stuck);
  auto samples = sampled(kworker(2), 3, [](Thread& t, int i) {
    if (i == 2) t.kernel.frames[0].function = "process_one_work";
  });
  EXPECT_EQ(thread_of(mark_progress(samples, 100), 2).progress, Progress::Moving);
}

TEST(Progress, ADStateThreadThatNeverRanIsStuck) {
  auto samples = sampled(reader(10), 3, [](Thread& t, int) { t.state = "D"; });
  EXPECT_EQ(thread_of(mark_progress(samples, 100), 10).progress, Progress::Stuck);
}

// ---- threads ukstack stopped, threads without counters ---------------------------------

TEST(Progress, AThreadStoppedInEverySampleButTheLastIsUnknownAndSaysWhy) {
  // --stop each: the stop itself makes a blocked thread run.
  auto samples = sampled(reader(10), 3, [](Thread& t, int i) {
    t.user.method = StackMethod::Libdw;
    t.activity = counters(5'000'000 + 10'000 * i, 12 + 2 * i);
  });
  const Snapshot result = mark_progress(samples, 100);
  const Thread& thread = thread_of(result, 10);
  EXPECT_FALSE(thread.progress);
  EXPECT_TRUE(has_note(thread, "ukstack stopped it")) << thread.notes.front();
}

TEST(Progress, OnlyTheIntervalsAfterAStopAreSetAside) {
  // Stopped in sample 1 (its counters move by that stop); quiet from sample 2 to 3.
  auto stopped_once = sampled(reader(10), 3, [](Thread& t, int i) {
    if (i == 0) t.user.method = StackMethod::Libdw;
    if (i > 0) t.activity = counters(5'000'500, 14);
  });
  EXPECT_EQ(thread_of(mark_progress(stopped_once, 100), 10).progress, Progress::Stuck);
  // The same, but it ran on its own from sample 2 to 3.
  auto woke = sampled(reader(10), 3, [](Thread& t, int i) {
    if (i == 0) t.user.method = StackMethod::Libdw;
    if (i > 0) t.activity = counters(5'000'500 + 100 * i, 13 + i);
  });
  EXPECT_EQ(thread_of(mark_progress(woke, 100), 10).progress, Progress::Waking);
  // A stop in the last sample comes after its counters were read: it changes nothing.
  auto stopped_last = sampled(reader(10), 3, [](Thread& t, int i) {
    if (i == 2) t.user.method = StackMethod::Libunwind;
  });
  EXPECT_EQ(thread_of(mark_progress(stopped_last, 100), 10).progress, Progress::Stuck);
}

TEST(Progress, WithoutCountersStuckCannotBeToldFromWaking) {
  auto samples = sampled(reader(10), 3, [](Thread& t, int) { t.activity.reset(); });
  const Snapshot result = mark_progress(samples, 100);
  const Thread& thread = thread_of(result, 10);
  EXPECT_FALSE(thread.progress);
  EXPECT_TRUE(has_note(thread, "scheduler counters"));
  // A changed stack needs no counters.
  auto moved = sampled(reader(10), 3, [](Thread& t, int i) {
    t.activity.reset();
    if (i == 1) t.user.frames.pop_back();
  });
  EXPECT_EQ(thread_of(mark_progress(moved, 100), 10).progress, Progress::Moving);
}

TEST(Progress, AZombieLeaderIsNeitherStuckNorMoving) {
  Thread leader = reader(100);
  leader.state = "Z";
  leader.syscall.reset();
  leader.user = Stack{};
  leader.kernel = Stack{};
  EXPECT_FALSE(
      thread_of(mark_progress(sampled(leader, 3, [](Thread&, int) {}), 100), 100).progress);
}

// ---- threads not in every sample ---------------------------------------------------

TEST(Progress, AThreadStartedDuringTheSamplingIsMoving) {
  std::vector<Snapshot> samples = {sample({reader(10)}), sample({reader(10), reader(11)}),
                                   sample({reader(10), reader(11)})};
  Snapshot result = mark_progress(samples, 100);
  const Thread& born = thread_of(result, 11);
  EXPECT_EQ(born.progress, Progress::Moving);
  EXPECT_TRUE(has_note(born, "started during the sampling (in samples 2-3 of 3)")) << born.notes[0];
  EXPECT_EQ(thread_of(result, 10).progress, Progress::Stuck);
}

TEST(Progress, AThreadMissingFromOneSampleIsMoving) {
  // A tid that went and came back (reused by a new thread), same stack and counters.
  std::vector<Snapshot> samples = {sample({reader(10), reader(11)}), sample({reader(10)}),
                                   sample({reader(10), reader(11)})};
  const Snapshot result = mark_progress(samples, 100);
  const Thread& back = thread_of(result, 11);
  EXPECT_EQ(back.progress, Progress::Moving);
  EXPECT_TRUE(has_note(back, "in 2 of 3 samples only")) << back.notes[0];
}

TEST(Progress, AThreadThatExitedBeforeTheLastSampleIsShownAsExited) {
  Thread old = reader(11);
  old.name = "job-7";
  std::vector<Snapshot> samples = {sample({reader(10), old}), sample({reader(10), old}),
                                   sample({reader(10)})};
  Snapshot result = mark_progress(samples, 100);
  ASSERT_EQ(result.threads.size(), 2u);
  const Thread& gone = thread_of(result, 11);
  EXPECT_EQ(gone.state, "X");
  EXPECT_EQ(gone.name, "job-7");
  EXPECT_EQ(gone.progress, Progress::Moving);
  EXPECT_TRUE(has_note(gone, "exited during the sampling (in samples 1-2 of 3)")) << gone.notes[0];
  // Nothing pretends to be its stack now.
  EXPECT_TRUE(gone.kernel.frames.empty());
  EXPECT_TRUE(gone.user.frames.empty());
}

TEST(Progress, AThreadThatExitedDuringTheLastCaptureIsMoving) {
  Thread exiting = reader(11);
  exiting.state = "X";
  exiting.notes = {"thread exited during capture"};
  std::vector<Snapshot> samples = {sample({reader(10), reader(11)}),
                                   sample({reader(10), reader(11)}), sample({reader(10), exiting})};
  const Snapshot result = mark_progress(samples, 100);
  const Thread& gone = thread_of(result, 11);
  EXPECT_EQ(gone.progress, Progress::Moving);
  EXPECT_TRUE(has_note(gone, "exited during the sampling (in samples 1-2 of 3)"));
}

TEST(Progress, AThreadThatExitedInAnEarlierCaptureIsNotSeenThere) {
  // Reported as exited in sample 2 (its files vanished mid-capture), gone in sample 3.
  Thread exiting = reader(11);
  exiting.state = "X";
  std::vector<Snapshot> samples = {sample({reader(10), reader(11)}), sample({reader(10), exiting}),
                                   sample({reader(10)})};
  const Snapshot result = mark_progress(samples, 100);
  const Thread& gone = thread_of(result, 11);
  EXPECT_EQ(gone.state, "X");
  EXPECT_TRUE(has_note(gone, "exited during the sampling (in sample 1 of 3)")) << gone.notes[0];
}

// ---- the snapshot that comes out ------------------------------------------------------

TEST(Progress, TheResultIsTheLastSampleWithTheSampleCountAndInterval) {
  std::vector<Snapshot> samples = {sample({reader(12), reader(10)}, "2025-01-01T00:00:00Z"),
                                   sample({reader(12), reader(10)}, "2025-01-01T00:00:01Z")};
  samples.back().threads[0].name = "renamed";
  Snapshot result = mark_progress(samples, 250);
  EXPECT_EQ(result.captured_at, "2025-01-01T00:00:01Z");
  ASSERT_TRUE(result.samples);
  EXPECT_EQ(result.samples->count, 2);
  EXPECT_EQ(result.samples->interval_ms, 250);
  ASSERT_EQ(result.threads.size(), 2u);
  EXPECT_EQ(result.threads[0].tid, 10);  // in tid order
  EXPECT_EQ(thread_of(result, 12).name, "renamed");
}

TEST(Progress, OneSampleTellsNothing) {
  Snapshot result = mark_progress({sample({reader(10)})}, 100);
  EXPECT_FALSE(thread_of(result, 10).progress);
  EXPECT_TRUE(thread_of(result, 10).notes.empty());
  EXPECT_EQ(result.samples->count, 1);
}

}  // namespace
}  // namespace ukstack
