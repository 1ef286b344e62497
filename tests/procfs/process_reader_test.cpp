#include "procfs/process_reader.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "base/unique_fd.h"
#include "procfs/syscall_names.h"
#include "tests/procfs/samples.h"

namespace ukstack::procfs {
namespace {

using testing::sample;

// ---- against a FakeProcSource built from the samples ---------------------------

class FakeProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    source_.add_file("100/task/100/stat", "100 (server) S 1 100 100 0 -1 4194560 0 0 0 0");
    source_.add_file("100/task/9/stat", "");
    source_.add_file("100/task/101/stack", sample("stack-6.18-accept.txt"));
    source_.add_file("100/task/101/syscall", sample("syscall-accept4.txt"));
    source_.add_file("100/task/101/wchan", sample("wchan-accept.txt"));
    source_.add_file("100/task/101/status", sample("status-traced.txt"));
    source_.add_file("100/task/102/stack", "[<0>] garbage\n");
    source_.fail("100/task/103/stack", EACCES);
    source_.add_file("100/net/tcp", sample("net-tcp.txt"));
    source_.add_file("100/net/unix", sample("net-unix.txt"));  // no tcp6/udp/udp6: no IPv6
    source_.add_file("100/cmdline", std::string("python3\0-m\0http.server\0", 23));
    source_.add_file("100/maps", sample("maps-anon-name.txt"));
    source_.add_link("100/exe", "/usr/bin/python3.11");
    source_.add_link("100/fd/3", "socket:[26930]");
    source_.add_link("100/fd/4", "socket:[26945]");
    source_.add_link("100/fd/5", "pipe:[555]");
    source_.add_link("100/fd/6", "anon_inode:[eventpoll]");
    source_.add_link("100/fd/7", "socket:[1]");
    source_.fail("100/fd/8", EACCES);
  }
  FakeProcSource source_;
};

TEST_F(FakeProcess, TasksAreSortedNumerically) {
  ProcessReader reader(source_, 100);
  auto tasks = reader.tasks();
  ASSERT_TRUE(tasks.ok()) << tasks.error().message;
  EXPECT_EQ(*tasks, (std::vector<int>{9, 100, 101, 102, 103}));
}

TEST_F(FakeProcess, VanishedProcessIsEnoent) {
  ProcessReader reader(source_, 999);
  auto tasks = reader.tasks();
  ASSERT_FALSE(tasks.ok());
  EXPECT_EQ(tasks.error().errnum, ENOENT);
}

TEST_F(FakeProcess, ThreadHalves) {
  ProcessReader reader(source_, 100);
  auto stat = reader.stat(100);
  ASSERT_TRUE(stat.ok()) << stat.error().message;
  EXPECT_EQ(stat->name, "server");

  auto stack = reader.kernel_stack(101);
  ASSERT_TRUE(stack.ok()) << stack.error().message;
  EXPECT_EQ(stack->front().function, "inet_csk_accept");
  EXPECT_EQ(*reader.kernel_stack_text(101), sample("stack-6.18-accept.txt"));

  auto syscall = reader.syscall(101);
  ASSERT_TRUE(syscall.ok()) << syscall.error().message;
  EXPECT_EQ(syscall_name(syscall->nr), "accept4");
  EXPECT_EQ(*reader.wchan(101), "inet_csk_accept");
  EXPECT_EQ(reader.status(101)->tracer_pid, 7757);
}

TEST_F(FakeProcess, ParseErrorsNameTheFile) {
  ProcessReader reader(source_, 100);
  auto stack = reader.kernel_stack(102);
  ASSERT_FALSE(stack.ok());
  EXPECT_NE(stack.error().message.find("/proc/100/task/102/stack"), std::string::npos)
      << stack.error().message;
}

TEST_F(FakeProcess, PermissionDeniedKeepsEacces) {
  ProcessReader reader(source_, 100);
  auto stack = reader.kernel_stack(103);
  ASSERT_FALSE(stack.ok());
  EXPECT_EQ(stack.error().errnum, EACCES);
}

TEST_F(FakeProcess, ProcessWideFiles) {
  ProcessReader reader(source_, 100);
  EXPECT_EQ(*reader.exe(), "/usr/bin/python3.11");
  EXPECT_EQ(*reader.cmdline(), (std::vector<std::string>{"python3", "-m", "http.server"}));
  auto maps = reader.maps();
  ASSERT_TRUE(maps.ok()) << maps.error().message;
  EXPECT_EQ(maps->size(), 10u);
}

TEST_F(FakeProcess, DescribeFds) {
  ProcessReader reader(source_, 100);
  EXPECT_EQ(reader.describe_fd(3), "tcp 127.0.0.1:1337 LISTEN");
  EXPECT_EQ(reader.describe_fd(4), "unix @ukstack-abstract");
  EXPECT_EQ(reader.describe_fd(5), "pipe:[555]");
  EXPECT_EQ(reader.describe_fd(6), "epoll");
  EXPECT_EQ(reader.describe_fd(7), "socket:[1]");  // not in any table
  EXPECT_EQ(reader.describe_fd(8), "fd 8 (Permission denied)");
  EXPECT_EQ(reader.describe_fd(9), "fd 9 (closed)");
  EXPECT_EQ(reader.fd(5)->inode, 555u);
}

// ---- against the live /proc/self --------------------------------------------------

class LiveSelf : public ::testing::Test {
 protected:
  RealProcSource source_;
  ProcessReader reader_{source_, static_cast<int>(getpid())};
};

TEST_F(LiveSelf, TasksContainOwnTid) {
  auto tasks = reader_.tasks();
  ASSERT_TRUE(tasks.ok()) << tasks.error().message;
  EXPECT_NE(std::find(tasks->begin(), tasks->end(), static_cast<int>(gettid())), tasks->end());
}

TEST_F(LiveSelf, StatOfOwnThread) {
  auto stat = reader_.stat(static_cast<int>(gettid()));
  ASSERT_TRUE(stat.ok()) << stat.error().message;
  EXPECT_EQ(stat->tid, static_cast<int>(gettid()));
  EXPECT_EQ(stat->state, 'R');  // it is running: it is reading its own stat
  EXPECT_EQ(stat->ppid, static_cast<int>(getppid()));
  EXPECT_FALSE(stat->is_kernel_thread());
}

TEST_F(LiveSelf, OwnSyscallIsTheReadOfThatFile) {
  auto syscall = reader_.syscall(static_cast<int>(gettid()));
  ASSERT_TRUE(syscall.ok()) << syscall.error().message;
  ASSERT_EQ(syscall->kind, SyscallState::Kind::InSyscall);
  EXPECT_EQ(syscall_name(syscall->nr), "read");
  EXPECT_FALSE(syscall->sp.is_null());
}

TEST_F(LiveSelf, OwnKernelStackParses) {
  auto stack = reader_.kernel_stack(static_cast<int>(gettid()));
  if (!stack.ok() && stack.error().errnum == EACCES) GTEST_SKIP() << "needs CAP_SYS_ADMIN";
  ASSERT_TRUE(stack.ok()) << stack.error().message;
  ASSERT_FALSE(stack->empty());
  EXPECT_EQ(stack->front().function, "proc_pid_stack");  // it shows itself being read
}

TEST_F(LiveSelf, MapsExeAndCmdline) {
  auto exe = reader_.exe();
  ASSERT_TRUE(exe.ok()) << exe.error().message;
  EXPECT_TRUE(exe->ends_with("/ukstack_procfs_tests")) << *exe;
  auto maps = reader_.maps();
  ASSERT_TRUE(maps.ok()) << maps.error().message;
  auto has = [&](const std::string& path) {
    return std::any_of(maps->begin(), maps->end(),
                       [&](const Mapping& m) { return m.path == path; });
  };
  EXPECT_TRUE(has(*exe));
  EXPECT_TRUE(has("[stack]"));
  auto cmdline = reader_.cmdline();
  ASSERT_TRUE(cmdline.ok()) << cmdline.error().message;
  ASSERT_FALSE(cmdline->empty());
  EXPECT_TRUE(cmdline->front().ends_with("ukstack_procfs_tests")) << cmdline->front();
}

TEST_F(LiveSelf, PipeIsDescribedAsPipe) {
  int raw[2];
  ASSERT_EQ(::pipe(raw), 0);
  UniqueFd read_end(raw[0]);
  UniqueFd write_end(raw[1]);
  struct stat info {};
  ASSERT_EQ(::fstat(read_end.get(), &info), 0);
  EXPECT_EQ(reader_.describe_fd(read_end.get()), "pipe:[" + std::to_string(info.st_ino) + "]");
}

TEST_F(LiveSelf, ListeningSocketIsDescribedWithItsPort) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(fd.valid());
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd.get(), 1), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  EXPECT_EQ(reader_.describe_fd(fd.get()),
            "tcp 127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + " LISTEN");
}

TEST_F(LiveSelf, ClosedFd) {
  int raw[2];
  ASSERT_EQ(::pipe(raw), 0);
  ASSERT_EQ(::close(raw[0]), 0);
  ASSERT_EQ(::close(raw[1]), 0);
  EXPECT_EQ(reader_.describe_fd(raw[1]), "fd " + std::to_string(raw[1]) + " (closed)");
}

TEST(LiveProcess, ExitedProcessIsEnoent) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, __WALL), child);
  RealProcSource source;
  ProcessReader reader(source, static_cast<int>(child));
  auto tasks = reader.tasks();
  ASSERT_FALSE(tasks.ok());
  EXPECT_EQ(tasks.error().errnum, ENOENT);
  auto stat = reader.stat(static_cast<int>(child));
  ASSERT_FALSE(stat.ok());
  EXPECT_EQ(stat.error().errnum, ENOENT);
}

}  // namespace
}  // namespace ukstack::procfs
