// The initial register set an unwind starts from, in x86-64 DWARF numbering
// (rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip = 0..16). Registers the source does
// not give (e.g. /proc/<tid>/syscall exposes only sp, pc and the argument
// registers) are marked unknown, and libdw treats them as undefined.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>

#include "base/remote_addr.h"
#include "procfs/syscall.h"

struct user_regs_struct;

namespace ukstack::unwind {

inline constexpr int kDwarfRegisterCount = 17;
inline constexpr int kDwarfRsp = 7;
inline constexpr int kDwarfRip = 16;

struct RegisterSet {
  std::array<std::uint64_t, kDwarfRegisterCount> values{};
  std::bitset<kDwarfRegisterCount> known;

  void set(int dwarf_regno, std::uint64_t value);
  RemoteAddr pc() const { return RemoteAddr(values[kDwarfRip]); }
  RemoteAddr sp() const { return RemoteAddr(values[kDwarfRsp]); }
  bool complete() const { return known.all(); }
};

// Every register, from a stopped thread (PTRACE_GETREGS).
RegisterSet registers_from_ptrace(const user_regs_struct& regs);

// sp, pc and rdi rsi rdx r10 r8 r9 from a thread blocked in a system call, read
// without stopping it. The argument registers matter: glibc's vfork keeps its
// return address in rdi.
RegisterSet registers_from_syscall(const procfs::SyscallState& state);

}  // namespace ukstack::unwind
