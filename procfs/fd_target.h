// What a file descriptor points to: the readlink of /proc/<pid>/fd/<n> classified,
// and, for sockets, the matching line of /proc/<pid>/net/{tcp,tcp6,udp,udp6,unix}.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"

namespace ukstack::procfs {

struct FdLink {
  enum class Kind { Socket, Pipe, AnonInode, File, Other };
  Kind kind = Kind::Other;
  std::string target;       // the link text, e.g. "socket:[81234]"
  std::uint64_t inode = 0;  // socket and pipe
  std::string anon_type;    // "eventfd", "eventpoll", "timerfd", ...
};

FdLink classify_fd_link(std::string_view link);

struct SocketInfo {
  std::string description;  // "tcp 127.0.0.1:1337 LISTEN",
                            // "tcp 10.0.0.1:443 → 10.0.0.2:5123 ESTABLISHED",
                            // "unix /run/x.sock", "udp [::1]:53"
  // tcp and udp: the endpoints as keys that match the other end's, a v4-mapped
  // address written as plain v4 ("127.0.0.1:1337", "[::1]:80"), so the two sockets
  // of a connection on this host are found by swapping local and remote.
  std::string local;
  std::string remote;
  bool loopback = false;  // the remote address is 127.0.0.0/8, ::1 or v4-mapped 127/8
};

using SocketTable = std::unordered_map<std::uint64_t, SocketInfo>;  // by inode

// Parse one of the net files; `protocol` is "tcp", "tcp6", "udp", "udp6" or "unix".
// Entries are added to `table` (keyed by inode; inode 0 is skipped).
Status parse_net_table(std::string_view protocol, std::string_view text, SocketTable& table);

// One phrase for a user: "tcp 127.0.0.1:1337 LISTEN", "pipe:[123]", "eventfd",
// "epoll", "/var/log/x.log". `sockets` may be null (socket then shows its link).
std::string describe_fd(const FdLink& link, const SocketTable* sockets);

}  // namespace ukstack::procfs
