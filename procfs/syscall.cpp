#include "procfs/syscall.h"

#include <string>

#include "procfs/text.h"

namespace ukstack::procfs {

namespace {
Error bad(std::string_view syscall_text, std::string_view why) {
  return Error{0, "cannot parse syscall state (" + std::string(why) +
                      "): " + text::quote(text::trim(syscall_text))};
}
}  // namespace

Result<SyscallState> parse_syscall(std::string_view syscall_text) {
  std::string_view trimmed = text::trim(syscall_text);
  SyscallState state;
  if (trimmed == "running") return state;

  auto fields = text::words(trimmed);
  if (fields.empty()) return bad(syscall_text, "empty");
  auto nr = text::parse_i64(fields[0]);
  if (!nr) return bad(syscall_text, "bad system call number");

  std::size_t next = 1;
  if (*nr == -1) {
    if (fields.size() != 3) return bad(syscall_text, "expected '-1 sp pc'");
    state.kind = SyscallState::Kind::NotInSyscall;
  } else {
    if (*nr < 0 || fields.size() != 9) return bad(syscall_text, "expected 'nr a1..a6 sp pc'");
    state.kind = SyscallState::Kind::InSyscall;
    state.nr = static_cast<long>(*nr);
    for (auto& arg : state.args) {
      auto value = text::parse_hex(fields[next++]);
      if (!value) return bad(syscall_text, "bad argument");
      arg = *value;
    }
  }
  auto sp = text::parse_hex(fields[next]);
  auto pc = text::parse_hex(fields[next + 1]);
  if (!sp || !pc) return bad(syscall_text, "bad sp or pc");
  state.sp = RemoteAddr(*sp);
  state.pc = RemoteAddr(*pc);
  return state;
}

}  // namespace ukstack::procfs
