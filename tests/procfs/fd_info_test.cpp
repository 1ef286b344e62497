#include "procfs/fd_info.h"

#include <gtest/gtest.h>

#include "tests/procfs/samples.h"

namespace ukstack::procfs {
namespace {

using testing::sample;

TEST(FdInfo, PipeWriteEndIsWriteOnly) {
  auto info = parse_fdinfo(sample("fdinfo-6.18-pipe-write-end.txt"));
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->access(), AccessMode::Write);
  EXPECT_TRUE(info->writes());
  EXPECT_FALSE(info->reads());
  EXPECT_EQ(info->inode, 2828939u);
}

TEST(FdInfo, ReadWriteFileWithLockLinesAndLargeFile) {
  auto info = parse_fdinfo(sample("fdinfo-6.18-locked-file.txt"));
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->flags, 0100002u);  // O_LARGEFILE | O_RDWR
  EXPECT_EQ(info->access(), AccessMode::ReadWrite);
  EXPECT_TRUE(info->reads() && info->writes());
}

TEST(FdInfo, OlderKernelsHaveNoInode) {
  auto info = parse_fdinfo(sample("fdinfo-5.10-no-ino.txt"));
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->access(), AccessMode::Read);  // O_CLOEXEC | O_RDONLY
  EXPECT_FALSE(info->inode);
}

TEST(FdInfo, PidfdNamesItsProcess) {
  auto info = parse_fdinfo(
      "pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1057\nPid:\t4242\nNSpid:\t4242\n");
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->pidfd_pid, 4242);
}

TEST(FdInfo, WithoutValidFlagsIsAnError) {
  for (const char* bad : {"", "pos:\t0\n", "flags:\t\n", "flags:\t08\n", "flags:\t0x2\n",
                          "flags:\t7777777777777777777777777\n"}) {
    EXPECT_FALSE(parse_fdinfo(bad).ok()) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace ukstack::procfs
