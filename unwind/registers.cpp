#include "unwind/registers.h"

#include <sys/user.h>

namespace ukstack::unwind {

namespace {
// DWARF register numbers of the x86-64 psABI.
enum : int {
  kRax = 0,
  kRdx = 1,
  kRcx = 2,
  kRbx = 3,
  kRsi = 4,
  kRdi = 5,
  kRbp = 6,
  kR8 = 8,
  kR9 = 9,
  kR10 = 10,
  kR11 = 11,
  kR12 = 12,
  kR13 = 13,
  kR14 = 14,
  kR15 = 15,
};
}  // namespace

void RegisterSet::set(int dwarf_regno, std::uint64_t value) {
  values[static_cast<std::size_t>(dwarf_regno)] = value;
  known.set(static_cast<std::size_t>(dwarf_regno));
}

RegisterSet registers_from_ptrace(const user_regs_struct& regs) {
  RegisterSet set;
  set.set(kRax, regs.rax);
  set.set(kRdx, regs.rdx);
  set.set(kRcx, regs.rcx);
  set.set(kRbx, regs.rbx);
  set.set(kRsi, regs.rsi);
  set.set(kRdi, regs.rdi);
  set.set(kRbp, regs.rbp);
  set.set(kDwarfRsp, regs.rsp);
  set.set(kR8, regs.r8);
  set.set(kR9, regs.r9);
  set.set(kR10, regs.r10);
  set.set(kR11, regs.r11);
  set.set(kR12, regs.r12);
  set.set(kR13, regs.r13);
  set.set(kR14, regs.r14);
  set.set(kR15, regs.r15);
  set.set(kDwarfRip, regs.rip);
  return set;
}

RegisterSet registers_from_syscall(const procfs::SyscallState& state) {
  RegisterSet set;
  set.set(kDwarfRsp, state.sp.value());
  set.set(kDwarfRip, state.pc.value());
  if (state.kind == procfs::SyscallState::Kind::InSyscall) {
    static constexpr int kArgumentRegisters[6] = {kRdi, kRsi, kRdx, kR10, kR8, kR9};
    for (std::size_t i = 0; i < state.args.size(); ++i)
      set.set(kArgumentRegisters[i], state.args[i]);
  }
  return set;
}

}  // namespace ukstack::unwind
