#include "unwind/registers.h"

#include <gtest/gtest.h>
#include <sys/user.h>

namespace ukstack::unwind {
namespace {

TEST(Registers, FromPtraceMapsToDwarfNumbering) {
  user_regs_struct regs{};
  regs.rax = 1;
  regs.rdx = 2;
  regs.rbp = 7;
  regs.rsp = 0x7ffd0000;
  regs.r15 = 15;
  regs.rip = 0x401000;
  RegisterSet set = registers_from_ptrace(regs);
  EXPECT_TRUE(set.complete());
  EXPECT_EQ(set.values[0], 1u);    // rax
  EXPECT_EQ(set.values[1], 2u);    // rdx
  EXPECT_EQ(set.values[6], 7u);    // rbp
  EXPECT_EQ(set.values[15], 15u);  // r15
  EXPECT_EQ(set.sp(), RemoteAddr(0x7ffd0000));
  EXPECT_EQ(set.pc(), RemoteAddr(0x401000));
}

TEST(Registers, FromSyscallKeepsArgumentRegistersOnly) {
  procfs::SyscallState state;
  state.kind = procfs::SyscallState::Kind::InSyscall;
  state.nr = 58;  // vfork: its return address is in rdi
  state.args = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66};
  state.sp = RemoteAddr(0x7ffc1000);
  state.pc = RemoteAddr(0x7f0000001234);
  RegisterSet set = registers_from_syscall(state);
  EXPECT_FALSE(set.complete());
  EXPECT_EQ(set.pc(), state.pc);
  EXPECT_EQ(set.sp(), state.sp);
  EXPECT_TRUE(set.known.test(5));
  EXPECT_EQ(set.values[5], 0x11u);   // rdi
  EXPECT_EQ(set.values[4], 0x22u);   // rsi
  EXPECT_EQ(set.values[1], 0x33u);   // rdx
  EXPECT_EQ(set.values[10], 0x44u);  // r10
  EXPECT_EQ(set.values[8], 0x55u);   // r8
  EXPECT_EQ(set.values[9], 0x66u);   // r9
  EXPECT_FALSE(set.known.test(6));   // rbp is not exposed by the kernel
  EXPECT_FALSE(set.known.test(3));   // nor rbx
}

TEST(Registers, NotInSyscallGivesOnlySpAndPc) {
  procfs::SyscallState state;
  state.kind = procfs::SyscallState::Kind::NotInSyscall;
  state.sp = RemoteAddr(0x1000);
  state.pc = RemoteAddr(0x2000);
  RegisterSet set = registers_from_syscall(state);
  EXPECT_EQ(set.known.count(), 2u);
}

}  // namespace
}  // namespace ukstack::unwind
