// The BPF engine's decisions in a capture (DESIGN.md, "Engines"), against fakes: a
// thread whose record is of one moment is taken from it whole, without a /proc
// read or a stop; what is not takes today's path; the caller's access is checked
// before the first BPF read; --engine bpf fails where BPF does not work, auto
// falls back.
#include "tests/capture/capture_fixture.h"

namespace ukstack::testing {
namespace {

class BpfEngineTest : public CaptureTest {
 protected:
  // --engine bpf: one pass over every thread first (auto does so from
  // kBpfPassThreads threads on; below, on demand: tested at the end).
  void SetUp() override {
    CaptureTest::SetUp();
    use_bpf = true;
    options.engine = Engine::Bpf;
  }
  // The thread in /proc and in the fake BPF engine, blocked in accept4.
  FakeThread add_blocked(int tid) {
    FakeThread thread = add(process.blocked(tid));
    bpf.records[tid] = {fake_bpf_record(thread)};
    return thread;
  }
  // Reads of the thread's own /proc files, but for the process's stat and status
  // (the session checks its target at every capture).
  int proc_reads_of(int tid) const {
    int reads = 0;
    for (const char* file : {"schedstat", "stack", "syscall", "wchan"}) {
      reads += log.reads(file, tid);
    }
    return reads;
  }
};

const std::vector<std::string> kNoCalls;

TEST_F(BpfEngineTest, AutoTakesABlockedThreadWholeFromItsRecord) {
  add_blocked(kPid);
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(snapshot->engine, "bpf");
  EXPECT_EQ(log.tracer_calls(kPid), kNoCalls) << log.dump();
  EXPECT_EQ(proc_reads_of(kPid), 0) << log.dump();
  const Thread& thread = thread_of(*snapshot, kPid);
  EXPECT_EQ(thread.user.method, StackMethod::Bpf);
  EXPECT_EQ(thread.kernel.method, StackMethod::Bpf);
  EXPECT_EQ(functions(thread.user),
            (std::vector<std::string>{"bpf_" + std::to_string(kPid), "main"}));
  ASSERT_FALSE(thread.kernel.frames.empty());
  EXPECT_EQ(thread.kernel.frames.front().function, "inet_csk_accept");
  EXPECT_EQ(thread.wchan, "inet_csk_accept");
  ASSERT_TRUE(thread.syscall);
  EXPECT_EQ(thread.syscall->name, "accept4");
  EXPECT_EQ(thread.name, "server");
  // Unwound from the record's full registers (rbp too) and its stack copy.
  ASSERT_EQ(unwinding.samples().size(), 1u);
  EXPECT_TRUE(unwinding.samples()[0].registers.complete());
  EXPECT_EQ(unwinding.samples()[0].stack.base, RemoteAddr(kFakeBpfCopyBase));
  // The caller's access was checked before the first BPF read.
  EXPECT_LT(log.first("may_trace"), log.first("bpf_read")) << log.dump();
}

TEST_F(BpfEngineTest, ARecordTakenWhileTheThreadWokeIsTakenAgain) {
  const FakeThread thread = add_blocked(kPid);
  bpf.records[kPid] = {woke_during(fake_bpf_record(thread)), fake_bpf_record(thread)};
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(bpf.passes(), 2);  // the pass, then the thread alone
  EXPECT_EQ(log.tracer_calls(kPid), kNoCalls) << log.dump();
  EXPECT_EQ(thread_of(*snapshot, kPid).user.method, StackMethod::Bpf);
}

TEST_F(BpfEngineTest, ARecordThatStaysInconsistentTakesTodaysPath) {
  const FakeThread thread = add_blocked(kPid);
  bpf.records[kPid] = {woke_during(fake_bpf_record(thread))};  // every time
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(bpf.passes(), 1 + options.bpf_retries);
  const Thread& taken = thread_of(*snapshot, kPid);
  EXPECT_EQ(taken.user.method, StackMethod::Nostop);  // procfs's verified no-stop unwind
  EXPECT_EQ(taken.kernel.method, StackMethod::Procfs);
  EXPECT_GT(log.reads("stack", kPid), 0);
}

TEST_F(BpfEngineTest, ARunningThreadIsStoppedAsToday) {
  FakeThread thread = add(process.running(kPid));
  bpf.records[kPid] = {fake_bpf_record(thread)};
  bpf.records[kPid][0].before.on_cpu = bpf.records[kPid][0].after.on_cpu = 1;
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(bpf.passes(), 1);  // not taken again: running is not a race
  EXPECT_EQ(log.tracer_calls(kPid), full_stop()) << log.dump();
  EXPECT_EQ(thread_of(*snapshot, kPid).user.method, StackMethod::Libdw);
}

TEST_F(BpfEngineTest, AnUnwindThatReadBeyondTheCopyNeedsTheThreadStillPut) {
  add_blocked(kPid);
  unwinding.script(kPid).from_bpf.read_live_memory = true;
  // /proc says the thread ran since the record (one more run than the record saw).
  process.set_schedstat(kPid, "2601234 7131706 3\n");
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_NE(thread_of(*snapshot, kPid).user.method, StackMethod::Bpf) << log.dump();
}

TEST_F(BpfEngineTest, AnUnwindThatReadBeyondTheCopyIsKeptWhenTheThreadStayedPut) {
  add_blocked(kPid);
  unwinding.script(kPid).from_bpf.read_live_memory = true;
  process.set_schedstat(kPid, "2587533 7131706 2\n");  // as the record saw it
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;

  EXPECT_EQ(thread_of(*snapshot, kPid).user.method, StackMethod::Bpf) << log.dump();
  EXPECT_EQ(log.reads("schedstat", kPid), 1);
}

TEST_F(BpfEngineTest, EngineBpfRefusesAProcessTheCallerMayNotTrace) {
  add_blocked(kPid);
  options.engine = Engine::Bpf;
  refuse_trace = true;
  auto session = open();
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().errnum, EPERM);
  EXPECT_EQ(bpf.passes(), 0);  // nothing was read through BPF
}

TEST_F(BpfEngineTest, AutoLeavesAProcessTheCallerMayNotTraceToProcfs) {
  options.engine = Engine::Auto;
  add_blocked(kPid);
  unwinding.script(kPid).nostop.complete = false;  // BPF would be asked for it
  refuse_trace = true;
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(bpf.passes(), 0);
  EXPECT_EQ(snapshot->engine, "procfs");
}

TEST_F(BpfEngineTest, EngineBpfFailsWhenThePassFails) {
  add_blocked(kPid);
  options.engine = Engine::Bpf;
  bpf.fail = Error{ENOSYS, "BPF engine needs Linux 5.18 or later"};
  auto session = open();
  ASSERT_TRUE(session);
  auto snapshot = (*session)->capture();
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().message, "BPF engine needs Linux 5.18 or later");
  EXPECT_EQ(log.count("seize"), 0);
}

TEST_F(BpfEngineTest, AutoFallsBackToTodaysPathWhenBpfFails) {
  options.engine = Engine::Auto;
  add_blocked(kPid);
  unwinding.script(kPid).nostop.complete = false;
  bpf.fail = Error{EPERM, "BPF not permitted"};
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(bpf.passes(), 1);
  EXPECT_EQ(snapshot->engine, "procfs");
  EXPECT_EQ(log.tracer_calls(kPid), full_stop()) << log.dump();
  EXPECT_EQ(thread_of(*snapshot, kPid).user.method, StackMethod::Libdw);
}

TEST_F(BpfEngineTest, StopEachKeepsItsMeaning) {
  add_blocked(kPid);
  options.stop = StopMode::Each;
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(log.tracer_calls(kPid), full_stop()) << log.dump();
  EXPECT_EQ(bpf.passes(), 0);
  EXPECT_EQ(snapshot->engine, "procfs");
}

TEST_F(BpfEngineTest, StopAllKeepsItsMeaning) {
  add_blocked(kPid);
  options.stop = StopMode::All;
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(log.tracer_calls(kPid), full_stop()) << log.dump();
  EXPECT_EQ(bpf.passes(), 0);
}

TEST_F(BpfEngineTest, AThreadTheRecordShowsStillPutIsNotUnwoundAgain) {
  add_blocked(kPid);
  auto session = open();
  ASSERT_TRUE(session);
  ASSERT_TRUE(capture_with(**session));
  auto second = capture_with(**session);
  ASSERT_TRUE(second) << second.error().message;

  EXPECT_EQ(log.count("unwind", kPid), 1);  // the same schedstat: the same stack
  const Thread& thread = thread_of(*second, kPid);
  EXPECT_EQ(thread.user.method, StackMethod::Bpf);
  EXPECT_EQ(functions(thread.user),
            (std::vector<std::string>{"bpf_" + std::to_string(kPid), "main"}));
}

TEST_F(BpfEngineTest, AThreadThePassDidNotSeeTakesTodaysPath) {
  add_blocked(kPid);
  add(process.blocked(kPid + 1));  // appeared after the pass: no record
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(thread_of(*snapshot, kPid).user.method, StackMethod::Bpf);
  EXPECT_EQ(thread_of(*snapshot, kPid + 1).user.method, StackMethod::Nostop);
}

// ---- auto on a small process: /proc first, BPF on demand --------------------------

TEST_F(BpfEngineTest, AutoReadsASmallProcessFromProcWhenThatIsWholeWithoutBpf) {
  options.engine = Engine::Auto;
  add_blocked(kPid);
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(bpf.passes(), 0);  // the engine is not even loaded
  EXPECT_EQ(snapshot->engine, "procfs");
  EXPECT_EQ(thread_of(*snapshot, kPid).user.method, StackMethod::Nostop);
}

TEST_F(BpfEngineTest, AutoAsksBpfForAThreadProcCannotGiveWholeInsteadOfStoppingIt) {
  options.engine = Engine::Auto;
  add_blocked(kPid);
  unwinding.script(kPid).nostop.complete = false;  // a frame needs rbp
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(log.tracer_calls(kPid), kNoCalls) << log.dump();
  EXPECT_EQ(bpf.passes(), 1);  // that thread alone
  EXPECT_EQ(snapshot->engine, "bpf");
  const Thread& thread = thread_of(*snapshot, kPid);
  EXPECT_EQ(thread.user.method, StackMethod::Bpf);
  EXPECT_EQ(thread.kernel.method, StackMethod::Bpf);  // both halves of one moment
}

TEST_F(BpfEngineTest, ASecondThreadAskedForMakesOnePassOverEveryThread) {
  options.engine = Engine::Auto;
  for (int tid : {kPid, kPid + 1, kPid + 2}) {
    add_blocked(tid);
    unwinding.script(tid).nostop.complete = false;
  }
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(bpf.passes(), 2);  // the first thread alone, then every thread
  for (int tid : {kPid, kPid + 1, kPid + 2}) {
    EXPECT_EQ(thread_of(*snapshot, tid).user.method, StackMethod::Bpf) << tid;
    EXPECT_EQ(log.tracer_calls(tid), kNoCalls) << log.dump();
  }
  // From the pass on, no thread is read from /proc before its record.
  EXPECT_EQ(proc_reads_of(kPid + 2), 0) << log.dump();
}

TEST_F(BpfEngineTest, AutoReadsAProcessOfManyThreadsInOnePassFirst) {
  options.engine = Engine::Auto;
  for (int i = 0; i < static_cast<int>(kBpfPassThreads); ++i) add_blocked(kPid + i);
  auto snapshot = capture_once();
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(bpf.passes(), 1);
  EXPECT_EQ(snapshot->engine, "bpf");
  for (const Thread& thread : snapshot->threads) {
    EXPECT_EQ(thread.user.method, StackMethod::Bpf) << thread.tid;
    EXPECT_EQ(proc_reads_of(thread.tid), 0) << thread.tid;
  }
}

}  // namespace
}  // namespace ukstack::testing
