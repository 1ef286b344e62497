#include "procfs/file_locks.h"

#include "procfs/text.h"

namespace ukstack::procfs {

namespace {

Error bad_line(std::size_t number, std::string_view line, std::string_view why) {
  return Error{0, "/proc/locks line " + std::to_string(number) + ": " + std::string(why) + ": " +
                      text::quote(line)};
}

// "fe:00:10953106" (hex major, hex minor, decimal inode) or "<none>:0".
bool parse_device_inode(std::string_view field, FileLock& lock) {
  if (field.starts_with("<none>")) return true;
  const auto first = field.find(':');
  const auto second = field.find(':', first == std::string_view::npos ? first : first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) return false;
  auto major = text::parse_hex(field.substr(0, first));
  auto minor = text::parse_hex(field.substr(first + 1, second - first - 1));
  auto inode = text::parse_u64(field.substr(second + 1));
  if (!major || !minor || !inode || *major > 0xfffff || *minor > 0xfffff) return false;
  // parse_hex takes an optional "0x": the kernel never prints one.
  if (field.substr(0, second).find('x') != std::string_view::npos) return false;
  lock.major = static_cast<unsigned>(*major);
  lock.minor = static_cast<unsigned>(*minor);
  lock.inode = *inode;
  return true;
}

}  // namespace

Result<std::vector<FileLock>> parse_file_locks(std::string_view locks_text) {
  std::vector<FileLock> locks;
  std::size_t number = 0;
  for (std::string_view line : text::lines(locks_text)) {
    ++number;
    if (text::trim(line).empty()) continue;
    const auto colon = line.find(": ");
    if (colon == std::string_view::npos || !text::parse_u64(line.substr(0, colon))) {
      return bad_line(number, line, "no \"N: \"");
    }
    std::string_view rest = line.substr(colon + 2);
    FileLock lock;
    // "-> " at depth 1, " -> " at depth 2, ...: the spaces before the arrow count.
    const auto lead = rest.find_first_not_of(' ');
    if (lead != std::string_view::npos && rest.substr(lead).starts_with("->")) {
      lock.depth = static_cast<int>(lead) + 1;
      rest.remove_prefix(lead + 2);
    }
    auto fields = text::words(rest);
    if (fields.size() < 7) return bad_line(number, line, "too few fields");
    lock.kind = std::string(fields[0]);
    lock.type = std::string(fields[2]);
    auto pid = text::parse_i64(fields[3]);
    if (!pid || *pid < -1 || *pid > INT32_MAX) return bad_line(number, line, "bad pid");
    lock.pid = static_cast<int>(*pid);
    if (!parse_device_inode(fields[4], lock)) return bad_line(number, line, "bad device:inode");
    auto start = text::parse_u64(fields[5]);
    if (!start) return bad_line(number, line, "bad start");
    lock.start = *start;
    if (fields[6] != "EOF") {
      lock.end = text::parse_u64(fields[6]);
      if (!lock.end) return bad_line(number, line, "bad end");
    }
    locks.push_back(std::move(lock));
  }
  return locks;
}

std::optional<std::size_t> granted_blocker(const std::vector<FileLock>& locks, std::size_t index) {
  if (index >= locks.size() || !locks[index].blocked()) return std::nullopt;
  int depth = locks[index].depth;
  for (std::size_t i = index; i-- > 0;) {
    if (locks[i].depth >= depth) continue;
    // The blocker must sit exactly one level up; anything else is out of order.
    if (locks[i].depth != depth - 1) return std::nullopt;
    if (locks[i].depth == 0) return i;
    depth = locks[i].depth;
  }
  return std::nullopt;
}

}  // namespace ukstack::procfs
