// What a CaptureSession refuses before it stops anything (no such process, not
// permitted, already traced, a thread id for a PID, threads not in the process),
// what it reports per half, the exit status that follows, and when it reports the
// process's modules to the unwinder again.
#include "tests/capture/capture_fixture.h"

namespace ukstack::testing {
namespace {

using SessionTest = CaptureTest;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- what cannot be captured at all -------------------------------------------------

TEST_F(SessionTest, NoSuchProcessIsESRCH) {
  auto session = open();  // nothing in /proc for kPid but its maps
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().errnum, ESRCH);
  EXPECT_TRUE(contains(session.error().message, "no such process")) << session.error().message;
  EXPECT_EQ(unwinding.opened(), 0);
  EXPECT_TRUE(log.tracer_calls(kPid).empty());
}

TEST_F(SessionTest, AProcessGoneBeforeTheCaptureIsNoSuchProcess) {
  add(process.blocked(kPid));
  auto session = open();
  ASSERT_TRUE(session) << session.error().message;
  proc.fail(process.task_path(kPid, "stat"), ENOENT);
  auto snapshot = capture_with(**session);
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().errnum, ESRCH);
  EXPECT_TRUE(contains(snapshot.error().message, "no such process")) << snapshot.error().message;
  EXPECT_EQ(log.count("seize"), 0);
}

TEST_F(SessionTest, NotPermittedWhenEverySeizeIsRefused) {
  options.stop = StopMode::Each;
  for (int tid : {kPid, kPid + 1}) {
    add(process.blocked(tid));
    tracer.script(tid).seize_errno = EPERM;
  }
  auto snapshot = capture_once();
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().errnum, EPERM);
  EXPECT_TRUE(contains(snapshot.error().message, "not permitted")) << snapshot.error().message;
  EXPECT_EQ(log.count("interrupt"), 0);
  EXPECT_EQ(exit_status(snapshot), kExitNothing);
}

TEST_F(SessionTest, ARefusedSeizeOfOneThreadIsAPartialCapture) {
  options.stop = StopMode::Each;
  add(process.blocked(kPid));
  add(process.blocked(kPid + 1));
  tracer.script(kPid + 1).seize_errno = EPERM;
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  const Thread& refused = thread_of(*snapshot, kPid + 1);
  ASSERT_TRUE(refused.user.error);
  EXPECT_TRUE(contains(*refused.user.error, "not permitted")) << *refused.user.error;
  EXPECT_EQ(refused.state, "S");  // not mistaken for an exited thread
  EXPECT_FALSE(thread_of(*snapshot, kPid).user.error);
  EXPECT_EQ(exit_status(snapshot), kExitPartial);
}

TEST_F(SessionTest, AnAlreadyTracedProcessIsRefusedNamingItsTracer) {
  FakeThread leader = process.blocked(kPid);
  leader.tracer_pid = kOtherTracer;
  add(leader);
  process.add_other_process(kOtherTracer, "gdb");
  auto session = open();
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().errnum, EBUSY);
  EXPECT_TRUE(contains(session.error().message,
                       "already traced by PID " + std::to_string(kOtherTracer) + " (gdb)"))
      << session.error().message;
  EXPECT_TRUE(contains(session.error().message, "--stop none")) << session.error().message;
  EXPECT_TRUE(log.tracer_calls(kPid).empty());
}

TEST_F(SessionTest, AnAlreadyTracedProcessIsCapturedWithStopNoneAndSaysSo) {
  options.stop = StopMode::None;
  FakeThread leader = process.blocked(kPid);
  leader.tracer_pid = kOtherTracer;
  add(leader);
  add(process.blocked(kPid + 1));
  process.add_other_process(kOtherTracer, "gdb");
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(log.count("seize"), 0) << log.dump();
  for (const Thread& thread : snapshot->threads) {
    EXPECT_TRUE(has_note(thread, "traced by PID " + std::to_string(kOtherTracer) + " (gdb)"))
        << thread.tid << ": " << ::testing::PrintToString(thread.notes);
    EXPECT_EQ(thread.user.method, StackMethod::Nostop);
  }
}

TEST_F(SessionTest, ATracerPidThatIsUkstackItselfIsNoOtherDebugger) {
  FakeThread leader = process.blocked(kPid);
  leader.tracer_pid = getpid();  // a lingering seize of ours from the capture before
  add(leader);
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_FALSE(has_note(thread_of(*snapshot, kPid), "traced by PID"));
}

TEST_F(SessionTest, AThreadIdGivenAsThePidIsAnError) {
  const std::vector<FakeThread> threads = {add(process.blocked(kPid)),
                                           add(process.blocked(kPid + 1))};
  // /proc/<tid>/ of a non-leader thread shows the whole group too; only status's
  // Tgid says whose thread it is.
  process.add_view_as(kPid + 1, threads);
  auto session = open(kPid + 1);
  ASSERT_FALSE(session) << "a thread was taken for a process";
  EXPECT_TRUE(contains(session.error().message, "is a thread of process " + std::to_string(kPid)))
      << session.error().message;
  EXPECT_EQ(log.count("seize"), 0);
}

TEST_F(SessionTest, ATidNotInTheProcessIsAnError) {
  add(process.blocked(kPid));
  add(process.blocked(kPid + 1));
  options.tids = {kPid + 7};
  auto snapshot = capture_once();
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().errnum, ESRCH);
  EXPECT_TRUE(contains(snapshot.error().message, "none of the given threads"))
      << snapshot.error().message;
  EXPECT_EQ(log.count("seize"), 0);
}

TEST_F(SessionTest, OneTidOfSeveralNotInTheProcessIsAnError) {
  add(process.blocked(kPid));
  add(process.blocked(kPid + 1));
  options.tids = {kPid + 1, kPid + 7};
  auto snapshot = capture_once();
  ASSERT_FALSE(snapshot);
  EXPECT_TRUE(contains(snapshot.error().message, "no thread " + std::to_string(kPid + 7) +
                                                     " in process " + std::to_string(kPid)))
      << snapshot.error().message;
}

TEST_F(SessionTest, TidCapturesOnlyThatThreadAndTouchesNoOther) {
  options.stop = StopMode::Each;
  for (int tid : {kPid, kPid + 1, kPid + 2}) add(process.blocked(tid));
  options.tids = {kPid + 1};
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  ASSERT_EQ(snapshot->threads.size(), 1u);
  EXPECT_EQ(snapshot->threads[0].tid, kPid + 1);
  EXPECT_EQ(log.tracer_calls(kPid + 1), full_stop());
  EXPECT_TRUE(log.tracer_calls(kPid).empty());
  EXPECT_TRUE(log.tracer_calls(kPid + 2).empty());
  EXPECT_EQ(log.first_read("stack", kPid + 2), -1);
}

// ---- halves, and the exit status ---------------------------------------------------

TEST_F(SessionTest, AKernelStackThatNeedsRootIsAKernelHalfError) {
  add(process.blocked(kPid));
  proc.fail(process.task_path(kPid, "stack"), EACCES);
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  const Thread& thread = thread_of(*snapshot, kPid);
  EXPECT_EQ(thread.kernel.error, "kernel stack needs root (CAP_SYS_ADMIN)");
  EXPECT_TRUE(thread.kernel.frames.empty());
  // The wait channel comes from the file that needs less privilege.
  EXPECT_EQ(thread.wchan, "inet_csk_accept");
  EXPECT_FALSE(thread.user.error);  // the user half does not need it
  EXPECT_EQ(exit_status(snapshot), kExitPartial);
}

TEST_F(SessionTest, ExitStatusIsTwoWhenNothingWasCaptured) {
  auto session = open();
  ASSERT_FALSE(session);
  EXPECT_EQ(exit_status(Result<Snapshot>(session.error())), kExitNothing);
  EXPECT_EQ(kExitNothing, 2);
}

TEST_F(SessionTest, ExitStatusIsZeroWhenEveryHalfOfEveryThreadWasCaptured) {
  add(process.blocked(kPid));
  add(process.running(kPid + 1));
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  for (const Thread& thread : snapshot->threads) {
    EXPECT_FALSE(thread.kernel.error) << thread.tid;
    EXPECT_FALSE(thread.user.error) << thread.tid;
    EXPECT_FALSE(thread.user.frames.empty()) << thread.tid;
  }
  EXPECT_EQ(exit_status(snapshot), kExitComplete);
  EXPECT_EQ(kExitComplete, 0);
}

TEST_F(SessionTest, ExitStatusIsOneWhenAUserHalfIsCutShort) {
  add(process.running(kPid));
  unwinding.script(kPid).from_copy.error = "no CFI for pc";
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(thread_of(*snapshot, kPid).user.error, "no CFI for pc");
  EXPECT_EQ(exit_status(snapshot), kExitPartial);
  EXPECT_EQ(kExitPartial, 1);
}

// ---- one session, several captures --------------------------------------------------

TEST_F(SessionTest, ModulesAreReportedOnceWhileTheFileMappingsAreUnchanged) {
  add(process.blocked(kPid));
  auto session = open();
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(unwinding.opened(), 1);  // at open, before anything is stopped

  ASSERT_TRUE(capture_with(**session));
  ASSERT_TRUE(capture_with(**session));
  // A new thread's stack is anonymous memory: no module changes.
  add(process.blocked(kPid + 1));
  process.add_process_files("7ff8fa000000-7ff8fa800000 rw-p 00000000 00:00 0 \n");
  auto third = capture_with(**session);
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_EQ(third->threads.size(), 2u);

  EXPECT_EQ(unwinding.opened(), 1);
  EXPECT_EQ((*session)->module_reports(), 1);
}

TEST_F(SessionTest, ModulesAreReportedAgainAfterANewFileMappingAppears) {
  add(process.blocked(kPid));
  auto session = open();
  ASSERT_TRUE(session) << session.error().message;
  ASSERT_TRUE(capture_with(**session));
  ASSERT_EQ(unwinding.opened(), 1);

  // A dlopen.
  const std::string library = "/usr/lib/x86_64-linux-gnu/libfake_plugin.so";
  process.add_process_files("7ff8fa000000-7ff8fa001000 r-xp 00000000 fe:00 424242 " + library +
                            "\n");
  auto snapshot = capture_with(**session);
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(unwinding.opened(), 2);
  EXPECT_EQ((*session)->module_reports(), 2);
  const auto& mappings = unwinding.opened_with().back();
  EXPECT_TRUE(std::ranges::any_of(mappings, [&](const auto& m) { return m.path == library; }));
  // The new unwinder is the one used.
  EXPECT_EQ(thread_of(*snapshot, kPid).user.method, StackMethod::Nostop);

  ASSERT_TRUE(capture_with(**session));
  EXPECT_EQ(unwinding.opened(), 2);
}

TEST_F(SessionTest, EachCaptureOfASessionStopsAndLetsGoAgain) {
  options.stop = StopMode::Each;
  add(process.blocked(kPid));
  auto session = open();
  ASSERT_TRUE(session) << session.error().message;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(capture_with(**session));
  EXPECT_EQ(log.count("seize", kPid), 3);
  EXPECT_EQ(log.count("detach", kPid), 3);
  EXPECT_EQ(log.count("detach_lingering"), 3);
}

}  // namespace
}  // namespace ukstack::testing

namespace ukstack::testing {
namespace {

// Auto in a session's later captures: a blocked thread verified in place that has
// not been on a CPU since (same schedstat) is taken as the last capture saw it.
class SessionReuseTest : public CaptureTest {};

TEST_F(SessionReuseTest, AThreadThatNeverRanSinceIsNotReadOrUnwoundAgain) {
  add(process.blocked(kPid));
  auto session = open();
  ASSERT_TRUE(session) << session.error().message;
  auto first = capture_with(**session);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(unwinding.samples().size(), 1u);
  const int stack_reads = log.reads("stack", kPid);
  ASSERT_GT(stack_reads, 0) << log.dump();

  auto second = capture_with(**session);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(unwinding.samples().size(), 1u) << "unwound again though it never ran";
  EXPECT_EQ(log.reads("stack", kPid), stack_reads) << log.dump();
  const Thread& before = thread_of(*first, kPid);
  const Thread& after = thread_of(*second, kPid);
  EXPECT_EQ(functions(after.user), functions(before.user));
  EXPECT_EQ(after.user.method, StackMethod::Nostop);
  EXPECT_EQ(after.kernel.frames.size(), before.kernel.frames.size());
  EXPECT_EQ(after.wchan, before.wchan);
  ASSERT_TRUE(after.syscall);
  EXPECT_EQ(after.syscall->name, before.syscall->name);
}

TEST_F(SessionReuseTest, AThreadThatRanSinceIsReadAndUnwoundAgain) {
  add(process.blocked(kPid));
  auto session = open();
  ASSERT_TRUE(session) << session.error().message;
  ASSERT_TRUE(capture_with(**session));
  ASSERT_EQ(unwinding.samples().size(), 1u);

  process.set_schedstat(kPid, "2600000 7131706 3\n");  // it ran once more
  auto second = capture_with(**session);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(unwinding.samples().size(), 2u) << log.dump();
  EXPECT_EQ(thread_of(*second, kPid).user.method, StackMethod::Nostop);
}

TEST_F(SessionReuseTest, ARenamedThreadShowsItsNewNameThoughItNeverRan) {
  FakeThread thread = add(process.blocked(kPid));
  auto session = open();
  ASSERT_TRUE(session) << session.error().message;
  ASSERT_TRUE(capture_with(**session));

  thread.name = "renamed";  // another thread wrote its comm
  process.add(thread);
  auto second = capture_with(**session);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(unwinding.samples().size(), 1u);
  EXPECT_EQ(thread_of(*second, kPid).name, "renamed");
}

TEST_F(SessionReuseTest, StopEachNeverTakesAThreadFromThePreviousCapture) {
  options.stop = StopMode::Each;
  add(process.blocked(kPid));
  auto session = open();
  ASSERT_TRUE(session) << session.error().message;
  ASSERT_TRUE(capture_with(**session));
  ASSERT_TRUE(capture_with(**session));
  EXPECT_EQ(log.count("seize", kPid), 2) << log.dump();
}

TEST_F(SessionReuseTest, AThreadThatWasStoppedIsNotTakenFromThePreviousCapture) {
  add(process.blocked(kPid));
  unwinding.script(kPid).nostop.complete = false;  // auto has to stop it
  auto session = open();
  ASSERT_TRUE(session) << session.error().message;
  ASSERT_TRUE(capture_with(**session));
  ASSERT_TRUE(capture_with(**session));
  EXPECT_EQ(log.count("seize", kPid), 2) << log.dump();
}

}  // namespace
}  // namespace ukstack::testing
