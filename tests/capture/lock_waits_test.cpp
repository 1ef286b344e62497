// find_lock_waits on hand-built snapshots over a fake address space. The locks'
// bytes are real glibc's: each mutex or rwlock is taken by this test's own threads
// through the pthread API, and its bytes are copied into the fake memory, so the
// layout is checked against what glibc writes, not against the code under test.
// Corruptions are then made on those bytes.
#include "capture/waits/lock_waits.h"

#include <gtest/gtest.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <thread>

#include "unwind/fake_address_space.h"

namespace ukstack::testing {
namespace {

using unwind::FakeAddressSpace;

constexpr int kPid = 4000;
constexpr int kWaiterTid = 4001;
constexpr std::uint64_t kLock = 0x55d0a0c0e040;
constexpr const char* kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
constexpr const char* kProgram = "/usr/bin/server";

Frame frame(std::string function, const char* module) {
  Frame out;
  out.pc = 0x7f0000001000;
  out.function = std::move(function);
  out.module = module;
  return out;
}

// The frames glibc 2.36 (with its debug symbols) shows for a thread in
// pthread_mutex_lock, called from the program.
std::vector<Frame> mutex_lock_frames() {
  return {frame("__lll_lock_wait", kLibc), frame("___pthread_mutex_lock", kLibc),
          frame("worker_loop", kProgram)};
}

Thread blocked_thread(int tid, std::string name, std::uint64_t futex, std::uint64_t op,
                      std::uint64_t expected, std::vector<Frame> frames) {
  Thread thread;
  thread.tid = tid;
  thread.name = std::move(name);
  thread.state = "S";
  thread.syscall = SyscallInfo{SYS_futex, "futex", {futex, op, expected, 0, 0, 0}, {}};
  thread.user.frames = std::move(frames);
  return thread;
}

Thread sleeping_thread(int tid, std::string name) {
  Thread thread;
  thread.tid = tid;
  thread.name = std::move(name);
  thread.state = "S";
  thread.syscall = SyscallInfo{SYS_clock_nanosleep, "clock_nanosleep", {0, 0, 0, 0, 0, 0}, {}};
  return thread;
}

Snapshot snapshot_of(std::vector<Thread> threads) {
  Snapshot snapshot;
  snapshot.process.pid = kPid;
  snapshot.threads = std::move(threads);
  return snapshot;
}

// The waiter's waits after find_lock_waits.
std::vector<Wait> waits_of(Snapshot snapshot, const FakeAddressSpace& memory) {
  find_lock_waits(snapshot, memory);
  for (const Thread& thread : snapshot.threads) {
    if (thread.tid == kWaiterTid) return thread.waits_for;
  }
  ADD_FAILURE() << "no waiter in the snapshot";
  return {};
}

bool contains(const std::optional<std::string>& text, const std::string& part) {
  return text && text->find(part) != std::string::npos;
}

// A mutex of `type` (and `protocol`, `robust`) locked by `lockers` calls in this thread.
pthread_mutex_t locked_mutex(int type, int protocol = PTHREAD_PRIO_NONE, int lockers = 1) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, type);
  pthread_mutexattr_setprotocol(&attr, protocol);
  pthread_mutex_t mutex;
  EXPECT_EQ(pthread_mutex_init(&mutex, &attr), 0);
  pthread_mutexattr_destroy(&attr);
  for (int i = 0; i < lockers; ++i) EXPECT_EQ(pthread_mutex_lock(&mutex), 0);
  return mutex;
}

// Its bytes as glibc wrote them; the local mutex is unlocked and destroyed after.
void place_and_release(FakeAddressSpace& memory, pthread_mutex_t& mutex, int lockers = 1) {
  memory.add_value(RemoteAddr(kLock), mutex);
  for (int i = 0; i < lockers; ++i) pthread_mutex_unlock(&mutex);
  pthread_mutex_destroy(&mutex);
}

int this_tid() { return static_cast<int>(gettid()); }

// ---- mutexes ------------------------------------------------------------------------

TEST(LockWaits, NormalMutexIsHeldByItsOwnerThread) {
  FakeAddressSpace memory;
  pthread_mutex_t mutex = locked_mutex(PTHREAD_MUTEX_NORMAL);
  place_and_release(memory, mutex);
  const int owner = this_tid();
  auto waits = waits_of(snapshot_of({blocked_thread(kWaiterTid, "waiter", kLock, FUTEX_WAIT_PRIVATE,
                                                    2, mutex_lock_frames()),
                                     sleeping_thread(owner, "owner")}),
                        memory);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_EQ(waits[0].kind, WaitKind::Mutex);
  EXPECT_EQ(waits[0].address, kLock);
  EXPECT_EQ(waits[0].description, "mutex 0x55d0a0c0e040");
  ASSERT_EQ(waits[0].holders.size(), 1u);
  EXPECT_EQ(waits[0].holders[0].pid, kPid);
  EXPECT_EQ(waits[0].holders[0].tid, owner);
  EXPECT_EQ(waits[0].holders[0].name, "owner");
  EXPECT_EQ(waits[0].holders[0].state, "S");
  EXPECT_FALSE(waits[0].reason);
}

TEST(LockWaits, RecursiveAndErrorCheckingMutexesNameTheirOwner) {
  for (int type : {PTHREAD_MUTEX_RECURSIVE, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_ADAPTIVE_NP}) {
    SCOPED_TRACE("type " + std::to_string(type));
    const int lockers = type == PTHREAD_MUTEX_RECURSIVE ? 2 : 1;
    FakeAddressSpace memory;
    pthread_mutex_t mutex = locked_mutex(type, PTHREAD_PRIO_NONE, lockers);
    place_and_release(memory, mutex, lockers);
    auto waits = waits_of(snapshot_of({blocked_thread(kWaiterTid, "waiter", kLock,
                                                      FUTEX_WAIT_PRIVATE, 2, mutex_lock_frames()),
                                       sleeping_thread(this_tid(), "owner")}),
                          memory);
    ASSERT_EQ(waits.size(), 1u);
    ASSERT_EQ(waits[0].holders.size(), 1u);
    EXPECT_EQ(waits[0].holders[0].tid, this_tid());
  }
}

TEST(LockWaits, PriorityInheritanceMutexOwnerIsTheFutexWord) {
  FakeAddressSpace memory;
  pthread_mutex_t mutex = locked_mutex(PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_INHERIT);
  mutex.__data.__owner = 0;  // the futex word alone must be enough
  memory.add_value(RemoteAddr(kLock), mutex);
  mutex.__data.__owner = this_tid();
  pthread_mutex_unlock(&mutex);
  pthread_mutex_destroy(&mutex);
  auto waits =
      waits_of(snapshot_of({blocked_thread(kWaiterTid, "waiter", kLock, FUTEX_LOCK_PI_PRIVATE, 0,
                                           {frame("__futex_lock_pi64", kLibc),
                                            frame("__pthread_mutex_lock_full", kLibc),
                                            frame("worker_loop", kProgram)}),
                            sleeping_thread(this_tid(), "owner")}),
               memory);
  ASSERT_EQ(waits.size(), 1u);
  ASSERT_EQ(waits[0].holders.size(), 1u);
  EXPECT_EQ(waits[0].holders[0].tid, this_tid());
}

TEST(LockWaits, RobustMutexWhoseOwnerDiedHasNoHolder) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_t mutex;
  ASSERT_EQ(pthread_mutex_init(&mutex, &attr), 0);
  pthread_mutexattr_destroy(&attr);
  int dead_tid = 0;
  std::thread([&] {
    pthread_mutex_lock(&mutex);
    dead_tid = this_tid();
  }).join();  // exits holding it: the kernel marks the futex word OWNER_DIED
  FakeAddressSpace memory;
  memory.add_value(RemoteAddr(kLock), mutex);
  auto waits = waits_of(snapshot_of({blocked_thread(kWaiterTid, "waiter", kLock, FUTEX_WAIT_PRIVATE,
                                                    0, mutex_lock_frames()),
                                     sleeping_thread(dead_tid, "recycled-tid")}),
                        memory);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_TRUE(waits[0].holders.empty());
  EXPECT_TRUE(contains(waits[0].reason, "died")) << waits[0].reason.value_or("");
}

TEST(LockWaits, UnreadableMutexGivesAReasonAndNoHolder) {
  FakeAddressSpace memory;  // nothing at kLock
  auto waits = waits_of(snapshot_of({blocked_thread(kWaiterTid, "waiter", kLock, FUTEX_WAIT_PRIVATE,
                                                    2, mutex_lock_frames())}),
                        memory);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_EQ(waits[0].kind, WaitKind::Mutex);
  EXPECT_EQ(waits[0].address, kLock);
  EXPECT_TRUE(waits[0].holders.empty());
  EXPECT_TRUE(contains(waits[0].reason, "cannot be read")) << waits[0].reason.value_or("");
}

TEST(LockWaits, MutexCutShortByTheEndOfMemoryIsUnreadable) {
  FakeAddressSpace memory;
  pthread_mutex_t mutex = locked_mutex(PTHREAD_MUTEX_NORMAL);
  auto bytes = std::as_bytes(std::span(&mutex, 1));
  memory.add(RemoteAddr(kLock), std::vector<std::byte>(bytes.begin(), bytes.begin() + 12));
  pthread_mutex_unlock(&mutex);
  auto waits = waits_of(snapshot_of({blocked_thread(kWaiterTid, "waiter", kLock, FUTEX_WAIT_PRIVATE,
                                                    2, mutex_lock_frames()),
                                     sleeping_thread(this_tid(), "owner")}),
                        memory);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_TRUE(waits[0].holders.empty());
  EXPECT_TRUE(waits[0].reason);
}

TEST(LockWaits, LockedMutexWithOwnerZeroHasNoHolder) {
  FakeAddressSpace memory;
  pthread_mutex_t mutex = locked_mutex(PTHREAD_MUTEX_NORMAL);
  mutex.__data.__owner = 0;
  place_and_release(memory, mutex);
  auto waits = waits_of(snapshot_of({blocked_thread(kWaiterTid, "waiter", kLock, FUTEX_WAIT_PRIVATE,
                                                    2, mutex_lock_frames())}),
                        memory);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_TRUE(waits[0].holders.empty());
  EXPECT_TRUE(contains(waits[0].reason, "no owner")) << waits[0].reason.value_or("");
}

TEST(LockWaits, OwnerThatIsNotAThreadOfTheProcessIsNotAHolder) {
  FakeAddressSpace memory;
  pthread_mutex_t mutex = locked_mutex(PTHREAD_MUTEX_NORMAL);
  mutex.__data.__owner = 999999;
  place_and_release(memory, mutex);
  auto waits = waits_of(snapshot_of({blocked_thread(kWaiterTid, "waiter", kLock, FUTEX_WAIT_PRIVATE,
                                                    2, mutex_lock_frames()),
                                     sleeping_thread(this_tid(), "owner")}),
                        memory);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_TRUE(waits[0].holders.empty());
  EXPECT_TRUE(contains(waits[0].reason, "999999")) << waits[0].reason.value_or("");
}

TEST(LockWaits, UnlockedMutexHasNoHolder) {
  FakeAddressSpace memory;
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  mutex.__data.__owner = this_tid();  // stale: __lock says it is free
  memory.add_value(RemoteAddr(kLock), mutex);
  auto waits = waits_of(snapshot_of({blocked_thread(kWaiterTid, "waiter", kLock, FUTEX_WAIT_PRIVATE,
                                                    2, mutex_lock_frames()),
                                     sleeping_thread(this_tid(), "owner")}),
                        memory);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_TRUE(waits[0].holders.empty());
  EXPECT_TRUE(contains(waits[0].reason, "not locked")) << waits[0].reason.value_or("");
}

TEST(LockWaits, MemoryThatIsNoMutexHasNoHolder) {
  FakeAddressSpace memory;
  pthread_mutex_t mutex = locked_mutex(PTHREAD_MUTEX_NORMAL);
  mutex.__data.__kind = 0x5a5a5a5a;  // bits no mutex kind has
  place_and_release(memory, mutex);
  auto waits = waits_of(snapshot_of({blocked_thread(kWaiterTid, "waiter", kLock, FUTEX_WAIT_PRIVATE,
                                                    2, mutex_lock_frames()),
                                     sleeping_thread(this_tid(), "owner")}),
                        memory);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_TRUE(waits[0].holders.empty());
  EXPECT_TRUE(contains(waits[0].reason, "does not hold a pthread mutex"))
      << waits[0].reason.value_or("");
}

// ---- which futex waits are lock waits -----------------------------------------------

// Memory with a locked mutex at kLock whose owner is a thread of the snapshot: any
// wait found below would have a holder, so "no wait" is the frames' doing.
class NotALockWait : public ::testing::Test {
 protected:
  void SetUp() override {
    pthread_mutex_t mutex = locked_mutex(PTHREAD_MUTEX_NORMAL);
    place_and_release(memory, mutex);
  }
  std::vector<Wait> waits_with(std::vector<Frame> frames, std::uint64_t op = FUTEX_WAIT_PRIVATE,
                               long nr = SYS_futex) {
    Thread waiter = blocked_thread(kWaiterTid, "waiter", kLock, op, 2, std::move(frames));
    waiter.syscall->nr = nr;
    return waits_of(snapshot_of({waiter, sleeping_thread(this_tid(), "owner")}), memory);
  }
  FakeAddressSpace memory;
};

TEST_F(NotALockWait, ConditionVariableWaitIsNoLockWait) {
  EXPECT_TRUE(waits_with({frame("__futex_abstimed_wait_common", kLibc),
                          frame("__pthread_cond_wait_common", kLibc),
                          frame("___pthread_cond_wait", kLibc), frame("worker_loop", kProgram)})
                  .empty());
}

TEST_F(NotALockWait, JoinSemaphoreAndTheProgramsOwnFutexAreNoLockWaits) {
  EXPECT_TRUE(waits_with({frame("__futex_abstimed_wait_common", kLibc),
                          frame("__pthread_clockjoin_ex", kLibc), frame("main", kProgram)})
                  .empty());
  EXPECT_TRUE(waits_with({frame("__futex_abstimed_wait_common", kLibc),
                          frame("__new_sem_wait_slow64", kLibc), frame("main", kProgram)})
                  .empty());
  EXPECT_TRUE(waits_with({frame("syscall", kLibc), frame("my_futex_wait", kProgram),
                          frame("pthread_mutex_lock", kLibc)})
                  .empty());
}

TEST_F(NotALockWait, FutexWakeOrAnotherCallIsNoWait) {
  EXPECT_TRUE(waits_with(mutex_lock_frames(), FUTEX_WAKE_PRIVATE).empty());
  EXPECT_TRUE(waits_with(mutex_lock_frames(), FUTEX_WAIT_PRIVATE, SYS_read).empty());
}

TEST_F(NotALockWait, FramesWithoutNamesAreNoLockWait) {
  EXPECT_TRUE(waits_with({frame("", kLibc), frame("", kProgram)}).empty());
}

TEST_F(NotALockWait, AMutexLockIsFoundThroughStdMutexAndLibcFramesWithoutDebugSymbols) {
  // Without libc's debug symbols __lll_lock_wait shows as the nearest exported name.
  auto waits =
      waits_with({frame("__lll_lock_wake_private", kLibc), frame("pthread_mutex_lock", kLibc),
                  frame("std::mutex::lock()", kProgram), frame("main", kProgram)});
  ASSERT_EQ(waits.size(), 1u);
  ASSERT_EQ(waits[0].holders.size(), 1u);
  EXPECT_EQ(waits[0].holders[0].tid, this_tid());
}

// ---- rwlocks --------------------------------------------------------------------------

std::vector<Frame> rwlock_frames(const char* entry) {
  return {frame("__futex_abstimed_wait_common", kLibc), frame(entry, kLibc),
          frame("worker_loop", kProgram)};
}

// An rwlock taken for writing (or reading) by this thread, its bytes at kLock.
void place_rwlock(FakeAddressSpace& memory, bool for_writing,
                  int kind = PTHREAD_RWLOCK_PREFER_READER_NP) {
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  pthread_rwlockattr_setkind_np(&attr, kind);
  pthread_rwlock_t rwlock;
  ASSERT_EQ(pthread_rwlock_init(&rwlock, &attr), 0);
  pthread_rwlockattr_destroy(&attr);
  ASSERT_EQ(for_writing ? pthread_rwlock_wrlock(&rwlock) : pthread_rwlock_rdlock(&rwlock), 0);
  memory.add_value(RemoteAddr(kLock), rwlock);
  pthread_rwlock_unlock(&rwlock);
  pthread_rwlock_destroy(&rwlock);
}

constexpr std::uint32_t kOneAndFutexUsed = 3;  // glibc: 1 | PTHREAD_RWLOCK_FUTEX_USED
constexpr std::uint32_t kFutexUsed = 2;

TEST(LockWaits, ReaderOfAnRwlockHeldForWritingWaitsForTheWriter) {
  FakeAddressSpace memory;
  place_rwlock(memory, /*for_writing=*/true);
  const std::uint64_t wrphase_futex = kLock + offsetof(pthread_rwlock_t, __data.__wrphase_futex);
  auto waits = waits_of(
      snapshot_of({blocked_thread(kWaiterTid, "reader", wrphase_futex, FUTEX_WAIT_BITSET_PRIVATE,
                                  kOneAndFutexUsed, rwlock_frames("pthread_rwlock_rdlock")),
                   sleeping_thread(this_tid(), "writer")}),
      memory);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_EQ(waits[0].kind, WaitKind::Rwlock);
  EXPECT_EQ(waits[0].address, kLock);
  EXPECT_EQ(waits[0].description, "rwlock 0x55d0a0c0e040");
  ASSERT_EQ(waits[0].holders.size(), 1u);
  EXPECT_EQ(waits[0].holders[0].tid, this_tid());
  EXPECT_EQ(waits[0].holders[0].name, "writer");
}

TEST(LockWaits, WriterBehindAnotherWriterWaitsForIt) {
  FakeAddressSpace memory;
  place_rwlock(memory, /*for_writing=*/true);
  const std::uint64_t writers_futex = kLock + offsetof(pthread_rwlock_t, __data.__writers_futex);
  auto waits = waits_of(
      snapshot_of({blocked_thread(kWaiterTid, "writer-2", writers_futex, FUTEX_WAIT_BITSET_PRIVATE,
                                  kOneAndFutexUsed, rwlock_frames("___pthread_rwlock_wrlock")),
                   sleeping_thread(this_tid(), "writer")}),
      memory);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_EQ(waits[0].address, kLock);
  ASSERT_EQ(waits[0].holders.size(), 1u);
  EXPECT_EQ(waits[0].holders[0].tid, this_tid());
}

TEST(LockWaits, WriterOfAnRwlockHeldByReadersSaysSoWithoutAHolder) {
  FakeAddressSpace memory;
  place_rwlock(memory, /*for_writing=*/false);
  const std::uint64_t wrphase_futex = kLock + offsetof(pthread_rwlock_t, __data.__wrphase_futex);
  auto waits = waits_of(
      snapshot_of({blocked_thread(kWaiterTid, "writer", wrphase_futex, FUTEX_WAIT_BITSET_PRIVATE,
                                  kFutexUsed, rwlock_frames("pthread_rwlock_wrlock")),
                   sleeping_thread(this_tid(), "reader")}),
      memory);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_EQ(waits[0].address, kLock);
  EXPECT_TRUE(waits[0].holders.empty());
  EXPECT_TRUE(contains(waits[0].reason, "reading by 1 thread")) << waits[0].reason.value_or("");
}

TEST(LockWaits, ReaderWaitingOnTheReadersWordOfAPreferWriterLock) {
  FakeAddressSpace memory;
  place_rwlock(memory, /*for_writing=*/false, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  // glibc 2.36 waits on __readers with its value, RWAITING (4) set.
  const std::uint32_t readers_value = (1u << 3) | 2 | 4;
  auto waits =
      waits_of(snapshot_of({blocked_thread(kWaiterTid, "reader-2", kLock, FUTEX_WAIT_BITSET_PRIVATE,
                                           readers_value, rwlock_frames("pthread_rwlock_rdlock")),
                            sleeping_thread(this_tid(), "reader")}),
               memory);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_EQ(waits[0].address, kLock);
  EXPECT_TRUE(waits[0].holders.empty());
  EXPECT_TRUE(contains(waits[0].reason, "reading")) << waits[0].reason.value_or("");
}

TEST(LockWaits, RwlockBadInputGivesAReasonAndNoHolder) {
  const std::uint64_t wrphase_futex = kLock + offsetof(pthread_rwlock_t, __data.__wrphase_futex);
  auto reader_waits = [&](const FakeAddressSpace& memory, std::uint32_t expected) {
    return waits_of(
        snapshot_of({blocked_thread(kWaiterTid, "reader", wrphase_futex, FUTEX_WAIT_BITSET_PRIVATE,
                                    expected, rwlock_frames("pthread_rwlock_rdlock")),
                     sleeping_thread(this_tid(), "writer")}),
        memory);
  };
  {
    SCOPED_TRACE("unreadable");
    auto waits = reader_waits(FakeAddressSpace{}, kOneAndFutexUsed);
    ASSERT_EQ(waits.size(), 1u);
    EXPECT_EQ(waits[0].address, kLock);
    EXPECT_TRUE(waits[0].holders.empty());
    EXPECT_TRUE(contains(waits[0].reason, "cannot be read")) << waits[0].reason.value_or("");
  }
  {
    SCOPED_TRACE("a futex value glibc's rwlock never waits with");
    FakeAddressSpace memory;
    place_rwlock(memory, true);
    auto waits = reader_waits(memory, 1);
    ASSERT_EQ(waits.size(), 1u);
    EXPECT_FALSE(waits[0].address);
    EXPECT_TRUE(waits[0].holders.empty());
    EXPECT_TRUE(waits[0].reason);
  }
  {
    SCOPED_TRACE("held for writing, no writer recorded");
    pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
    pthread_rwlock_wrlock(&rwlock);
    pthread_rwlock_t copy = rwlock;
    pthread_rwlock_unlock(&rwlock);
    copy.__data.__cur_writer = 0;
    FakeAddressSpace memory;
    memory.add_value(RemoteAddr(kLock), copy);
    auto waits = reader_waits(memory, kOneAndFutexUsed);
    ASSERT_EQ(waits.size(), 1u);
    EXPECT_TRUE(waits[0].holders.empty());
    EXPECT_TRUE(contains(waits[0].reason, "no writer")) << waits[0].reason.value_or("");
  }
  {
    SCOPED_TRACE("not an rwlock");
    pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
    pthread_rwlock_wrlock(&rwlock);
    pthread_rwlock_t copy = rwlock;
    pthread_rwlock_unlock(&rwlock);
    copy.__data.__flags = 77;
    FakeAddressSpace memory;
    memory.add_value(RemoteAddr(kLock), copy);
    auto waits = reader_waits(memory, kOneAndFutexUsed);
    ASSERT_EQ(waits.size(), 1u);
    EXPECT_TRUE(waits[0].holders.empty());
    EXPECT_TRUE(contains(waits[0].reason, "does not hold a pthread rwlock"))
        << waits[0].reason.value_or("");
  }
}

}  // namespace
}  // namespace ukstack::testing
