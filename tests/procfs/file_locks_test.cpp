#include "procfs/file_locks.h"

#include <gtest/gtest.h>

#include "tests/procfs/samples.h"

namespace ukstack::procfs {
namespace {

using testing::sample;

TEST(FileLocks, GrantedLocksAndTheRequestsQueuedBehindThem) {
  auto locks = parse_file_locks(sample("locks-6.18-waiters.txt"));
  ASSERT_TRUE(locks.ok()) << locks.error().message;
  ASSERT_EQ(locks->size(), 7u);
  const FileLock& flock_holder = (*locks)[2];
  EXPECT_EQ(flock_holder.kind, "FLOCK");
  EXPECT_EQ(flock_holder.type, "WRITE");
  EXPECT_EQ(flock_holder.pid, 23009);
  EXPECT_EQ(flock_holder.major, 0xfeu);
  EXPECT_EQ(flock_holder.minor, 0u);
  EXPECT_EQ(flock_holder.inode, 10953106u);
  EXPECT_FALSE(flock_holder.blocked());
  EXPECT_FALSE(flock_holder.end);

  EXPECT_EQ((*locks)[3].depth, 1);
  EXPECT_EQ((*locks)[3].pid, 23013);
  EXPECT_EQ((*locks)[4].depth, 2);  // waits behind the request above it
  EXPECT_EQ((*locks)[4].type, "READ");

  // Both requests, nested or not, are held up by the granted lock at the root.
  EXPECT_EQ(granted_blocker(*locks, 3), 2u);
  EXPECT_EQ(granted_blocker(*locks, 4), 2u);
  EXPECT_EQ(granted_blocker(*locks, 1), 0u);
  EXPECT_FALSE(granted_blocker(*locks, 2));   // granted itself
  EXPECT_FALSE(granted_blocker(*locks, 99));  // no such entry
}

TEST(FileLocks, OfdLockHasNoPidAndRangesAreKept) {
  auto locks = parse_file_locks(sample("locks-6.18-ofd-and-range.txt"));
  ASSERT_TRUE(locks.ok()) << locks.error().message;
  ASSERT_EQ(locks->size(), 3u);
  EXPECT_EQ((*locks)[0].start, 50u);
  EXPECT_EQ((*locks)[0].end, 59u);
  EXPECT_EQ((*locks)[1].kind, "OFDLCK");
  EXPECT_EQ((*locks)[1].pid, -1);
  EXPECT_EQ((*locks)[1].end, 99u);
}

TEST(FileLocks, LockWithoutInodeAndEmptyText) {
  auto locks = parse_file_locks("1: LEASE  ACTIVE    READ  1234 <none>:0 0 EOF\n");
  ASSERT_TRUE(locks.ok()) << locks.error().message;
  ASSERT_EQ(locks->size(), 1u);
  EXPECT_EQ((*locks)[0].inode, 0u);
  auto none = parse_file_locks("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(FileLocks, OrphanRequestHasNoBlocker) {
  // A request one level deeper than anything above it: out of order, no answer.
  auto locks = parse_file_locks(
      "1: FLOCK  ADVISORY  WRITE 10 fe:00:5 0 EOF\n"
      "1:  -> FLOCK  ADVISORY  WRITE 11 fe:00:5 0 EOF\n");
  ASSERT_TRUE(locks.ok()) << locks.error().message;
  EXPECT_FALSE(granted_blocker(*locks, 1));
}

TEST(FileLocks, MalformedLinesAreErrors) {
  for (const char* bad :
       {"POSIX ADVISORY WRITE 1 fe:00:5 0 EOF\n", "1: POSIX ADVISORY WRITE\n",
        "1: POSIX ADVISORY WRITE x fe:00:5 0 EOF\n", "1: POSIX ADVISORY WRITE 1 fe00:5 0 EOF\n",
        "1: POSIX ADVISORY WRITE 1 0xfe:00:5 0 EOF\n", "1: POSIX ADVISORY WRITE -2 fe:00:5 0 EOF\n",
        "1: POSIX ADVISORY WRITE 1 fe:00:5 zero EOF\n",
        "1: POSIX ADVISORY WRITE 1 fe:00:5 0 end\n"}) {
    EXPECT_FALSE(parse_file_locks(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace ukstack::procfs
