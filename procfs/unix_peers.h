// The peer of a unix socket. /proc/net/unix does not say which socket is connected
// to which; the kernel's NETLINK_SOCK_DIAG does, with UDIAG_SHOW_PEER (what
// `ss -xp` reads). A query answers for sockets of ukstack's own network namespace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "base/result.h"
#include "base/unique_fd.h"

namespace ukstack::procfs {

struct UnixDiagEntry {
  std::uint32_t inode = 0;
  std::optional<std::uint32_t> peer;  // the connected socket's inode; none if unconnected
};

// The kernel's reply to one exact query (the bytes of one recv): the entry, or an
// Error whose errnum is the kernel's (ENOENT: no such socket) or 0 for bytes that
// are not a well-formed reply.
Result<UnixDiagEntry> parse_unix_diag_reply(std::span<const std::byte> reply);

// The seam the capture asks through (faked in tests).
class UnixPeerSource {
 public:
  virtual ~UnixPeerSource() = default;
  // The inode of the socket connected to unix socket `inode`; nullopt if none.
  virtual Result<std::optional<std::uint64_t>> peer_of(std::uint64_t inode) const = 0;
};

// One NETLINK_SOCK_DIAG socket, opened on first use and closed with the object.
// Each query is answered by the kernel before send() returns, so the receive does
// not wait (MSG_DONTWAIT): a query cannot hang.
class NetlinkUnixPeers final : public UnixPeerSource {
 public:
  Result<std::optional<std::uint64_t>> peer_of(std::uint64_t inode) const override;

 private:
  mutable UniqueFd socket_;
  mutable std::uint32_t sequence_ = 0;
};

}  // namespace ukstack::procfs
