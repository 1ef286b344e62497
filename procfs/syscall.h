// /proc/<tid>/syscall:
//   "running"                          the task is on a CPU
//   "-1 0x7ffd... 0x7f..."             blocked, but not in a system call (sp, pc)
//   "nr a1 a2 a3 a4 a5 a6 sp pc"       blocked in system call nr
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "base/remote_addr.h"
#include "base/result.h"

namespace ukstack::procfs {

struct SyscallState {
  enum class Kind { Running, NotInSyscall, InSyscall };
  Kind kind = Kind::Running;
  long nr = -1;                         // only for InSyscall
  std::array<std::uint64_t, 6> args{};  // rdi, rsi, rdx, r10, r8, r9 on x86-64
  RemoteAddr sp;                        // not for Running
  RemoteAddr pc;                        // not for Running
  bool operator==(const SyscallState&) const = default;
};

Result<SyscallState> parse_syscall(std::string_view text);

}  // namespace ukstack::procfs
