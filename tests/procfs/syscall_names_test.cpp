#include "procfs/syscall_names.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>

namespace ukstack::procfs {
namespace {

TEST(SyscallNames, GeneratedTableMatchesTheLibcNumbers) {
  EXPECT_EQ(syscall_name(SYS_read), "read");
  EXPECT_EQ(syscall_name(SYS_accept), "accept");
  EXPECT_EQ(syscall_name(SYS_accept4), "accept4");
  EXPECT_EQ(syscall_name(SYS_epoll_wait), "epoll_wait");
  EXPECT_EQ(syscall_name(SYS_futex), "futex");
  EXPECT_EQ(syscall_name(SYS_clock_nanosleep), "clock_nanosleep");
  EXPECT_EQ(syscall_name(SYS_io_uring_enter), "io_uring_enter");
}

TEST(SyscallNames, UnknownNumbersHaveNoName) {
  EXPECT_EQ(syscall_name(-1), "");
  EXPECT_EQ(syscall_name(400), "");  // the x86-64 gap between 334 and 424
  EXPECT_EQ(syscall_name(100000), "");
}

TEST(SyscallNames, NumberFromName) {
  EXPECT_EQ(syscall_number("accept"), SYS_accept);
  EXPECT_EQ(syscall_number("epoll_pwait2"), SYS_epoll_pwait2);
  EXPECT_EQ(syscall_number("no_such_call"), -1);
  EXPECT_EQ(syscall_number(""), -1);
}

TEST(SyscallNames, FdArguments) {
  EXPECT_EQ(syscall_fd_args(SYS_accept), std::vector<int>{0});
  EXPECT_EQ(syscall_fd_args(SYS_read), std::vector<int>{0});
  EXPECT_EQ(syscall_fd_args(SYS_epoll_wait), std::vector<int>{0});
  EXPECT_EQ(syscall_fd_args(SYS_sendfile), (std::vector<int>{0, 1}));
  EXPECT_EQ(syscall_fd_args(SYS_splice), (std::vector<int>{0, 2}));
  EXPECT_TRUE(syscall_fd_args(SYS_futex).empty());
  EXPECT_TRUE(syscall_fd_args(SYS_clock_nanosleep).empty());
  EXPECT_TRUE(syscall_fd_args(-1).empty());
}

}  // namespace
}  // namespace ukstack::procfs
