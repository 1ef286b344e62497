// The goroutine reader on a fake Go runtime laid out in a FakeAddressSpace: each
// g's fields are where the layout says (two layouts: atomicstatus a plain uint32 as
// before Go 1.20, and the value inside an atomic.Uint32 struct since), and broken
// runtime data (a nil entry, an unreadable g, an absurd length) gives notes or an
// error, never a crash. The DWARF side of the two atomicstatus shapes is tested on
// C structs of this test program that have them.
#include "unwind/go_runtime.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "procfs/process_reader.h"
#include "tests/support/fake_go_runtime.h"
#include "unwind/debug_types.h"
#include "unwind/dwfl_session.h"
#include "unwind/fake_address_space.h"

extern "C" {
// atomicstatus as Go 1.19 declares it, and as Go 1.20 does (runtime/internal/atomic.Uint32
// is struct { noCopy noCopy; value uint32 }, noCopy an empty struct).
struct UkstackGoNoCopy {};
struct UkstackGoUint32 {
  UkstackGoNoCopy noCopy;
  std::uint32_t value;
};
struct UkstackGoPlainG {
  std::uint64_t goid;
  std::uint8_t waitreason;
  std::uint32_t atomicstatus;
};
struct UkstackGoAtomicG {
  std::uint64_t goid;
  std::uint8_t waitreason;
  UkstackGoUint32 atomicstatus;
};
[[gnu::used]] UkstackGoPlainG ukstack_go_plain_g = {};
[[gnu::used]] UkstackGoAtomicG ukstack_go_atomic_g = {};
}

namespace ukstack::unwind {
namespace {

using namespace fake_go;

class GoRuntimeReader : public ::testing::TestWithParam<bool> {
 protected:
  FakeGoRuntime go{hand_layout(GetParam())};
};

INSTANTIATE_TEST_SUITE_P(AtomicstatusShapes, GoRuntimeReader, ::testing::Values(false, true),
                         [](const auto& shape) {
                           return shape.param ? std::string("AtomicUint32") : std::string("Uint32");
                         });

TEST_P(GoRuntimeReader, EachGoroutineAsItsGHasIt) {
  go.put_g(RemoteAddr(0x40000), {.goid = 1, .status = kWaiting, .wait_reason = 2, .pc = 0x4361b6});
  go.put_g(RemoteAddr(0x40100), {.goid = 7, .status = kRunning, .m = 0x50000, .pc = 0x4000});
  go.put_g(RemoteAddr(0x40200), {.goid = 9, .status = kRunnable, .wait_reason = 1});
  go.put_m(RemoteAddr(0x50000), 4242);
  go.put_allgs({0x40000, 0x40100, 0x40200});

  auto list = go.read();
  ASSERT_TRUE(list.ok()) << list.error().message;
  EXPECT_TRUE(list->notes.empty()) << ::testing::PrintToString(list->notes);
  ASSERT_EQ(list->goroutines.size(), 3u);

  const auto& parked = list->goroutines[0];
  EXPECT_EQ(parked.g, RemoteAddr(0x40000));
  EXPECT_EQ(parked.goid, 1u);
  EXPECT_EQ(parked.status, "waiting");
  EXPECT_EQ(parked.wait_reason, "IO wait");
  EXPECT_EQ(parked.sched_pc, RemoteAddr(0x4361b6));
  EXPECT_EQ(parked.sched_sp, RemoteAddr(0x7001));
  EXPECT_EQ(parked.gopc, RemoteAddr(0x401001));
  EXPECT_EQ(parked.start_pc, RemoteAddr(0x402001));
  EXPECT_TRUE(parked.m.is_null());
  EXPECT_FALSE(parked.thread_id);
  EXPECT_TRUE(parked.notes.empty()) << ::testing::PrintToString(parked.notes);

  const auto& running = list->goroutines[1];
  EXPECT_EQ(running.goid, 7u);
  EXPECT_EQ(running.status, "running");
  EXPECT_EQ(running.m, RemoteAddr(0x50000));
  EXPECT_EQ(running.thread_id, 4242);

  // A stale wait reason is not shown for a goroutine that no longer waits.
  EXPECT_EQ(list->goroutines[2].status, "runnable");
  EXPECT_EQ(list->goroutines[2].wait_reason, "");
}

TEST_P(GoRuntimeReader, DeadGoroutinesAreCountedNotListed) {
  go.put_g(RemoteAddr(0x40000), {.goid = 1, .status = kWaiting, .wait_reason = 1});
  go.put_g(RemoteAddr(0x40100), {.goid = 2, .status = kDead});
  go.put_allgs({0x40000, 0x40100});
  auto list = go.read();
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list->goroutines.size(), 1u);
  EXPECT_EQ(list->goroutines[0].wait_reason, "chan receive");
  EXPECT_EQ(list->dead, 1u);
}

TEST_P(GoRuntimeReader, TheScanBitIsSetApartFromTheStatus) {
  go.put_g(RemoteAddr(0x40000), {.goid = 3, .status = kWaiting | kScan, .wait_reason = 2});
  go.put_allgs({0x40000});
  auto list = go.read();
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list->goroutines.size(), 1u);
  EXPECT_EQ(list->goroutines[0].status, "waiting");
  EXPECT_TRUE(list->goroutines[0].being_scanned);
  EXPECT_EQ(list->goroutines[0].status_code, kWaiting | kScan);
  EXPECT_EQ(list->goroutines[0].wait_reason, "IO wait");
}

TEST_P(GoRuntimeReader, BrokenEntriesAreNotesAndTheRestIsRead) {
  go.put_g(RemoteAddr(0x40000), {.goid = 1, .status = kWaiting, .wait_reason = 99});
  go.put_g(RemoteAddr(0x40100), {.goid = 2, .status = 77, .m = 0x60000});  // m not mapped
  go.put_g(RemoteAddr(0x40200), {.goid = 3, .status = kRunning, .m = 0x50000});
  go.put_m(RemoteAddr(0x50000), 0);  // an M not yet on its thread
  // nil, then a g pointer into nothing.
  go.put_allgs({0x40000, 0, 0xdead0000, 0x40100, 0x40200});

  auto list = go.read();
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list->notes.size(), 1u) << ::testing::PrintToString(list->notes);
  EXPECT_NE(list->notes[0].find("entry 1"), std::string::npos) << list->notes[0];
  ASSERT_EQ(list->goroutines.size(), 4u);

  EXPECT_EQ(list->goroutines[0].wait_reason, "");
  ASSERT_EQ(list->goroutines[0].notes.size(), 1u);
  EXPECT_NE(list->goroutines[0].notes[0].find("wait reason 99"), std::string::npos);

  EXPECT_EQ(list->goroutines[1].g, RemoteAddr(0xdead0000));
  ASSERT_EQ(list->goroutines[1].notes.size(), 1u);
  EXPECT_NE(list->goroutines[1].notes[0].find("cannot be read"), std::string::npos);

  const auto& odd = list->goroutines[2];
  EXPECT_EQ(odd.goid, 2u);
  EXPECT_EQ(odd.status, "");
  EXPECT_EQ(odd.status_code, 77u);
  EXPECT_FALSE(odd.thread_id);
  EXPECT_EQ(odd.notes.size(), 2u) << ::testing::PrintToString(odd.notes);

  EXPECT_FALSE(list->goroutines[3].thread_id);
  EXPECT_EQ(list->goroutines[3].notes.size(), 1u);
}

TEST_P(GoRuntimeReader, AnAbsurdLengthIsAnErrorNotARead) {
  go.put_allgs({}, kMaxGoroutines + 1, kMaxGoroutines + 1);
  auto list = go.read();
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.error().message.find("corrupted"), std::string::npos) << list.error().message;
}

TEST_P(GoRuntimeReader, AnArrayShorterThanItsLengthEndsTheListWithANote) {
  go.put_g(RemoteAddr(0x40000), {.goid = 1, .status = kRunnable});
  go.put_allgs({0x40000}, 5000, 5000);  // only one pointer is there
  auto list = go.read();
  ASSERT_TRUE(list.ok()) << list.error().message;
  EXPECT_TRUE(list->goroutines.empty());
  ASSERT_EQ(list->notes.size(), 1u);
  EXPECT_NE(list->notes[0].find("cannot be read"), std::string::npos) << list->notes[0];
}

TEST_P(GoRuntimeReader, WhenAllglenAndTheSliceDifferTheSmallerIsRead) {
  go.put_g(RemoteAddr(0x40000), {.goid = 1, .status = kRunnable});
  go.put_g(RemoteAddr(0x40100), {.goid = 2, .status = kRunnable});
  go.put_allgs({0x40000, 0x40100}, 2, 1);
  auto list = go.read();
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list->goroutines.size(), 1u);
  EXPECT_EQ(list->goroutines[0].goid, 1u);
  ASSERT_EQ(list->notes.size(), 1u);
  EXPECT_NE(list->notes[0].find("allglen"), std::string::npos) << list->notes[0];
}

TEST(GoRuntimeReaderErrors, NoAllgsIsAnError) {
  FakeGoRuntime go(hand_layout(false));  // the wait reasons only
  auto list = go.read();
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.error().message.find("runtime.allgs"), std::string::npos) << list.error().message;
}

TEST(GoRuntimeReaderErrors, ALayoutThatLeavesItsStructIsRefused) {
  GoRuntimeLayout layout = hand_layout(false);
  layout.status = {layout.g_size - 2, 4};
  FakeGoRuntime go(layout);
  go.put_allgs({});
  auto list = go.read();
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.error().message.find("atomicstatus"), std::string::npos) << list.error().message;
}

// The DWARF side: the same member name finds the integer in both shapes.
TEST(GoIntegerField, AtomicstatusByItsDwarfTypeInBothShapes) {
  procfs::RealProcSource proc;
  auto maps = procfs::ProcessReader(proc, getpid()).maps();
  ASSERT_TRUE(maps.ok()) << maps.error().message;
  auto session =
      DwflSession::open_process(getpid(), std::move(*maps), {}, std::chrono::milliseconds(0));
  ASSERT_TRUE(session.ok()) << session.error().message;
  DebugTypes types((*session)->get());

  auto plain = go_integer_field(types, "UkstackGoPlainG", "atomicstatus");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->offset, offsetof(UkstackGoPlainG, atomicstatus));
  EXPECT_EQ(plain->size, 4u);

  auto atomic = go_integer_field(types, "UkstackGoAtomicG", "atomicstatus");
  ASSERT_TRUE(atomic.ok()) << atomic.error().message;
  EXPECT_EQ(atomic->offset,
            offsetof(UkstackGoAtomicG, atomicstatus) + offsetof(UkstackGoUint32, value));
  EXPECT_EQ(atomic->size, 4u);

  // A struct with no integer "value" is not read as one.
  auto wrapper = go_integer_field(types, "UkstackGoAtomicG", "atomicstatus.noCopy");
  EXPECT_FALSE(wrapper.ok());
  EXPECT_FALSE(go_integer_field(types, "UkstackGoPlainG", "nosuchfield").ok());
}

}  // namespace
}  // namespace ukstack::unwind
