#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <filesystem>

#include "tests/support/fixture_process.h"

namespace ukstack::test {
namespace {

using namespace std::chrono_literals;

const std::string kFixtureDir = UKSTACK_FIXTURE_DIR;
const std::string kSupportDir = std::string(UKSTACK_SOURCE_DIR) + "/tests/support";

std::string read_text(const std::string& path) { return read_text_file(path).value_or(""); }

bool process_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

bool connects(int port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return fd.valid() && connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

// True if `wanted` appears in `frames` in this order, each name matched on its
// unqualified suffix ("cond_wait_inner" matches "fixture::cond_wait_inner").
bool has_chain(const std::vector<std::string>& frames, const std::vector<std::string>& wanted) {
  auto matches = [](const std::string& name, const std::string& suffix) {
    return name == suffix || name.ends_with("::" + suffix);
  };
  auto it = frames.begin();
  for (const std::string& name : wanted) {
    it = std::find_if(it, frames.end(), [&](const std::string& f) { return matches(f, name); });
    if (it == frames.end()) return false;
    ++it;
  }
  return true;
}

bool have_gdb() {
  try {
    return run_command({"gdb", "--version"}, 10s).exit_code == 0;
  } catch (const std::runtime_error&) {
    return false;
  }
}

// --- gdb output parser -----------------------------------------------------------

TEST(GdbParser, BlockingThreadsSample) {
  Backtraces bt = parse_gdb_backtraces(read_text(kSupportDir + "/gdb_bt_blocking_threads.txt"));
  ASSERT_EQ(bt.size(), 5u);
  EXPECT_EQ(bt.at(4384),
            (std::vector<std::string>{
                "__futex_abstimed_wait_common64", "__futex_abstimed_wait_common",
                "__GI___futex_abstimed_wait_cancelable64", "__pthread_cond_wait_common",
                "___pthread_cond_wait", "fixture::cond_wait_inner", "fixture::cond_wait_middle",
                "fixture::cond_wait_outer", "(anonymous namespace)::cond_thread", "start_thread",
                "clone3"}));
  EXPECT_EQ(bt.at(4388),
            (std::vector<std::string>{"epoll_wait", "epoll_wait_inner", "epoll_wait_middle",
                                      "epoll_wait_outer", "(anonymous namespace)::epoll_thread",
                                      "start_thread", "clone3"}));
  EXPECT_TRUE(has_chain(bt.at(4387), {"sleep_inner", "sleep_middle", "sleep_outer"}));
  EXPECT_TRUE(has_chain(bt.at(4385), {"__GI___libc_read", "pipe_read_inner", "pipe_read_outer"}));
  EXPECT_TRUE(has_chain(bt.at(4383), {"main_wait_inner", "main_wait_outer", "main"}));
}

TEST(GdbParser, GoSampleWithoutThreadDb) {
  Backtraces bt = parse_gdb_backtraces(read_text(kSupportDir + "/gdb_bt_accept_server_go.txt"));
  ASSERT_EQ(bt.size(), 4u);
  EXPECT_EQ(bt.at(4483),
            (std::vector<std::string>{
                "runtime.epollwait", "runtime.netpoll", "runtime.findRunnable", "runtime.schedule",
                "runtime.park_m", "runtime.mcall", "runtime.newproc", "runtime[scavenger]", "??"}));
  EXPECT_TRUE(has_chain(bt.at(4485), {"runtime.futex", "runtime.sysmon", "runtime.clone"}));
}

TEST(GdbParser, NamesThatHoldParentheses) {
  Backtraces bt = parse_gdb_backtraces(
      "Thread 1 (process 77 \"x\"):\n"
      "#0  0x0000000000401000 in net.(*TCPListener).Accept (l=0xc0, ~r0=...) at tcpsock.go:288\n"
      "#1  apply<void (*)(int)> (f=0x401000 <g(int)>) at t.cpp:3\n"
      "#2  0x00007f0000001000 in std::thread::_State_impl<int>::_M_run() () from "
      "/lib/libstdc++.so.6\n"
      "#3  0x00007f0000002000 in main::{lambda()#1}::operator()() const (__closure=0x0) at "
      "t.cpp:9\n"
      "#4  0x00007f0000003000 in ?? ()\n"
      "Backtrace stopped: previous frame inner to this frame (corrupt stack?)\n"
      "\n"
      "#0  stray frame outside a thread block\n");
  ASSERT_EQ(bt.size(), 1u);
  EXPECT_EQ(bt.at(77),
            (std::vector<std::string>{"net.(*TCPListener).Accept", "apply<void (*)(int)>",
                                      "std::thread::_State_impl<int>::_M_run()",
                                      "main::{lambda()#1}::operator()() const", "??"}));
}

// --- run_command -------------------------------------------------------------------

TEST(RunCommand, CapturesOutputAndExitCode) {
  CommandResult r = run_command({"sh", "-c", "echo out; echo err >&2; exit 3"}, 10s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(RunCommand, KillsOnTimeout) {
  const auto start = std::chrono::steady_clock::now();
  CommandResult r = run_command({"sleep", "30"}, 100ms);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, 128 + SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(RunCommand, ThrowsWhenProgramCannotRun) {
  EXPECT_THROW(run_command({"/nonexistent/program"}, 1s), std::runtime_error);
}

// --- FixtureProcess ------------------------------------------------------------------

TEST(FixtureProcess, ThrowsWhenNoReadyLineBeforeExit) {
  try {
    FixtureProcess::start({"sh", "-c", "echo hello; exit 4"});
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("hello"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("exited with status 4"), std::string::npos) << e.what();
  }
}

TEST(FixtureProcess, ThrowsAndKillsAtDeadline) {
  try {
    FixtureProcess::start({"sleep", "30"}, 100ms);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("killed by signal 9"), std::string::npos) << e.what();
  }
}

TEST(FixtureProcess, AcceptServer) {
  pid_t pid;
  {
    FixtureProcess server = FixtureProcess::start({kFixtureDir + "/accept_server", "0"});
    pid = server.pid();
    EXPECT_EQ(server.id("pid"), pid);
    EXPECT_EQ(server.id("tids"), pid);
    EXPECT_GT(server.id("port"), 0);
    EXPECT_THROW(server.id("nope"), std::out_of_range);
    EXPECT_TRUE(wait_for_syscall(pid, SYS_accept, 5s));
    EXPECT_TRUE(wait_for_state(pid, "S", 5s));
    EXPECT_TRUE(connects(server.id("port")));
    // After serving the connection it blocks in accept again.
    EXPECT_TRUE(wait_for_syscall(pid, SYS_accept, 5s));
    EXPECT_FALSE(wait_for_syscall(pid, SYS_read, 20ms));
  }
  EXPECT_TRUE(process_gone(pid));
}

TEST(FixtureProcess, MoveTransfersOwnership) {
  FixtureProcess first = FixtureProcess::start({kFixtureDir + "/accept_server", "0"});
  const pid_t pid = first.pid();
  FixtureProcess second = std::move(first);
  EXPECT_EQ(second.pid(), pid);
  EXPECT_FALSE(process_gone(pid));
  second.kill_and_wait();
  EXPECT_TRUE(process_gone(pid));
}

struct ThreadExpectation {
  const char* key;
  const char* name;  // /proc comm ("" for the main thread: the program name)
  std::vector<long> syscalls;
  std::vector<std::string> chain;  // innermost first, unqualified
};

const std::vector<ThreadExpectation> kBlockingThreads = {
    {"main", "blocking_thread", {SYS_futex}, {"main_wait_inner", "main_wait_outer", "main"}},
    {"cond",
     "cond-waiter",
     {SYS_futex},
     {"cond_wait_inner", "cond_wait_middle", "cond_wait_outer"}},
    {"pipe", "pipe-reader", {SYS_read}, {"pipe_read_inner", "pipe_read_middle", "pipe_read_outer"}},
    {"sleep",
     "sleeper",
     {SYS_nanosleep, SYS_clock_nanosleep},
     {"sleep_inner", "sleep_middle", "sleep_outer"}},
    {"epoll",
     "epoll-waiter",
     {SYS_epoll_wait, SYS_epoll_pwait},
     {"epoll_wait_inner", "epoll_wait_middle", "epoll_wait_outer"}},
};

TEST(FixtureProcess, BlockingThreads) {
  pid_t pid;
  {
    FixtureProcess fixture = FixtureProcess::start({kFixtureDir + "/blocking_threads"});
    pid = fixture.pid();
    EXPECT_EQ(fixture.id("main"), pid);
    for (const ThreadExpectation& t : kBlockingThreads) {
      const int tid = fixture.id(t.key);
      EXPECT_TRUE(wait_for_syscall(tid, t.syscalls, 5s)) << t.key;
      EXPECT_TRUE(wait_for_state(tid, "S", 5s)) << t.key;
      std::string comm =
          read_text("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/comm");
      EXPECT_EQ(comm, std::string(t.name) + "\n");
    }
  }
  EXPECT_TRUE(process_gone(pid));
}

TEST(FixtureProcess, BlockingThreadsSeenByGdb) {
  if (!have_gdb()) GTEST_SKIP() << "gdb not installed";
  FixtureProcess fixture = FixtureProcess::start({kFixtureDir + "/blocking_threads"});
  for (const ThreadExpectation& t : kBlockingThreads)
    ASSERT_TRUE(wait_for_syscall(fixture.id(t.key), t.syscalls, 5s)) << t.key;
  Backtraces bt = gdb_backtraces(fixture.pid());
  ASSERT_EQ(bt.size(), kBlockingThreads.size());
  for (const ThreadExpectation& t : kBlockingThreads) {
    const std::vector<std::string>& frames = bt[fixture.id(t.key)];
    std::string shown;
    for (const std::string& f : frames) shown += f + " | ";
    EXPECT_TRUE(has_chain(frames, t.chain)) << t.key << ": " << shown;
  }
  EXPECT_TRUE(has_chain(bt[fixture.id("cond")], {"fixture::cond_wait_inner"}));
}

TEST(FixtureProcess, AcceptServerGo) {
  const std::string binary = kFixtureDir + "/accept_server_go";
  if (!std::filesystem::exists(binary)) GTEST_SKIP() << "Go fixture not built (no go)";
  pid_t pid;
  {
    FixtureProcess server = FixtureProcess::start({binary, "0"});
    pid = server.pid();
    EXPECT_EQ(server.id("pid"), pid);
    EXPECT_GT(server.id("port"), 0);
    EXPECT_TRUE(connects(server.id("port")));
    // Go parks the accepting goroutine; one thread waits in the netpoller.
    auto some_thread_in_epoll = [&] {
      for (const auto& task :
           std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task"))
        if (wait_for_syscall(std::stoi(task.path().filename()), {SYS_epoll_wait, SYS_epoll_pwait},
                             1ms))
          return true;
      return false;
    };
    const auto until = std::chrono::steady_clock::now() + 5s;
    bool found = some_thread_in_epoll();
    while (!found && std::chrono::steady_clock::now() < until) found = some_thread_in_epoll();
    EXPECT_TRUE(found);
    EXPECT_GE(
        std::distance(std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task"),
                      std::filesystem::directory_iterator()),
        2);
  }
  EXPECT_TRUE(process_gone(pid));
}

}  // namespace
}  // namespace ukstack::test
