// Waits on kernel objects against a fake /proc and a fake sock_diag: the holder
// found, and the cases where none can be named and a reason says why.
#include "capture/waits/object_waits.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <map>

namespace ukstack {
namespace {

std::string stat_line(int pid, const std::string& name, char state, int ppid, int pgrp) {
  return std::to_string(pid) + " (" + name + ") " + state + " " + std::to_string(ppid) + " " +
         std::to_string(pgrp) + " " + std::to_string(pgrp) + " 0 -1 4194304 0 0\n";
}

class FakeUnixPeers final : public procfs::UnixPeerSource {
 public:
  std::map<std::uint64_t, Result<std::optional<std::uint64_t>>> answers;
  Result<std::optional<std::uint64_t>> peer_of(std::uint64_t inode) const override {
    auto it = answers.find(inode);
    if (it == answers.end()) return Error::from_errno(ENOENT, "sock_diag query");
    return it->second;
  }
};

struct World {
  procfs::FakeProcSource proc;
  FakeUnixPeers peers;
  Snapshot snapshot;

  void add_process(int pid, const std::string& name, char state = 'S', int ppid = 1, int pgrp = 0) {
    proc.add_file(std::to_string(pid) + "/stat",
                  stat_line(pid, name, state, ppid, pgrp == 0 ? pid : pgrp));
  }
  void add_fd(int pid, int fd, const std::string& link, const char* flags) {
    const std::string p = std::to_string(pid);
    proc.add_link(p + "/fd/" + std::to_string(fd), link);
    proc.add_file(p + "/fdinfo/" + std::to_string(fd),
                  std::string("pos:\t0\nflags:\t") + flags + "\nmnt_id:\t15\n");
  }
  // The snapshot's process (pid 100) with one thread blocked in `call`.
  Thread& blocked_thread(const std::string& call, std::vector<std::uint64_t> args,
                         std::vector<FdDescription> fds = {}) {
    snapshot.process.pid = 100;
    Thread thread;
    thread.tid = 100;
    thread.state = "S";
    SyscallInfo info;
    info.name = call;
    args.resize(6);
    info.args = std::move(args);
    info.fds = std::move(fds);
    thread.syscall = std::move(info);
    snapshot.threads.push_back(std::move(thread));
    return snapshot.threads.back();
  }
  OtherEndScan run() { return find_object_waits(snapshot, proc, peers); }
  const Thread& thread() const { return snapshot.threads.front(); }
};

FdDescription fd_arg(int fd, std::string target) {
  FdDescription described;
  described.fd = fd;
  described.target = std::move(target);
  return described;
}

TEST(ObjectWaits, ReaderHoldingTheWriteEndItselfWaitsForItself) {
  World world;
  world.add_process(100, "app");
  world.add_fd(100, 3, "pipe:[5]", "0");   // the read end it reads
  world.add_fd(100, 4, "pipe:[5]", "01");  // and the write end it forgot to close
  world.blocked_thread("read", {3}, {fd_arg(3, "pipe:[5]")});
  const OtherEndScan scan = world.run();
  EXPECT_EQ(scan.processes, 1);
  ASSERT_EQ(world.thread().waits_for.size(), 1u);
  const Wait& wait = world.thread().waits_for[0];
  EXPECT_EQ(wait.kind, WaitKind::Pipe);
  EXPECT_EQ(wait.description, "pipe:[5]");
  ASSERT_EQ(wait.holders.size(), 1u);
  EXPECT_EQ(wait.holders[0].pid, 100);
  EXPECT_EQ(wait.holders[0].name, "app");
  EXPECT_FALSE(wait.reason);
}

TEST(ObjectWaits, WriterWaitsForReadersNotForOtherWriters) {
  World world;
  world.add_process(100, "producer");
  world.add_process(200, "consumer");
  world.add_process(300, "other-writer");
  world.add_fd(100, 4, "pipe:[5]", "01");
  world.add_fd(200, 3, "pipe:[5]", "0");
  world.add_fd(300, 4, "pipe:[5]", "01");
  world.blocked_thread("write", {4}, {fd_arg(4, "pipe:[5]")});
  world.run();
  ASSERT_EQ(world.thread().waits_for.size(), 1u);
  const Wait& wait = world.thread().waits_for[0];
  ASSERT_EQ(wait.holders.size(), 1u);
  EXPECT_EQ(wait.holders[0].pid, 200);
}

TEST(ObjectWaits, OtherEndInAProcessThatCannotBeInspectedIsAReasonNotSilence) {
  World world;
  world.add_process(100, "app");
  world.add_fd(100, 3, "pipe:[5]", "0");
  world.proc.fail("200/fd", EACCES);
  world.blocked_thread("read", {3}, {fd_arg(3, "pipe:[5]")});
  world.run();
  ASSERT_EQ(world.thread().waits_for.size(), 1u);
  const Wait& wait = world.thread().waits_for[0];
  EXPECT_TRUE(wait.holders.empty());
  ASSERT_TRUE(wait.reason);
  EXPECT_NE(wait.reason->find("200"), std::string::npos) << *wait.reason;
}

TEST(ObjectWaits, NoScanWhenNoThreadWaitsOnAPipeOrSocket) {
  World world;
  world.add_process(100, "app");
  world.add_fd(100, 3, "pipe:[5]", "0");
  world.blocked_thread("clock_nanosleep", {0, 0, 0});
  world.blocked_thread("read", {7}, {fd_arg(7, "/var/log/app.log")});  // a regular file
  world.proc.add_identity("100/fd/7", procfs::FileIdentity{.inode = 9, .mode = S_IFREG | 0644});
  EXPECT_EQ(world.run().processes, 0);
  for (const Thread& thread : world.snapshot.threads) EXPECT_TRUE(thread.waits_for.empty());
}

TEST(ObjectWaits, UnixPeerTheKernelWillNotNameIsAReason) {
  World world;
  world.add_process(100, "app");
  world.proc.add_file("100/net/unix",
                      "Num       RefCount Protocol Flags    Type St Inode Path\n"
                      "0000000000000000: 00000003 00000000 00000000 0001 03 4242\n");
  world.peers.answers.emplace(4242, Error::from_errno(EPERM, "sock_diag query"));
  world.blocked_thread("recvfrom", {3}, {fd_arg(3, "socket:[4242]")});
  world.run();
  ASSERT_EQ(world.thread().waits_for.size(), 1u);
  const Wait& wait = world.thread().waits_for[0];
  EXPECT_EQ(wait.kind, WaitKind::Socket);
  EXPECT_EQ(wait.description, "unix socket:[4242]");
  EXPECT_TRUE(wait.holders.empty());
  ASSERT_TRUE(wait.reason);
}

TEST(ObjectWaits, UnixPeerHeldByAnotherProcess) {
  World world;
  world.add_process(100, "client");
  world.add_process(200, "server");
  world.proc.add_file("100/net/unix",
                      "Num       RefCount Protocol Flags    Type St Inode Path\n"
                      "0000000000000000: 00000003 00000000 00000000 0001 03 4242\n");
  world.peers.answers.emplace(4242, std::optional<std::uint64_t>(4243));
  world.add_fd(200, 5, "socket:[4243]", "02");
  world.blocked_thread("read", {3}, {fd_arg(3, "socket:[4242]")});
  world.run();
  ASSERT_EQ(world.thread().waits_for.size(), 1u);
  ASSERT_EQ(world.thread().waits_for[0].holders.size(), 1u);
  EXPECT_EQ(world.thread().waits_for[0].holders[0].pid, 200);
}

TEST(ObjectWaits, Wait4ForAnyChildAndForItsOwnProcessGroup) {
  World world;
  world.add_process(100, "parent", 'S', 1, 100);
  world.add_process(101, "worker", 'S', 100, 100);
  world.add_process(102, "daemon", 'Z', 100, 102);  // its own process group
  world.proc.add_file("100/task/100/children", "101 102 ");
  world.blocked_thread("wait4", {static_cast<std::uint64_t>(-1), 0, 0, 0});
  world.blocked_thread("wait4", {0, 0, 0, 0});
  world.run();
  const Wait& any = world.snapshot.threads[0].waits_for.at(0);
  EXPECT_EQ(any.kind, WaitKind::Child);
  EXPECT_EQ(any.description, "children of 100");
  ASSERT_EQ(any.holders.size(), 2u);
  EXPECT_EQ(any.holders[1].state, "Z");
  const Wait& group = world.snapshot.threads[1].waits_for.at(0);
  EXPECT_EQ(group.description, "children of 100 in process group 100");
  ASSERT_EQ(group.holders.size(), 1u);
  EXPECT_EQ(group.holders[0].pid, 101);
}

// wait4(INT_MIN): the kernel answers ESRCH (no group -INT_MIN), but the arguments
// may still be read while the thread is in the call. Negating it overflowed.
TEST(ObjectWaits, Wait4OfTheLowestPidNamesNoGroupAndSaysWhy) {
  World world;
  world.add_process(100, "parent", 'S', 1, 100);
  world.add_process(101, "worker", 'S', 100, 100);
  world.proc.add_file("100/task/100/children", "101 ");
  world.blocked_thread("wait4", {0xffffffff80000000U, 0, 0, 0});
  world.run();
  const Wait& wait = world.thread().waits_for.at(0);
  EXPECT_EQ(wait.kind, WaitKind::Child);
  EXPECT_EQ(wait.description, "children of 100");
  EXPECT_TRUE(wait.holders.empty());
  ASSERT_TRUE(wait.reason.has_value());
  EXPECT_NE(wait.reason->find("could not be told"), std::string::npos) << *wait.reason;
}

constexpr procfs::FileIdentity kLockFile{
    .major = 0xfe, .minor = 0, .inode = 555, .mode = S_IFREG | 0644};

TEST(ObjectWaits, FcntlLockHolderIsTheGrantedLockTheRequestQueuesBehind) {
  World world;
  world.add_process(100, "waiter");
  world.add_process(300, "holder");
  world.proc.add_identity("100/fd/3", kLockFile);
  world.proc.add_file("locks",
                      "1: POSIX  ADVISORY  READ 200 fe:00:555 0 EOF\n"
                      "2: POSIX  ADVISORY  WRITE 300 fe:00:555 0 EOF\n"
                      "2: -> POSIX  ADVISORY  WRITE 100 fe:00:555 0 EOF\n");
  world.blocked_thread("fcntl", {3, 7 /* F_SETLKW */, 0}, {fd_arg(3, "/var/lib/app.lock")});
  world.run();
  ASSERT_EQ(world.thread().waits_for.size(), 1u);
  const Wait& wait = world.thread().waits_for[0];
  EXPECT_EQ(wait.kind, WaitKind::FileLock);
  EXPECT_EQ(wait.description, "fcntl lock /var/lib/app.lock (inode 555)");
  ASSERT_EQ(wait.holders.size(), 1u);
  EXPECT_EQ(wait.holders[0].pid, 300);
}

TEST(ObjectWaits, OfdLockHeldByNoProcessIsAReason) {
  World world;
  world.add_process(100, "waiter");
  world.proc.add_identity("100/fd/3", kLockFile);
  world.proc.add_file("locks",
                      "1: OFDLCK ADVISORY  WRITE -1 fe:00:555 0 EOF\n"
                      "1: -> FLOCK  ADVISORY  WRITE 100 fe:00:999 0 EOF\n");
  world.blocked_thread("fcntl", {3, 38 /* F_OFD_SETLKW */, 0}, {fd_arg(3, "/var/lib/app.lock")});
  world.run();
  ASSERT_EQ(world.thread().waits_for.size(), 1u);
  const Wait& wait = world.thread().waits_for[0];
  EXPECT_TRUE(wait.holders.empty());
  ASSERT_TRUE(wait.reason);
  EXPECT_NE(wait.reason->find("open file description"), std::string::npos) << *wait.reason;
}

TEST(ObjectWaits, FlockHolderThatIsGoneIsAReasonNotAWrongHolder) {
  World world;
  world.add_process(100, "waiter");
  world.proc.add_identity("100/fd/3", kLockFile);
  world.proc.add_file("locks",
                      "1: FLOCK  ADVISORY  WRITE 4000 fe:00:555 0 EOF\n"
                      "1: -> FLOCK  ADVISORY  WRITE 100 fe:00:555 0 EOF\n");
  world.blocked_thread("flock", {3, 2 /* LOCK_EX */}, {fd_arg(3, "/run/app.lock")});
  world.run();
  const Wait& wait = world.thread().waits_for.at(0);
  EXPECT_TRUE(wait.holders.empty());
  ASSERT_TRUE(wait.reason);
  EXPECT_NE(wait.reason->find("4000"), std::string::npos) << *wait.reason;
}

TEST(ObjectWaits, UnreadableLocksOrFileGiveAReason) {
  World world;
  world.add_process(100, "waiter");
  world.proc.fail("locks", EACCES);
  world.proc.add_identity("100/fd/3", kLockFile);
  world.blocked_thread("flock", {3, 2}, {fd_arg(3, "/run/app.lock")});
  world.blocked_thread("flock", {9, 2}, {fd_arg(9, "/run/other.lock")});  // no identity
  world.run();
  for (const Thread& thread : world.snapshot.threads) {
    ASSERT_EQ(thread.waits_for.size(), 1u);
    EXPECT_TRUE(thread.waits_for[0].holders.empty());
    EXPECT_TRUE(thread.waits_for[0].reason);
  }
}

}  // namespace
}  // namespace ukstack
