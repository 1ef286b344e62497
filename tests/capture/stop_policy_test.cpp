// Every decision of every stop mode (DESIGN.md, "Stop modes"), against fakes: what
// was done to each thread (seized or not, in what order, detached or lingering,
// with which signal handed back) and what the snapshot says about it.
#include <csignal>

#include "tests/capture/capture_fixture.h"

namespace ukstack::testing {
namespace {

using StopPolicyTest = CaptureTest;

const std::vector<std::string> kNoCalls;

// ---- auto ------------------------------------------------------------------------

TEST_F(StopPolicyTest, AutoKeepsACompleteVerifiedNoStopUnwindWithoutSeizing) {
  const FakeThread leader = add(process.blocked(kPid));
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.tracer_calls(kPid), kNoCalls) << log.dump();
  const Thread& thread = thread_of(*snapshot, kPid);
  EXPECT_EQ(thread.user.method, StackMethod::Nostop);
  EXPECT_EQ(functions(thread.user),
            (std::vector<std::string>{"nostop_" + std::to_string(kPid), "main"}));
  EXPECT_FALSE(thread.user.error);
  // Unwound once, from where /proc/<tid>/syscall said it blocked.
  ASSERT_EQ(unwinding.samples().size(), 1u);
  EXPECT_EQ(unwinding.samples()[0].registers.sp(), RemoteAddr(leader.sp));
  EXPECT_EQ(unwinding.samples()[0].registers.pc(), RemoteAddr(leader.pc));
  // Verified: schedstat read before the kernel half and again after the unwind.
  EXPECT_LT(log.first_read("schedstat", kPid), log.first_read("stack", kPid));
  EXPECT_GT(log.last_read("schedstat", kPid), log.first("unwind", kPid)) << log.dump();
}

TEST_F(StopPolicyTest, AutoStopsWhenTheNoStopUnwindIsIncomplete) {
  add(process.blocked(kPid));
  unwinding.script(kPid).nostop.complete = false;
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.tracer_calls(kPid), full_stop()) << log.dump();
  const Thread& thread = thread_of(*snapshot, kPid);
  EXPECT_EQ(thread.user.method, StackMethod::Libdw);
  EXPECT_EQ(functions(thread.user),
            (std::vector<std::string>{"stopped_" + std::to_string(kPid), "main"}));
  EXPECT_FALSE(thread.user.error);
}

TEST_F(StopPolicyTest, AutoStopsWhenTheNoStopUnwindEndedInAnError) {
  add(process.blocked(kPid));
  unwinding.script(kPid).nostop.error = "no CFI for pc";
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.tracer_calls(kPid), full_stop()) << log.dump();
  EXPECT_EQ(thread_of(*snapshot, kPid).user.method, StackMethod::Libdw);
}

TEST_F(StopPolicyTest, AutoStopsWhenSchedstatChangedDuringTheNoStopUnwind) {
  add(process.blocked(kPid));
  // The thread ran while it was unwound: its scheduler counters moved.
  unwinding.script(kPid).on_unwind = [&](const unwind::ThreadSample& sample) {
    if (sample.stack.bytes.empty()) process.set_schedstat(kPid, "2601234 7131706 3\n");
  };
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.tracer_calls(kPid), full_stop()) << log.dump();
  EXPECT_EQ(thread_of(*snapshot, kPid).user.method, StackMethod::Libdw);
  EXPECT_EQ(log.count("unwind", kPid), 2);  // the discarded no-stop one, then the stopped one
}

TEST_F(StopPolicyTest, AutoVerifiesWithContextSwitchesWhereSchedstatIsNotKept) {
  FakeThread leader = process.blocked(kPid);
  leader.schedstat = procfs_sample("schedstat-not-kept.txt");
  add(leader);
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.tracer_calls(kPid), kNoCalls) << log.dump();
  EXPECT_EQ(thread_of(*snapshot, kPid).user.method, StackMethod::Nostop);
  // status (voluntary_ctxt_switches) and syscall re-read after the unwind.
  EXPECT_GT(log.last_read("status", kPid), log.first("unwind", kPid)) << log.dump();
  EXPECT_GT(log.last_read("syscall", kPid), log.first("unwind", kPid)) << log.dump();
}

TEST_F(StopPolicyTest, AutoStopsWhenVoluntarySwitchesChangedWhereSchedstatIsNotKept) {
  FakeThread leader = process.blocked(kPid);
  leader.schedstat = procfs_sample("schedstat-not-kept.txt");
  add(leader);
  // Woke up and slept again at the same place during the unwind.
  unwinding.script(kPid).on_unwind = [&](const unwind::ThreadSample& sample) {
    if (sample.stack.bytes.empty()) {
      process.set_voluntary_switches(leader, leader.voluntary_switches + 1);
    }
  };
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.tracer_calls(kPid), full_stop()) << log.dump();
  EXPECT_EQ(thread_of(*snapshot, kPid).user.method, StackMethod::Libdw);
}

TEST_F(StopPolicyTest, AutoStopsARunningThreadWithoutTryingANoStopUnwind) {
  add(process.running(kPid));
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.tracer_calls(kPid), full_stop()) << log.dump();
  EXPECT_EQ(log.count("unwind", kPid), 1);
  ASSERT_EQ(unwinding.samples().size(), 1u);
  EXPECT_FALSE(unwinding.samples()[0].stack.bytes.empty());  // from the copy taken in the stop
  const Thread& thread = thread_of(*snapshot, kPid);
  EXPECT_EQ(thread.user.method, StackMethod::Libdw);
  EXPECT_FALSE(thread.user.error);
}

TEST_F(StopPolicyTest, AutoStopsOnlyTheThreadsThatNeedIt) {
  add(process.blocked(kPid));
  add(process.running(kPid + 1));
  add(process.blocked(kPid + 2));
  unwinding.script(kPid + 2).nostop.complete = false;
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.tracer_calls(kPid), kNoCalls) << log.dump();
  EXPECT_EQ(log.tracer_calls(kPid + 1), full_stop()) << log.dump();
  EXPECT_EQ(log.tracer_calls(kPid + 2), full_stop()) << log.dump();
  EXPECT_EQ(thread_of(*snapshot, kPid).user.method, StackMethod::Nostop);
  EXPECT_EQ(thread_of(*snapshot, kPid + 1).user.method, StackMethod::Libdw);
  EXPECT_EQ(thread_of(*snapshot, kPid + 2).user.method, StackMethod::Libdw);
}

TEST_F(StopPolicyTest, AutoStopsEveryThreadWhenNoUnwinderCouldBeOpened) {
  add(process.blocked(kPid));
  unwinding.fail_open = true;
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  // No verified no-stop unwind is possible: the thread is sampled in a stop, and
  // its user half says why it is missing.
  EXPECT_EQ(log.tracer_calls(kPid), full_stop()) << log.dump();
  EXPECT_EQ(log.count("unwind"), 0);
  EXPECT_EQ(thread_of(*snapshot, kPid).user.error, "fake unwinder refused to open");
  EXPECT_EQ(exit_status(snapshot), kExitPartial);
}

TEST_F(StopPolicyTest, AStoppedThreadThatMovedSinceItsKernelHalfGetsANote) {
  add(process.blocked(kPid));
  unwinding.script(kPid).nostop.complete = false;
  tracer.script(kPid).regs.rip += 0x40;  // not where /proc/<tid>/syscall showed it
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_TRUE(has_note(thread_of(*snapshot, kPid), "thread moved"));
}

// ---- each ------------------------------------------------------------------------

TEST_F(StopPolicyTest, EachStopsEveryThreadOneAtATime) {
  options.stop = StopMode::Each;
  for (int tid : {kPid, kPid + 1, kPid + 2}) add(process.blocked(tid));
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  for (int tid : {kPid, kPid + 1, kPid + 2}) {
    // Even a thread a no-stop unwind would do for is stopped, and only unwound
    // from its copy.
    EXPECT_EQ(log.tracer_calls(tid), full_stop()) << tid << "\n" << log.dump();
    EXPECT_EQ(thread_of(*snapshot, tid).user.method, StackMethod::Libdw);
    // The kernel half is read before the stop (a stopped thread shows ptrace_stop).
    EXPECT_LT(log.last_read("stack", tid), log.first("seize", tid)) << log.dump();
    // Nothing but ptrace while the thread is held: no /proc read, no unwind.
    for (int i = log.first("seize", tid); i < log.first("detach", tid); ++i) {
      const Event& e = log.events()[static_cast<std::size_t>(i)];
      EXPECT_TRUE(e.kind != "read" && e.kind != "unwind") << i << "\n" << log.dump();
    }
  }
  EXPECT_EQ(log.count("unwind"), 3);
  EXPECT_EQ(log.count("unwind", kPid), 1);
  // One at a time: a thread is let go before the next one is seized.
  EXPECT_LT(log.first("detach", kPid), log.first("seize", kPid + 1)) << log.dump();
  EXPECT_LT(log.first("detach", kPid + 1), log.first("seize", kPid + 2)) << log.dump();
}

TEST_F(StopPolicyTest, DetachHandsBackTheInterceptedSignal) {
  options.stop = StopMode::Each;
  add(process.blocked(kPid));
  add(process.blocked(kPid + 1));
  // SIGUSR1 arrived while kPid was held; kPid + 1 stopped for our interrupt only.
  tracer.script(kPid).waits = {WaitResult{StopOutcome::Stopped, SIGUSR1}};
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  const auto& events = log.events();
  const int first = log.first("detach", kPid);
  const int second = log.first("detach", kPid + 1);
  ASSERT_GE(first, 0);
  ASSERT_GE(second, 0);
  EXPECT_EQ(events[static_cast<std::size_t>(first)].signal, SIGUSR1);
  EXPECT_EQ(events[static_cast<std::size_t>(second)].signal, 0);
  EXPECT_EQ(log.count("detach", kPid), 1);
}

// ---- all -------------------------------------------------------------------------

TEST_F(StopPolicyTest, AllStopsEveryThreadBeforeSamplingAny) {
  options.stop = StopMode::All;
  for (int tid : {kPid, kPid + 1, kPid + 2}) add(process.blocked(tid));
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  // Every kernel half read before the first seize.
  EXPECT_LT(log.last_read("stack"), log.first("seize")) << log.dump();
  // Every thread interrupted (and stopped) before the first registers are read.
  EXPECT_LT(log.last("interrupt"), log.first("registers")) << log.dump();
  EXPECT_LT(log.last("wait"), log.first("registers")) << log.dump();
  // Let go only once all are sampled, each exactly once.
  EXPECT_LT(log.last("copy_stack"), log.first("detach")) << log.dump();
  for (int tid : {kPid, kPid + 1, kPid + 2}) {
    EXPECT_EQ(log.count("seize", tid), 1);
    EXPECT_EQ(log.count("interrupt", tid), 1);
    EXPECT_EQ(log.count("detach", tid), 1);
    EXPECT_EQ(log.count("linger", tid), 0);
    EXPECT_EQ(thread_of(*snapshot, tid).user.method, StackMethod::Libdw);
  }
  // Unwound from the copies once nothing is stopped.
  EXPECT_GT(log.first("unwind"), log.last("detach")) << log.dump();
  EXPECT_EQ(exit_status(snapshot), kExitComplete);
}

TEST_F(StopPolicyTest, AllLetsAThreadThatDidNotStopLingerAndStillSamplesTheOthers) {
  options.stop = StopMode::All;
  for (int tid : {kPid, kPid + 1}) add(process.blocked(tid));
  tracer.script(kPid + 1).waits = {WaitResult{StopOutcome::TimedOut, 0}};
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.tracer_calls(kPid), full_stop()) << log.dump();
  EXPECT_EQ(log.count("linger", kPid + 1), 1);
  EXPECT_EQ(log.count("detach", kPid + 1), 0);
  EXPECT_EQ(log.count("registers", kPid + 1), 0);
  const Thread& late = thread_of(*snapshot, kPid + 1);
  EXPECT_EQ(late.user.method, StackMethod::Nostop);
  EXPECT_TRUE(has_note(late, "did not stop within 200 ms")) << ::testing::PrintToString(late.notes);
}

// ---- none ------------------------------------------------------------------------

TEST_F(StopPolicyTest, NoneNeverSeizesAndARunningThreadGetsAUserError) {
  options.stop = StopMode::None;
  add(process.blocked(kPid));
  add(process.running(kPid + 1));
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.count("seize"), 0) << log.dump();
  EXPECT_EQ(log.count("interrupt"), 0);
  const Thread& blocked = thread_of(*snapshot, kPid);
  EXPECT_EQ(blocked.user.method, StackMethod::Nostop);
  EXPECT_EQ(functions(blocked.user),
            (std::vector<std::string>{"nostop_" + std::to_string(kPid), "main"}));
  EXPECT_FALSE(blocked.user.error);
  const Thread& running = thread_of(*snapshot, kPid + 1);
  ASSERT_TRUE(running.user.error);
  EXPECT_NE(running.user.error->find("--stop none"), std::string::npos) << *running.user.error;
  EXPECT_TRUE(running.user.frames.empty());
  EXPECT_EQ(log.count("unwind", kPid + 1), 0);
  EXPECT_EQ(exit_status(snapshot), kExitPartial);
}

TEST_F(StopPolicyTest, NoneKeepsAnIncompleteNoStopUnwindAndSaysItIsCutShort) {
  options.stop = StopMode::None;
  add(process.blocked(kPid));
  unwinding.script(kPid).nostop.complete = false;
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.count("seize"), 0) << log.dump();
  const Thread& thread = thread_of(*snapshot, kPid);
  EXPECT_EQ(thread.user.method, StackMethod::Nostop);
  ASSERT_TRUE(thread.user.error);
  EXPECT_NE(thread.user.error->find("cut short"), std::string::npos) << *thread.user.error;
}

// ---- timeouts --------------------------------------------------------------------

TEST_F(StopPolicyTest, ABlockedThreadThatDoesNotStopInTimeIsUnwoundWithoutStopping) {
  options.stop = StopMode::Each;
  FakeThread stuck = process.blocked(kPid);
  stuck.state = 'D';
  add(stuck);
  tracer.script(kPid).waits = {WaitResult{StopOutcome::TimedOut, 0}};
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  // Seized and never stopped: it cannot be detached, so it lingers (and the
  // capture's end tries once more to let lingering threads go).
  EXPECT_EQ(log.count("linger", kPid), 1) << log.dump();
  EXPECT_EQ(log.count("detach", kPid), 0);
  EXPECT_EQ(log.count("registers", kPid), 0);
  EXPECT_GT(log.last("detach_lingering"), log.first("linger", kPid));
  const Thread& thread = thread_of(*snapshot, kPid);
  EXPECT_EQ(thread.user.method, StackMethod::Nostop);
  EXPECT_EQ(functions(thread.user),
            (std::vector<std::string>{"nostop_" + std::to_string(kPid), "main"}));
  EXPECT_TRUE(has_note(thread, "did not stop within 200 ms (state D)"))
      << ::testing::PrintToString(thread.notes);
  EXPECT_TRUE(has_note(thread, "unwound without stopping"));
}

TEST_F(StopPolicyTest, TheTimeoutNoteNamesTheConfiguredTimeout) {
  options.stop = StopMode::Each;
  options.timeout = std::chrono::milliseconds(750);
  add(process.blocked(kPid));
  tracer.script(kPid).waits = {WaitResult{StopOutcome::TimedOut, 0}};
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_TRUE(has_note(thread_of(*snapshot, kPid), "did not stop within 750 ms"))
      << ::testing::PrintToString(thread_of(*snapshot, kPid).notes);
}

TEST_F(StopPolicyTest, ARunningThreadThatDoesNotStopInTimeHasAUserError) {
  add(process.running(kPid));
  tracer.script(kPid).waits = {WaitResult{StopOutcome::TimedOut, 0}};
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.count("linger", kPid), 1) << log.dump();
  EXPECT_EQ(log.count("detach", kPid), 0);
  EXPECT_EQ(log.count("unwind", kPid), 0);
  const Thread& thread = thread_of(*snapshot, kPid);
  ASSERT_TRUE(thread.user.error);
  EXPECT_NE(thread.user.error->find("did not stop within 200 ms (state R)"), std::string::npos)
      << *thread.user.error;
  EXPECT_EQ(exit_status(snapshot), kExitPartial);
}

TEST_F(StopPolicyTest, AThreadThatStopsJustAfterTheDeadlineIsDetachedNotLeftLingering) {
  options.stop = StopMode::Each;
  add(process.blocked(kPid));
  // Not stopped by the deadline, stopped at the last look before letting go.
  tracer.script(kPid).waits = {WaitResult{StopOutcome::TimedOut, 0},
                               WaitResult{StopOutcome::Stopped, SIGUSR2}};
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.tracer_calls(kPid),
            (std::vector<std::string>{"seize", "interrupt", "wait", "wait", "detach"}))
      << log.dump();
  EXPECT_EQ(log.events()[static_cast<std::size_t>(log.first("detach", kPid))].signal, SIGUSR2);
  EXPECT_EQ(thread_of(*snapshot, kPid).user.method, StackMethod::Nostop);
}

// ---- threads that exit mid-capture -------------------------------------------------

TEST_F(StopPolicyTest, AThreadGoneAtItsSeizeIsReportedAsExited) {
  options.stop = StopMode::Each;
  add(process.blocked(kPid));
  add(process.blocked(kPid + 1));
  tracer.script(kPid + 1).seize_errno = ESRCH;
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.tracer_calls(kPid + 1), (std::vector<std::string>{"seize"})) << log.dump();
  const Thread& gone = thread_of(*snapshot, kPid + 1);
  EXPECT_EQ(gone.state, "X");
  EXPECT_TRUE(has_note(gone, "exited during capture")) << ::testing::PrintToString(gone.notes);
  EXPECT_FALSE(gone.user.error);
  EXPECT_EQ(thread_of(*snapshot, kPid).user.method, StackMethod::Libdw);
  EXPECT_EQ(exit_status(snapshot), kExitComplete);  // an exited thread is no missing half
}

TEST_F(StopPolicyTest, AThreadThatExitsWhileWaitedForIsReportedAsExitedAndNotDetached) {
  options.stop = StopMode::Each;
  add(process.blocked(kPid));
  add(process.blocked(kPid + 1));
  tracer.script(kPid + 1).waits = {WaitResult{StopOutcome::Exited, 0}};
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.tracer_calls(kPid + 1), (std::vector<std::string>{"seize", "interrupt", "wait"}))
      << log.dump();
  const Thread& gone = thread_of(*snapshot, kPid + 1);
  EXPECT_EQ(gone.state, "X");
  EXPECT_TRUE(has_note(gone, "exited during capture"));
  EXPECT_EQ(log.count("unwind", kPid + 1), 0);
}

TEST_F(StopPolicyTest, AThreadGoneAtItsInterruptIsReportedAsExited) {
  options.stop = StopMode::Each;
  add(process.blocked(kPid));
  add(process.blocked(kPid + 1));
  tracer.script(kPid + 1).interrupt_ok = false;
  tracer.script(kPid + 1).waits = {WaitResult{StopOutcome::Exited, 0}};
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.count("detach", kPid + 1), 0) << log.dump();
  EXPECT_EQ(log.count("registers", kPid + 1), 0);
  EXPECT_EQ(thread_of(*snapshot, kPid + 1).state, "X");
}

TEST_F(StopPolicyTest, AThreadWhoseStatVanishesMidCaptureIsReportedAsExited) {
  options.stop = StopMode::Each;
  add(process.blocked(kPid));
  add(process.blocked(kPid + 1));
  // kPid + 1 ends while kPid is held: listed in task/, its files gone by its turn.
  tracer.script(kPid).on_detach = [&] {
    for (const char* file : {"stat", "status", "schedstat", "stack", "syscall", "wchan"}) {
      proc.fail(process.task_path(kPid + 1, file), ENOENT);
    }
  };
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.tracer_calls(kPid + 1), kNoCalls) << log.dump();
  const Thread& gone = thread_of(*snapshot, kPid + 1);
  EXPECT_EQ(gone.state, "X");
  EXPECT_TRUE(has_note(gone, "exited during capture"));
  EXPECT_FALSE(gone.kernel.error);
  EXPECT_FALSE(gone.user.error);
  EXPECT_EQ(exit_status(snapshot), kExitComplete);
}

TEST_F(StopPolicyTest, ASeizeRefusedBecauseTheThreadIsExitingIsNotAPermissionProblem) {
  options.stop = StopMode::Each;
  const FakeThread leader = add(process.blocked(kPid));
  const FakeThread dying = add(process.blocked(kPid + 1));
  // The kernel refuses to seize a thread on its way out with EPERM.
  tracer.script(kPid + 1).seize_errno = EPERM;
  tracer.script(kPid + 1).on_seize = [&] { process.set_state(dying, 'Z'); };
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  const Thread& gone = thread_of(*snapshot, kPid + 1);
  EXPECT_EQ(gone.state, "X");
  EXPECT_FALSE(gone.user.error);
  EXPECT_EQ(thread_of(*snapshot, leader.tid).user.method, StackMethod::Libdw);
}

}  // namespace
}  // namespace ukstack::testing
