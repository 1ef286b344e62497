#include "procfs/fd_target.h"

#include <gtest/gtest.h>

#include "tests/procfs/samples.h"

namespace ukstack::procfs {
namespace {

using testing::sample;

SocketTable load(const char* protocol) {
  SocketTable table;
  Status status = parse_net_table(protocol, sample(std::string("net-") + protocol + ".txt"), table);
  EXPECT_TRUE(status.ok()) << status.error().message;
  return table;
}

TEST(NetTables, Tcp) {
  SocketTable table = load("tcp");
  EXPECT_EQ(table.size(), 5u);  // the TIME_WAIT entry has inode 0
  EXPECT_EQ(table[26930].description, "tcp 127.0.0.1:1337 LISTEN");
  EXPECT_EQ(table[26931].description, "tcp 127.0.0.1:8000 LISTEN");
  EXPECT_EQ(table[26933].description, "tcp 127.0.0.1:8000 → 127.0.0.1:51248 ESTABLISHED");
  EXPECT_EQ(table[26932].description, "tcp 127.0.0.1:51248 → 127.0.0.1:8000 ESTABLISHED");
}

TEST(NetTables, Tcp6IncludingV4Mapped) {
  SocketTable table = load("tcp6");
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table[26936].description, "tcp6 [::1]:8080 LISTEN");
  EXPECT_EQ(table[26937].description, "tcp6 [::]:9090 LISTEN");
  EXPECT_EQ(table[26939].description,
            "tcp6 [::ffff:127.0.0.1]:9090 → [::ffff:127.0.0.1]:47890 ESTABLISHED");
}

// The two ends of one loopback connection, a v4 client and a v6 (v4-mapped) server
// socket: their keys match with local and remote swapped.
TEST(NetTables, EndpointKeysPairTheEndsOfAConnection) {
  SocketTable table = load("tcp");
  for (const char* protocol : {"tcp6"}) {
    SocketTable more = load(protocol);
    table.insert(more.begin(), more.end());
  }
  const SocketInfo& client = table[26938];
  const SocketInfo& server = table[26939];
  EXPECT_EQ(client.local, "127.0.0.1:47890");
  EXPECT_EQ(client.remote, "127.0.0.1:9090");
  EXPECT_EQ(server.local, client.remote);
  EXPECT_EQ(server.remote, client.local);
  EXPECT_TRUE(client.loopback);
  EXPECT_TRUE(server.loopback);
  EXPECT_EQ(table[26936].local, "[::1]:8080");
  EXPECT_FALSE(table[26937].loopback);  // [::]:9090, listening
}

TEST(NetTables, UdpHasNoStateWord) {
  SocketTable table = load("udp");
  EXPECT_EQ(table[26940].description, "udp 0.0.0.0:53");
  EXPECT_EQ(table[26941].description, "udp 127.0.0.1:40000 → 127.0.0.1:53");
  SocketTable table6 = load("udp6");
  EXPECT_EQ(table6[26942].description, "udp6 [::1]:5353");
}

TEST(NetTables, Unix) {
  SocketTable table = load("unix");
  EXPECT_EQ(table.size(), 5u);
  EXPECT_EQ(table[26943].description, "unix /run/ukstack-demo/x.sock");
  EXPECT_EQ(table[26944].description, "unix /run/ukstack-demo/with space.sock");
  EXPECT_EQ(table[26945].description, "unix @ukstack-abstract");
  EXPECT_EQ(table[26946].description, "unix (unnamed)");
}

TEST(NetTables, TcpStateNames) {
  const char* header =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
      "retrnsmt   uid  timeout inode\n";
  SocketTable table;
  Status status = parse_net_table(
      "tcp",
      std::string(header) +
          "   0: 0100000A:01BB 0200000A:1403 08 00000000:00000000 00:00000000 00000000  0 0 11 1\n"
          "   1: 0100000A:01BB 0200000A:1404 0B 00000000:00000000 00:00000000 00000000  0 0 12 1\n"
          "   2: 0100000A:D431 0200000A:01BB 02 00000000:00000000 00:00000000 00000000  0 0 13 1\n",
      table);
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(table[11].description, "tcp 10.0.0.1:443 → 10.0.0.2:5123 CLOSE_WAIT");
  EXPECT_EQ(table[12].description, "tcp 10.0.0.1:443 → 10.0.0.2:5124 CLOSING");
  EXPECT_EQ(table[13].description, "tcp 10.0.0.1:54321 → 10.0.0.2:443 SYN_SENT");
}

TEST(NetTables, MalformedLinesAndUnknownTablesAreErrors) {
  SocketTable table;
  EXPECT_FALSE(parse_net_table("tcp", "   0: 0100007F:0539 00000000:0000 0A\n", table).ok());
  EXPECT_FALSE(
      parse_net_table("tcp", "   0: 0100007F 00000000:0000 0A 0:0 0:0 0 0 0 5 1\n", table).ok());
  EXPECT_FALSE(
      parse_net_table("tcp", "   0: 0100007F:XYZW 00000000:0000 0A 0:0 0:0 0 0 0 5 1\n", table)
          .ok());
  EXPECT_FALSE(parse_net_table("unix", "00000000a564f418: 00000002 00000000\n", table).ok());
  EXPECT_FALSE(parse_net_table("sctp", "", table).ok());
}

TEST(FdLinks, Classify) {
  FdLink socket = classify_fd_link("socket:[81234]");
  EXPECT_EQ(socket.kind, FdLink::Kind::Socket);
  EXPECT_EQ(socket.inode, 81234u);

  FdLink pipe = classify_fd_link("pipe:[123]");
  EXPECT_EQ(pipe.kind, FdLink::Kind::Pipe);
  EXPECT_EQ(pipe.inode, 123u);

  FdLink eventfd = classify_fd_link("anon_inode:[eventfd]");
  EXPECT_EQ(eventfd.kind, FdLink::Kind::AnonInode);
  EXPECT_EQ(eventfd.anon_type, "eventfd");

  FdLink inotify = classify_fd_link("anon_inode:inotify");
  EXPECT_EQ(inotify.kind, FdLink::Kind::AnonInode);
  EXPECT_EQ(inotify.anon_type, "inotify");

  FdLink file = classify_fd_link("/var/log/x.log");
  EXPECT_EQ(file.kind, FdLink::Kind::File);
  EXPECT_EQ(file.target, "/var/log/x.log");

  EXPECT_EQ(classify_fd_link("net:[4026531840]").kind, FdLink::Kind::Other);
  EXPECT_EQ(classify_fd_link("socket:[12x]").kind, FdLink::Kind::Other);
}

TEST(FdLinks, Describe) {
  SocketTable table;
  table[81234].description = "tcp 127.0.0.1:1337 LISTEN";
  EXPECT_EQ(describe_fd(classify_fd_link("socket:[81234]"), &table), "tcp 127.0.0.1:1337 LISTEN");
  EXPECT_EQ(describe_fd(classify_fd_link("socket:[99]"), &table), "socket:[99]");
  EXPECT_EQ(describe_fd(classify_fd_link("socket:[81234]"), nullptr), "socket:[81234]");
  EXPECT_EQ(describe_fd(classify_fd_link("pipe:[123]"), nullptr), "pipe:[123]");
  EXPECT_EQ(describe_fd(classify_fd_link("anon_inode:[eventfd]"), nullptr), "eventfd");
  EXPECT_EQ(describe_fd(classify_fd_link("anon_inode:[eventpoll]"), nullptr), "epoll");
  EXPECT_EQ(describe_fd(classify_fd_link("anon_inode:inotify"), nullptr), "inotify");
  EXPECT_EQ(describe_fd(classify_fd_link("/var/log/x.log"), nullptr), "/var/log/x.log");
}

}  // namespace
}  // namespace ukstack::procfs
