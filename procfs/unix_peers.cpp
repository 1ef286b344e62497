#include "procfs/unix_peers.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

namespace ukstack::procfs {

namespace {

constexpr std::size_t align4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

// Copies a header out of the reply (the bytes may sit at any alignment).
template <class T>
bool read_at(std::span<const std::byte> bytes, std::size_t offset, T& out) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return false;
  std::memcpy(&out, bytes.data() + offset, sizeof(T));
  return true;
}

Error malformed(const char* why) { return Error{0, std::string("sock_diag reply: ") + why}; }

// The UNIX_DIAG_PEER attribute among the rtattrs of one message, if any.
Result<std::optional<std::uint32_t>> find_peer(std::span<const std::byte> attributes) {
  std::size_t offset = 0;
  while (offset + sizeof(rtattr) <= attributes.size()) {
    rtattr attribute{};
    (void)read_at(attributes, offset, attribute);
    if (attribute.rta_len < sizeof(rtattr) || attribute.rta_len > attributes.size() - offset) {
      return malformed("bad attribute length");
    }
    if (attribute.rta_type == UNIX_DIAG_PEER) {
      std::uint32_t peer = 0;
      if (attribute.rta_len < sizeof(rtattr) + sizeof peer) return malformed("short peer");
      (void)read_at(attributes, offset + sizeof(rtattr), peer);
      return std::optional<std::uint32_t>(peer);
    }
    offset += align4(attribute.rta_len);
  }
  return std::optional<std::uint32_t>();
}

}  // namespace

Result<UnixDiagEntry> parse_unix_diag_reply(std::span<const std::byte> reply) {
  std::size_t offset = 0;
  while (offset + sizeof(nlmsghdr) <= reply.size()) {
    nlmsghdr header{};
    (void)read_at(reply, offset, header);
    if (header.nlmsg_len < sizeof(nlmsghdr) || header.nlmsg_len > reply.size() - offset) {
      return malformed("bad message length");
    }
    const auto message = reply.subspan(offset, header.nlmsg_len);
    if (header.nlmsg_type == NLMSG_ERROR) {
      nlmsgerr error{};
      if (!read_at(message, sizeof(nlmsghdr), error)) return malformed("short error");
      // error 0 is an acknowledgement, not a failure; the entry should come first.
      if (error.error == 0) return malformed("no entry before the acknowledgement");
      const int errnum = error.error < 0 && error.error > -4096 ? -error.error : EPROTO;
      return Error::from_errno(errnum, "sock_diag query");
    }
    if (header.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      unix_diag_msg entry{};
      if (!read_at(message, sizeof(nlmsghdr), entry)) return malformed("short entry");
      const std::size_t attributes_at = sizeof(nlmsghdr) + align4(sizeof(unix_diag_msg));
      auto peer = find_peer(attributes_at <= message.size() ? message.subspan(attributes_at)
                                                            : std::span<const std::byte>());
      if (!peer) return peer.error();
      return UnixDiagEntry{.inode = entry.udiag_ino, .peer = *peer};
    }
    if (header.nlmsg_type == NLMSG_DONE) break;
    offset += align4(header.nlmsg_len);
  }
  return malformed("no entry");
}

Result<std::optional<std::uint64_t>> NetlinkUnixPeers::peer_of(std::uint64_t inode) const {
  // unix_diag identifies sockets by a 32-bit inode number.
  if (inode == 0 || inode > UINT32_MAX) return std::optional<std::uint64_t>();
  if (!socket_.valid()) {
    socket_.reset(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
    if (!socket_.valid()) return Error::from_errno(errno, "cannot open a sock_diag socket");
  }
  struct {
    nlmsghdr header;
    unix_diag_req request;
  } query{};
  query.header.nlmsg_len = sizeof query;
  query.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  query.header.nlmsg_flags = NLM_F_REQUEST;
  query.header.nlmsg_seq = ++sequence_;
  query.request.sdiag_family = AF_UNIX;
  query.request.udiag_states = ~0U;
  query.request.udiag_ino = static_cast<std::uint32_t>(inode);
  query.request.udiag_show = UDIAG_SHOW_PEER;
  query.request.udiag_cookie[0] = query.request.udiag_cookie[1] = ~0U;  // any cookie

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent = 0;
  do {
    sent = ::sendto(socket_.get(), &query, sizeof query, 0, reinterpret_cast<sockaddr*>(&kernel),
                    sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return Error::from_errno(errno, "cannot send a sock_diag query");

  alignas(nlmsghdr) std::array<std::byte, 8192> reply{};
  ssize_t received = 0;
  do {
    received = ::recv(socket_.get(), reply.data(), reply.size(), MSG_DONTWAIT);
  } while (received < 0 && errno == EINTR);
  if (received < 0) return Error::from_errno(errno, "no sock_diag reply");
  auto entry = parse_unix_diag_reply(std::span(reply.data(), static_cast<std::size_t>(received)));
  if (!entry) return entry.error();  // ENOENT: no such socket in this network namespace
  if (entry->inode != inode) return Error{0, "sock_diag answered for another socket"};
  if (!entry->peer || *entry->peer == 0) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(*entry->peer);
}

}  // namespace ukstack::procfs
