#include "procfs/fd_info.h"

#include <fcntl.h>

#include <cstdint>

#include "procfs/text.h"

namespace ukstack::procfs {

namespace {

std::optional<std::uint64_t> parse_octal(std::string_view s) {
  if (s.empty() || s.size() > 22) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return std::nullopt;
    if (value > (UINT64_MAX >> 3)) return std::nullopt;
    value = value * 8 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

}  // namespace

AccessMode FdInfo::access() const {
  switch (flags & O_ACCMODE) {
    case O_RDONLY:
      return AccessMode::Read;
    case O_WRONLY:
      return AccessMode::Write;
    default:  // O_RDWR, and the 3 (ioctl-only) some drivers use
      return AccessMode::ReadWrite;
  }
}

Result<FdInfo> parse_fdinfo(std::string_view fdinfo_text) {
  FdInfo info;
  bool have_flags = false;
  for (std::string_view line : text::lines(fdinfo_text)) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    const std::string_view value = text::trim(line.substr(colon + 1));
    if (key == "flags") {
      auto flags = parse_octal(value);
      if (!flags) return Error{0, "fdinfo: bad flags " + text::quote(value)};
      info.flags = *flags;
      have_flags = true;
    } else if (key == "ino") {
      info.inode = text::parse_u64(value);
    } else if (key == "Pid") {
      auto pid = text::parse_i64(value);
      if (pid && *pid >= -1 && *pid <= INT32_MAX) info.pidfd_pid = static_cast<int>(*pid);
    }
  }
  if (!have_flags) return Error{0, "fdinfo: no flags line"};
  return info;
}

}  // namespace ukstack::procfs
