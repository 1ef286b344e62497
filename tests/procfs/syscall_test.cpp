#include "procfs/syscall.h"

#include <gtest/gtest.h>

#include "procfs/syscall_names.h"
#include "tests/procfs/samples.h"

namespace ukstack::procfs {
namespace {

using testing::sample;

TEST(Syscall, Running) {
  auto state = parse_syscall(sample("syscall-running.txt"));
  ASSERT_TRUE(state.ok()) << state.error().message;
  EXPECT_EQ(state->kind, SyscallState::Kind::Running);
}

TEST(Syscall, BlockedOutsideASystemCall) {
  auto state = parse_syscall(sample("syscall-not-in-syscall.txt"));
  ASSERT_TRUE(state.ok()) << state.error().message;
  EXPECT_EQ(state->kind, SyscallState::Kind::NotInSyscall);
  EXPECT_EQ(state->sp, RemoteAddr(0x7ffdaeab22b8));
  EXPECT_EQ(state->pc, RemoteAddr(0x7f44fee72932));
}

TEST(Syscall, Accept4WithArgumentsSpAndPc) {
  auto state = parse_syscall(sample("syscall-accept4.txt"));
  ASSERT_TRUE(state.ok()) << state.error().message;
  EXPECT_EQ(state->kind, SyscallState::Kind::InSyscall);
  EXPECT_EQ(syscall_name(state->nr), "accept4");
  EXPECT_EQ(state->args[0], 3u);        // the listening fd
  EXPECT_EQ(state->args[3], 0x80000u);  // SOCK_CLOEXEC
  EXPECT_EQ(state->sp, RemoteAddr(0x7fe7d959a9b0));
  EXPECT_EQ(state->pc, RemoteAddr(0x7fe7d9d28fa8));
}

TEST(Syscall, ClockNanosleep) {
  auto state = parse_syscall(sample("syscall-clock-nanosleep.txt"));
  ASSERT_TRUE(state.ok()) << state.error().message;
  EXPECT_EQ(syscall_name(state->nr), "clock_nanosleep");
  EXPECT_EQ(state->args[2], 0x7ffcd2b14190u);
}

TEST(Syscall, MalformedTextIsAnError) {
  for (const char* bad :
       {"", "\n", "runnin", "abc", "-1 0x1", "-1 0x1 0x2 0x3", "0 0x1 0x2 0x3 0x4 0x5 0x6 0x7",
        "0 0x1 0x2 0x3 0x4 0x5 0x6 0x7 zz", "-7 0x1 0x2"}) {
    auto state = parse_syscall(bad);
    EXPECT_FALSE(state.ok()) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace ukstack::procfs
