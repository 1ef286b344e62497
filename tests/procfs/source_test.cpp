#include "procfs/source.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "base/unique_fd.h"

namespace ukstack::procfs {
namespace {

TEST(FakeProcSource, FilesLinksAndFailures) {
  FakeProcSource source;
  source.add_file("42/task/42/stat", "42 (x) S 1 1 1 0 -1 0");
  source.add_link("42/fd/3", "pipe:[7]");
  source.fail("42/task/42/stack", EACCES);

  auto stat = source.read_file("42/task/42/stat");
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(*stat, "42 (x) S 1 1 1 0 -1 0");
  EXPECT_EQ(*source.read_link("42/fd/3"), "pipe:[7]");

  auto denied = source.read_file("42/task/42/stack");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().errnum, EACCES);
  EXPECT_NE(denied.error().message.find("/proc/42/task/42/stack"), std::string::npos);

  auto missing = source.read_file("42/task/42/syscall");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().errnum, ENOENT);
}

TEST(FakeProcSource, ListDirDerivesEntriesFromAddedPaths) {
  FakeProcSource source;
  source.add_file("42/task/42/stat", "");
  source.add_file("42/task/43/stat", "");
  source.add_file("42/task/43/stack", "");
  source.add_link("42/fd/0", "/dev/null");
  source.add_file("420/stat", "");  // not under "42/"

  EXPECT_EQ(*source.list_dir("42/task"), (std::vector<std::string>{"42", "43"}));
  EXPECT_EQ(*source.list_dir("42"), (std::vector<std::string>{"fd", "task"}));
  EXPECT_EQ(*source.list_dir("42/task/43"), (std::vector<std::string>{"stack", "stat"}));
  auto missing = source.list_dir("7/task");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().errnum, ENOENT);
}

TEST(RealProcSource, ReadsProcSelf) {
  RealProcSource source;
  auto stat = source.read_file("self/stat");
  ASSERT_TRUE(stat.ok()) << stat.error().message;
  EXPECT_EQ(stat->rfind(std::to_string(getpid()) + " (", 0), 0u) << *stat;
}

TEST(RealProcSource, ErrorsCarryErrnoAndThePath) {
  RealProcSource source;
  auto missing = source.read_file("self/no-such-file");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().errnum, ENOENT);
  EXPECT_NE(missing.error().message.find("/proc/self/no-such-file"), std::string::npos);
  EXPECT_FALSE(source.list_dir("self/no-such-dir").ok());
  EXPECT_EQ(source.read_link("self/no-such-link").error().errnum, ENOENT);
}

TEST(RealProcSource, OtherRootLargeFileAndSortedListing) {
  char pattern[] = "/tmp/ukstack-procfs-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::filesystem::path root = pattern;
  std::filesystem::create_directories(root / "42" / "task" / "43");
  std::filesystem::create_directories(root / "42" / "task" / "42");
  const std::string big(100000, 'x');  // more than one read()
  std::ofstream(root / "42" / "maps") << big;
  std::filesystem::create_symlink("/some where/else", root / "42" / "exe");

  RealProcSource source(root.string());
  auto content = source.read_file("42/maps");
  ASSERT_TRUE(content.ok()) << content.error().message;
  EXPECT_EQ(*content, big);
  EXPECT_EQ(*source.list_dir("42/task"), (std::vector<std::string>{"42", "43"}));
  EXPECT_EQ(*source.read_link("42/exe"), "/some where/else");
  std::filesystem::remove_all(root);
}

TEST(UniqueFd, ClosesOnceAndMoves) {
  int raw[2];
  ASSERT_EQ(::pipe(raw), 0);
  UniqueFd read_end(raw[0]);
  {
    UniqueFd write_end(raw[1]);
    UniqueFd moved = std::move(write_end);
    EXPECT_FALSE(
        write_end.valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_EQ(moved.get(), raw[1]);
  }
  // The write end is closed, so the read end sees EOF.
  char byte;
  EXPECT_EQ(::read(read_end.get(), &byte, 1), 0);
  int released = read_end.release();
  EXPECT_FALSE(read_end.valid());
  EXPECT_EQ(::close(released), 0);
}

}  // namespace
}  // namespace ukstack::procfs
