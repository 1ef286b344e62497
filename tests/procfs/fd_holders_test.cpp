#include "procfs/fd_holders.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>

namespace ukstack::procfs {
namespace {

void add_fd(FakeProcSource& proc, int pid, int fd, const std::string& link, const char* flags) {
  const std::string p = std::to_string(pid);
  proc.add_link(p + "/fd/" + std::to_string(fd), link);
  proc.add_file(p + "/fdinfo/" + std::to_string(fd),
                std::string("pos:\t0\nflags:\t") + flags + "\nmnt_id:\t15\n");
}

TEST(FdHolders, BothEndsOfAPipeWithTheirAccessModes) {
  FakeProcSource proc;
  add_fd(proc, 100, 3, "pipe:[777]", "0");  // read end
  add_fd(proc, 100, 4, "/dev/null", "02");
  add_fd(proc, 200, 4, "pipe:[777]", "01");  // write end
  add_fd(proc, 300, 5, "pipe:[888]", "01");  // another pipe
  proc.add_file("self", "");                 // not a pid: skipped
  FdHolderQuery query;
  query.links = {"pipe:[777]"};
  const FdHolders holders = find_fd_holders(proc, query);
  EXPECT_EQ(holders.processes, 3);
  EXPECT_TRUE(holders.uninspected.empty());
  ASSERT_EQ(holders.by_link.count("pipe:[777]"), 1u);
  const auto& ends = holders.by_link.at("pipe:[777]");
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_EQ(ends[0].pid, 100);
  EXPECT_EQ(ends[0].access, AccessMode::Read);
  EXPECT_EQ(ends[1].pid, 200);
  EXPECT_EQ(ends[1].fd, 4);
  EXPECT_EQ(ends[1].access, AccessMode::Write);
}

TEST(FdHolders, ProcessesThatCannotBeInspectedAreNamedAndGoneOnesAreNot) {
  FakeProcSource proc;
  add_fd(proc, 100, 3, "pipe:[777]", "0");
  proc.fail("200/fd", EACCES);  // not permitted
  proc.fail("300/fd", ENOENT);  // exited during the scan
  add_fd(proc, 400, 1, "pipe:[777]", "01");
  proc.fail("400/fdinfo/1", EACCES);  // which end? cannot be told
  FdHolderQuery query;
  query.links = {"pipe:[777]"};
  const FdHolders holders = find_fd_holders(proc, query);
  EXPECT_EQ(holders.uninspected, (std::vector<int>{200, 400}));
  ASSERT_EQ(holders.by_link.at("pipe:[777]").size(), 1u);
}

TEST(FdHolders, FifoMatchesByPathAndIdentity) {
  FakeProcSource proc;
  const FileIdentity fifo{.major = 0xfe, .minor = 0, .inode = 42, .mode = S_IFIFO | 0644};
  add_fd(proc, 100, 3, "/run/app.fifo", "01");
  proc.add_identity("100/fd/3", fifo);
  add_fd(proc, 200, 3, "/run/app.fifo", "01");  // same path, another file (mount namespace)
  proc.add_identity("200/fd/3",
                    FileIdentity{.major = 0xfe, .minor = 1, .inode = 42, .mode = S_IFIFO | 0644});
  FdHolderQuery query;
  query.fifos["/run/app.fifo"] = fifo;
  const FdHolders holders = find_fd_holders(proc, query);
  ASSERT_EQ(holders.by_link.at("/run/app.fifo").size(), 1u);
  EXPECT_EQ(holders.by_link.at("/run/app.fifo")[0].pid, 100);
}

TEST(FdHolders, NothingAskedNothingScanned) {
  FakeProcSource proc;
  add_fd(proc, 100, 3, "pipe:[777]", "0");
  const FdHolders holders = find_fd_holders(proc, FdHolderQuery{});
  EXPECT_EQ(holders.processes, 0);
}

}  // namespace
}  // namespace ukstack::procfs
