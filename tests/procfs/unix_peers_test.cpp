#include "procfs/unix_peers.h"

#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstring>
#include <vector>

#include "base/unique_fd.h"

namespace ukstack::procfs {
namespace {

void append(std::vector<std::byte>& out, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const std::byte*>(data);
  out.insert(out.end(), bytes, bytes + size);
}

// A reply as the kernel writes it: one SOCK_DIAG_BY_FAMILY message with the entry
// and, when given, a UNIX_DIAG_PEER attribute (after another attribute).
std::vector<std::byte> diag_reply(std::uint32_t inode, std::optional<std::uint32_t> peer) {
  unix_diag_msg entry{};
  entry.udiag_family = AF_UNIX;
  entry.udiag_ino = inode;
  std::vector<std::byte> attributes;
  const std::uint8_t shutdown_state = 0;
  rtattr other{static_cast<unsigned short>(RTA_LENGTH(1)), UNIX_DIAG_SHUTDOWN};
  append(attributes, &other, sizeof other);
  append(attributes, &shutdown_state, 1);
  attributes.resize((attributes.size() + 3) & ~std::size_t{3});
  if (peer) {
    rtattr attribute{static_cast<unsigned short>(RTA_LENGTH(4)), UNIX_DIAG_PEER};
    append(attributes, &attribute, sizeof attribute);
    append(attributes, &*peer, 4);
  }
  nlmsghdr header{};
  header.nlmsg_len = static_cast<std::uint32_t>(NLMSG_LENGTH(sizeof entry) + attributes.size());
  header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  std::vector<std::byte> reply;
  append(reply, &header, sizeof header);
  append(reply, &entry, sizeof entry);
  reply.insert(reply.end(), attributes.begin(), attributes.end());
  return reply;
}

TEST(UnixDiagReply, EntryWithPeer) {
  auto entry = parse_unix_diag_reply(diag_reply(5678, 5679));
  ASSERT_TRUE(entry.ok()) << entry.error().message;
  EXPECT_EQ(entry->inode, 5678u);
  EXPECT_EQ(entry->peer, 5679u);
}

TEST(UnixDiagReply, UnconnectedSocketHasNoPeer) {
  auto entry = parse_unix_diag_reply(diag_reply(5678, std::nullopt));
  ASSERT_TRUE(entry.ok()) << entry.error().message;
  EXPECT_FALSE(entry->peer);
}

TEST(UnixDiagReply, KernelErrorCarriesItsErrno) {
  struct {
    nlmsghdr header;
    nlmsgerr error;
  } message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = NLMSG_ERROR;
  message.error.error = -ENOENT;
  std::vector<std::byte> reply;
  append(reply, &message, sizeof message);
  auto entry = parse_unix_diag_reply(reply);
  ASSERT_FALSE(entry.ok());
  EXPECT_EQ(entry.error().errnum, ENOENT);
}

TEST(UnixDiagReply, CutOrCorruptedRepliesAreErrors) {
  const std::vector<std::byte> whole = diag_reply(5678, 5679);
  for (std::size_t size = 0; size < whole.size(); ++size) {
    auto entry = parse_unix_diag_reply(std::span(whole.data(), size));
    EXPECT_FALSE(entry.ok() && entry->peer) << "cut at " << size;
  }
  std::vector<std::byte> bad_attribute = whole;
  bad_attribute[sizeof(nlmsghdr) + sizeof(unix_diag_msg)] = std::byte{0xff};  // rta_len
  EXPECT_FALSE(parse_unix_diag_reply(bad_attribute).ok());
}

std::uint64_t inode_of(int fd) {
  struct stat st {};
  EXPECT_EQ(::fstat(fd, &st), 0);
  return st.st_ino;
}

// The real query, on a socket pair of this process: each end's peer is the other.
TEST(NetlinkUnixPeers, SocketPairEndsArePeers) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd a(pair[0]), b(pair[1]);
  const NetlinkUnixPeers peers;
  auto peer_of_a = peers.peer_of(inode_of(a.get()));
  ASSERT_TRUE(peer_of_a.ok()) << peer_of_a.error().message;
  EXPECT_EQ(*peer_of_a, inode_of(b.get()));
  auto peer_of_b = peers.peer_of(inode_of(b.get()));
  ASSERT_TRUE(peer_of_b.ok()) << peer_of_b.error().message;
  EXPECT_EQ(*peer_of_b, inode_of(a.get()));
}

TEST(NetlinkUnixPeers, UnconnectedAndUnknownSockets) {
  UniqueFd lonely(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(lonely.valid());
  const NetlinkUnixPeers peers;
  auto none = peers.peer_of(inode_of(lonely.get()));
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(*none);
  // A pipe's inode is no unix socket: the kernel says there is no such socket.
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  UniqueFd r(pipe_fds[0]), w(pipe_fds[1]);
  auto unknown = peers.peer_of(inode_of(r.get()));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().errnum, ENOENT);
}

}  // namespace
}  // namespace ukstack::procfs
