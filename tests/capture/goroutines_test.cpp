// Goroutines read without a stop and checked, unwound and tied to their threads,
// on a fake Go runtime (tests/support/fake_go_runtime.h): a goroutine that moves
// between the reads of its record and of its stack is read again, one that never
// holds still is marked, each is unwound from the registers its status says, and
// threads and goroutines point at each other.
#include "capture/goroutines.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <vector>

#include "tests/support/fake_go_runtime.h"

namespace ukstack {
namespace {

using namespace unwind::fake_go;
using unwind::FakeAddressSpace;

constexpr std::uint32_t kSyscall = 3;

// The fake runtime's memory, with a hook run before every read (to move a
// goroutine under the reader's feet).
class HookedMemory final : public unwind::AddressSpace {
 public:
  explicit HookedMemory(const FakeAddressSpace& memory) : memory_(memory) {}
  Result<std::size_t> read(RemoteAddr addr, std::span<std::byte> out) const override {
    if (before_read) before_read(addr);
    return memory_.read(addr, out);
  }
  std::function<void(RemoteAddr)> before_read;

 private:
  const FakeAddressSpace& memory_;
};

// An unwinder that records what it was asked to unwind and answers one frame
// named after the pc, and names every address "creator".
class RecordingUnwinder final : public unwind::Unwinder {
 public:
  std::string_view method() const override { return "libdw"; }
  unwind::UnwoundStack unwind(const unwind::ThreadSample& sample) override {
    samples.push_back({sample.registers, sample.stack.base, sample.stack.bytes.size()});
    unwind::UnwoundStack stack;
    unwind::UnwoundFrame frame;
    frame.pc = sample.registers.pc();
    frame.function = "at_" + std::to_string(sample.registers.pc().value());
    stack.frames.push_back(frame);
    return stack;
  }
  std::vector<unwind::UnwoundFrame> describe(RemoteAddr pc, bool) override {
    unwind::UnwoundFrame frame;
    frame.pc = pc;
    frame.function = "creator";
    return {frame};
  }
  struct Asked {
    unwind::RegisterSet registers;
    RemoteAddr stack_base;
    std::size_t stack_size = 0;
  };
  std::vector<Asked> samples;
};

class Goroutines : public ::testing::Test {
 protected:
  Goroutines() {
    go.memory.add(RemoteAddr(0x8000), std::vector<std::byte>(0x100, std::byte{0x5a}));
    go.memory.add(RemoteAddr(0x9000), std::vector<std::byte>(0x100, std::byte{0xa5}));
  }
  FakeGoRuntime go{hand_layout(true)};
  HookedMemory memory{go.memory};
};

TEST_F(Goroutines, OneThatStayedPutIsReadOnceWithItsStack) {
  go.put_g(RemoteAddr(0x40000), {.goid = 1,
                                 .status = kWaiting,
                                 .wait_reason = 2,
                                 .pc = 0x4361b6,
                                 .sp = 0x8020,
                                 .stack_hi = 0x8100});
  go.put_allgs({0x40000});
  go.put_allm(0);

  GoroutineCapture capture = read_goroutines_checked(memory, go.layout());
  ASSERT_TRUE(capture.read);
  ASSERT_EQ(capture.goroutines.size(), 1u);
  const GoroutineSample& sample = capture.goroutines[0];
  EXPECT_FALSE(sample.changed_while_read);
  EXPECT_EQ(sample.info.wait_reason, "IO wait");
  // The used part of its stack: [sp, stack.hi).
  EXPECT_EQ(sample.stack.base, RemoteAddr(0x8020));
  EXPECT_EQ(sample.stack.bytes.size(), 0xe0u);
}

TEST_F(Goroutines, OneThatMovedBetweenTheReadsIsReadAgain) {
  go.put_g(RemoteAddr(0x40000),
           {.goid = 5, .status = kWaiting, .pc = 0x1000, .sp = 0x8020, .stack_hi = 0x8100});
  go.put_allgs({0x40000});
  // Just after its stack is copied, it runs and parks elsewhere, on another stack.
  bool moved = false;
  memory.before_read = [&](RemoteAddr addr) {
    if (!moved && addr == RemoteAddr(0x8020)) {
      moved = true;
      go.put_g(RemoteAddr(0x40000),
               {.goid = 5, .status = kWaiting, .pc = 0x2000, .sp = 0x9040, .stack_hi = 0x9100});
    }
  };

  GoroutineCapture capture = read_goroutines_checked(memory, go.layout());
  ASSERT_TRUE(moved);
  ASSERT_EQ(capture.goroutines.size(), 1u);
  const GoroutineSample& sample = capture.goroutines[0];
  EXPECT_FALSE(sample.changed_while_read);
  EXPECT_EQ(sample.info.sched_pc, RemoteAddr(0x2000));
  EXPECT_EQ(sample.stack.base, RemoteAddr(0x9040));
  EXPECT_EQ(sample.stack.bytes.size(), 0xc0u);
}

TEST_F(Goroutines, OneThatNeverHoldsStillIsMarked) {
  go.put_g(RemoteAddr(0x40000),
           {.goid = 5, .status = kRunnable, .pc = 0x1000, .sp = 0x8020, .stack_hi = 0x8100});
  go.put_allgs({0x40000});
  std::uint64_t pc = 0x1000;
  int moves = 0;
  memory.before_read = [&](RemoteAddr addr) {
    if (addr == RemoteAddr(0x8020)) {
      ++moves;
      go.put_g(RemoteAddr(0x40000),
               {.goid = 5, .status = kRunnable, .pc = ++pc, .sp = 0x8020, .stack_hi = 0x8100});
    }
  };

  GoroutineCapture capture = read_goroutines_checked(memory, go.layout(), /*retries=*/2);
  ASSERT_EQ(capture.goroutines.size(), 1u);
  EXPECT_TRUE(capture.goroutines[0].changed_while_read);
  EXPECT_EQ(moves, 3);  // the first read and two retries, then it is marked
}

TEST_F(Goroutines, TheListOfThreadsEndsAtACycle) {
  go.put_m(RemoteAddr(0x50000), 100, 0, 0x50100);
  go.put_m(RemoteAddr(0x50100), 101, 0, 0x50000);  // back to the first
  go.put_allm(0x50000);
  auto threads = unwind::read_go_threads(go.memory, go.layout());
  ASSERT_TRUE(threads.ok()) << threads.error().message;
  ASSERT_EQ(threads->size(), 2u);
  EXPECT_EQ((*threads)[0].tid, 100);
  EXPECT_EQ((*threads)[1].tid, 101);
}

TEST_F(Goroutines, EachIsUnwoundFromWhereItWillResumeAndTiedToItsThread) {
  // Goroutine 1 parked; 7 running on thread 101; 9 in a system call on thread 102.
  go.put_g(RemoteAddr(0x40000),
           {.goid = 1, .status = kWaiting, .pc = 0x1000, .sp = 0x8020, .stack_hi = 0x8100});
  go.put_g(RemoteAddr(0x40100), {.goid = 7, .status = kRunning, .m = 0x50100, .pc = 0x3000});
  go.put_g(RemoteAddr(0x40200), {.goid = 9,
                                 .status = kSyscall,
                                 .m = 0x50200,
                                 .pc = 0x4000,
                                 .sp = 0x9000,
                                 .stack_hi = 0x9100,
                                 .syscall_pc = 0x5000,
                                 .syscall_sp = 0x9010});
  go.put_allgs({0x40000, 0x40100, 0x40200});
  go.put_m(RemoteAddr(0x50000), 100, 0, 0x50100);  // idle in the scheduler
  go.put_m(RemoteAddr(0x50100), 101, 0x40100, 0x50200);
  go.put_m(RemoteAddr(0x50200), 102, 0x40200, 0);
  go.put_allm(0x50000);

  Snapshot snapshot;
  snapshot.process.pid = 100;
  for (int tid : {100, 101, 102, 103}) snapshot.threads.emplace_back().tid = tid;
  snapshot.threads[1].user.frames.emplace_back().function = "main.spin";

  RecordingUnwinder unwinder;
  add_goroutines(snapshot, read_goroutines_checked(memory, go.layout()), &unwinder,
                 GoroutineRead::CheckedNoStop, std::nullopt);

  ASSERT_EQ(snapshot.goroutines_read, GoroutineRead::CheckedNoStop);
  ASSERT_EQ(snapshot.goroutines.size(), 3u);
  const Goroutine& parked = snapshot.goroutines[0];
  const Goroutine& running = snapshot.goroutines[1];
  const Goroutine& in_syscall = snapshot.goroutines[2];

  // Two unwinds: the parked one from sched, the one in a system call from syscallsp.
  ASSERT_EQ(unwinder.samples.size(), 2u);
  EXPECT_EQ(unwinder.samples[0].registers.pc(), RemoteAddr(0x1000));
  EXPECT_EQ(unwinder.samples[0].registers.sp(), RemoteAddr(0x8020));
  EXPECT_EQ(unwinder.samples[0].stack_base, RemoteAddr(0x8020));
  EXPECT_EQ(unwinder.samples[1].registers.pc(), RemoteAddr(0x5000));
  EXPECT_EQ(unwinder.samples[1].registers.sp(), RemoteAddr(0x9010));
  EXPECT_EQ(parked.tid, std::nullopt);
  EXPECT_FALSE(parked.created_by);  // the main goroutine: Go names no creator
  EXPECT_EQ(in_syscall.tid, 102);
  ASSERT_TRUE(in_syscall.created_by);
  EXPECT_EQ(in_syscall.created_by->function, "creator");

  // The running one has its thread's frames.
  EXPECT_EQ(running.tid, 101);
  ASSERT_EQ(running.stack.frames.size(), 1u);
  EXPECT_EQ(running.stack.frames[0].function, "main.spin");

  // Each Go thread knows its goroutine, or that it runs none; 103 is not Go's.
  ASSERT_TRUE(snapshot.threads[0].go_goroutine);
  EXPECT_FALSE(*snapshot.threads[0].go_goroutine);
  EXPECT_EQ(snapshot.threads[1].go_goroutine, std::optional<std::uint64_t>(7));
  EXPECT_EQ(snapshot.threads[2].go_goroutine, std::optional<std::uint64_t>(9));
  EXPECT_FALSE(snapshot.threads[3].go_goroutine);
}

TEST_F(Goroutines, AListThatCannotBeReadIsANoteNotAFailure) {
  // No allgs at all in memory.
  Snapshot snapshot;
  add_goroutines(snapshot, read_goroutines_checked(memory, go.layout()), nullptr,
                 GoroutineRead::CheckedNoStop, std::nullopt);
  EXPECT_FALSE(snapshot.goroutines_read);
  EXPECT_TRUE(snapshot.goroutines.empty());
  ASSERT_EQ(snapshot.goroutine_notes.size(), 1u);
  EXPECT_NE(snapshot.goroutine_notes[0].find("runtime.allgs"), std::string::npos);
}

}  // namespace
}  // namespace ukstack
