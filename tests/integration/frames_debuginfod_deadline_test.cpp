// debuginfod with a bounded wait (issue 4, part 3): a server that never answers,
// or answers a byte at a time, cannot make ukstack hang, whatever libdebuginfod's
// own limits (DEBUGINFOD_TIMEOUT is 90 s by default); and no request is ever made
// while a thread of the target is stopped.
//
// The server here is fake: it accepts on loopback, reads the request, and then
// sends nothing (or headers and a trickle). At the moment a connection is accepted
// it looks at the target's threads in /proc, so each request is seen together with
// the state of the target at that moment.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/capture_helpers.h"
#include "tests/model/schema_check.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr long kRead = SYS_read;

// What the server saw when one connection arrived.
struct Connection {
  std::string request_line;  // "GET /buildid/<id>/debuginfo HTTP/1.1", once read
  std::string stopped;       // threads of the target stopped or traced at accept, "" if none
  // The client was still connected after the target was looked at: the look happened
  // while ukstack was inside this request (not after it gave up).
  bool during_request = false;
};

// The target's threads that are in a stop (t, T) or have a tracer, as text.
std::string stopped_threads(int pid) {
  std::string found;
  for (int tid : thread_ids(pid)) {
    auto state = thread_state(tid);
    auto tracer = status_field(tid, "TracerPid");
    if ((state && (*state == 't' || *state == 'T')) || (tracer && *tracer != 0)) {
      found += " " + std::to_string(tid) + " (state " + std::string(1, state.value_or('?')) +
               ", TracerPid " + std::to_string(tracer.value_or(-1)) + ")";
    }
  }
  return found;
}

// A debuginfod that never delivers, on 127.0.0.1 at a port of its own. Silent: reads
// the request and sends nothing. Trickle: sends a 200 with a large Content-Length,
// then one byte every 100 ms. Connections are held open until the client leaves.
// The thread is stopped and joined, and every socket closed, in the destructor.
class StallingServer {
 public:
  enum class Mode { Silent, Trickle };

  StallingServer(int target_pid, Mode mode) : target_pid_(target_pid), mode_(mode) {
    listener_ = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int pipe_fds[2];
    if (!listener_.valid() || pipe2(pipe_fds, O_CLOEXEC) != 0)
      throw std::runtime_error("socket/pipe failed");
    wake_read_ = UniqueFd(pipe_fds[0]);
    wake_write_ = UniqueFd(pipe_fds[1]);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listener_.get(), 16) != 0 ||
        getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("cannot listen on loopback");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~StallingServer() {
    char byte = 'q';
    (void)!write(wake_write_.get(), &byte, 1);
    thread_.join();
  }
  StallingServer(const StallingServer&) = delete;
  StallingServer& operator=(const StallingServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Connection> connections() const {
    std::lock_guard lock(mutex_);
    return connections_;
  }

 private:
  struct Client {
    UniqueFd fd;
    std::size_t index = 0;  // into connections_
    std::string received;
    bool answered = false;
  };

  void serve() {
    std::vector<Client> clients;
    for (;;) {
      std::vector<pollfd> fds = {{wake_read_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}};
      for (const auto& client : clients) fds.push_back({client.fd.get(), POLLIN | POLLRDHUP, 0});
      bool trickling = mode_ == Mode::Trickle && !clients.empty();
      // The 100 ms is the trickle's pace, not a wait for anything.
      if (poll(fds.data(), fds.size(), trickling ? 100 : -1) < 0 && errno != EINTR) return;
      if (fds[0].revents != 0) return;  // destructor: clients close with the vector
      if ((fds[1].revents & POLLIN) != 0) accept_one(clients);
      for (std::size_t i = 0; i < clients.size(); ++i) {
        if (i + 2 < fds.size() && (fds[i + 2].revents & (POLLIN | POLLRDHUP | POLLHUP)) != 0) {
          if (!read_request(clients[i])) {
            clients.erase(clients.begin() + static_cast<std::ptrdiff_t>(i));
            fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(i + 2));
            --i;
            continue;
          }
        }
        if (trickling && clients[i].answered)
          (void)!send(clients[i].fd.get(), "x", 1, MSG_NOSIGNAL);
      }
    }
  }

  void accept_one(std::vector<Client>& clients) {
    UniqueFd fd(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd.valid()) return;
    // First the target, at once: ukstack is inside the request now.
    Connection connection;
    connection.stopped = stopped_threads(target_pid_);
    pollfd check{fd.get(), POLLRDHUP, 0};
    connection.during_request = poll(&check, 1, 0) == 0;  // no hang-up from the client yet
    std::lock_guard lock(mutex_);
    connections_.push_back(connection);
    Client client;
    client.fd = std::move(fd);
    client.index = connections_.size() - 1;
    clients.push_back(std::move(client));
  }

  // False once the client has gone.
  bool read_request(Client& client) {
    char buffer[4096];
    ssize_t got = read(client.fd.get(), buffer, sizeof buffer);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) return false;
    if (got > 0) client.received.append(buffer, static_cast<std::size_t>(got));
    {
      std::lock_guard lock(mutex_);
      connections_[client.index].request_line =
          client.received.substr(0, client.received.find("\r\n"));
    }
    if (mode_ == Mode::Trickle && !client.answered &&
        client.received.find("\r\n\r\n") != std::string::npos) {
      static constexpr char kHeaders[] = "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n";
      (void)!send(client.fd.get(), kHeaders, sizeof kHeaders - 1, MSG_NOSIGNAL);
      client.answered = true;
    }
    return true;
  }

  int target_pid_;
  Mode mode_;
  int port_ = 0;
  UniqueFd listener_, wake_read_, wake_write_;
  mutable std::mutex mutex_;
  std::vector<Connection> connections_;
  std::thread thread_;  // last: started once everything above exists
};

struct TimedRun {
  CommandResult result;
  Clock::duration took;
  nlohmann::json snapshot;
};

// ukstack --format json ARGS with DEBUGINFOD_URLS=url and nothing cached from an
// earlier run: libdebuginfod's cache (its negative entries too) and ukstack's own
// in `cache_dir`, both new for this run.
TimedRun run_with_debuginfod(const std::string& url, const fs::path& cache_dir,
                             const std::vector<std::string>& extra_env,
                             const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"env",
                                   "-u",
                                   "DEBUGINFOD_TIMEOUT",
                                   "-u",
                                   "DEBUGINFOD_MAXTIME",
                                   "-u",
                                   "DEBUGINFOD_PROGRESS",
                                   "DEBUGINFOD_URLS=" + url,
                                   "DEBUGINFOD_CACHE_PATH=" + (cache_dir / "debuginfod").string(),
                                   "UKSTACK_NO_DEBUGINFO_CACHE=1"};
  argv.insert(argv.end(), extra_env.begin(), extra_env.end());
  argv.insert(argv.end(), {UKSTACK_BINARY, "--format", "json"});
  argv.insert(argv.end(), args.begin(), args.end());
  TimedRun run;
  auto start = Clock::now();
  // Generous: the bound asserted below is much tighter; this only ends a hang.
  run.result = run_command(argv, std::chrono::seconds(30));
  run.took = Clock::now() - start;
  run.snapshot = nlohmann::json::parse(run.result.out, nullptr, false);
  return run;
}

// The run ended by itself, in time, with frames, and left the target as it was.
void expect_bounded(const TimedRun& run, int pid, int tid, std::chrono::milliseconds budget) {
  ASSERT_FALSE(run.result.timed_out) << "ukstack hung on a server that never answers";
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(run.took);
  // libdebuginfod alone would wait 90 s (DEBUGINFOD_TIMEOUT) for a silent server.
  EXPECT_LT(took, budget + std::chrono::seconds(10)) << "the debuginfod budget was not applied";
  EXPECT_TRUE(run.result.exit_code == 0 || run.result.exit_code == 1) << run.result.err;
  EXPECT_EQ(ukstack::testing::validate_against_schema(run.result.out), "");
  const auto* thread = find_thread(run.snapshot, tid);
  ASSERT_NE(thread, nullptr) << run.result.out;
  // The stripped module's frames are there, as bare addresses: nothing was delivered.
  int fixture_frames = 0;
  for (const auto& frame : (*thread)["user"]["frames"]) {
    if (frame["module"] != fixture_path("stripped_reader")) continue;
    ++fixture_frames;
    EXPECT_TRUE(frame["function"].is_null()) << frame.dump();
  }
  EXPECT_GE(fixture_frames, 3) << thread->dump(2);  // stripped_inner, stripped_outer, main
  EXPECT_TRUE(contains_name(functions(*thread, "user"), "read")) << thread->dump(2);
  expect_not_disturbed(pid);
}

// The server was asked for the stripped module's debug info (the test is about it).
void expect_asked_for(const std::vector<Connection>& connections, const std::string& id) {
  ASSERT_FALSE(id.empty());
  bool asked = false;
  std::string seen;
  for (const auto& connection : connections) {
    seen += "\n  " + connection.request_line;
    if (connection.request_line.find("/buildid/" + id + "/debuginfo") != std::string::npos)
      asked = true;
  }
  EXPECT_TRUE(asked) << "requests seen:" << seen;
}

class StallingDebuginfod : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_ =
        std::make_unique<FixtureProcess>(FixtureProcess::start({fixture_path("stripped_reader")}));
    ASSERT_TRUE(wait_for_syscall(fixture_->id("tid"), kRead, std::chrono::seconds(10)));
    id_ = build_id(fixture_path("stripped_reader"));
  }
  TimedRun run(const StallingServer& server, const std::vector<std::string>& env,
               std::vector<std::string> args) {
    args.push_back(std::to_string(fixture_->pid()));
    return run_with_debuginfod(server.url(), cache_.path(), env, args);
  }
  std::unique_ptr<FixtureProcess> fixture_;
  std::string id_;
  TempDir cache_;
};

// The check the tests below rely on can fail: a connection made while the target
// is stopped is reported.
TEST_F(StallingDebuginfod, TheServerSeesAStoppedTarget) {
  StallingServer server(fixture_->pid(), StallingServer::Mode::Silent);
  ASSERT_EQ(kill(fixture_->pid(), SIGSTOP), 0);
  ASSERT_TRUE(wait_for_state(fixture_->pid(), "T", std::chrono::seconds(10)));
  UniqueFd client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(server.port()));
  ASSERT_EQ(connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  // Condition poll until the server has recorded the connection.
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (server.connections().empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  (void)kill(fixture_->pid(), SIGCONT);
  auto connections = server.connections();
  ASSERT_EQ(connections.size(), 1u);
  EXPECT_TRUE(connections[0].during_request);
  EXPECT_NE(connections[0].stopped.find(std::to_string(fixture_->pid())), std::string::npos);
}

TEST_F(StallingDebuginfod, ASilentServerCostsNoMoreThanTheBudget) {
  StallingServer server(fixture_->pid(), StallingServer::Mode::Silent);
  auto result = run(server, {}, {"--stop", "each", "--debuginfod-timeout", "1000"});
  expect_bounded(result, fixture_->pid(), fixture_->id("tid"), std::chrono::milliseconds(1000));
  expect_asked_for(server.connections(), id_);
}

TEST_F(StallingDebuginfod, ATricklingServerCostsNoMoreThanTheBudget) {
  // Headers, then a byte every 100 ms: above no time-out of curl's, below its
  // low-speed limit only for DEBUGINFOD_TIMEOUT (90 s).
  StallingServer server(fixture_->pid(), StallingServer::Mode::Trickle);
  auto result = run(server, {}, {"--stop", "each", "--debuginfod-timeout", "1000"});
  expect_bounded(result, fixture_->pid(), fixture_->id("tid"), std::chrono::milliseconds(1000));
  expect_asked_for(server.connections(), id_);
}

TEST_F(StallingDebuginfod, LibdebuginfodsOwnLimitsDoNotStretchTheBudget) {
  // A user's DEBUGINFOD_TIMEOUT / DEBUGINFOD_MAXTIME of minutes: --debuginfod-timeout
  // still ends the wait.
  StallingServer server(fixture_->pid(), StallingServer::Mode::Silent);
  auto result = run(server, {"DEBUGINFOD_TIMEOUT=300", "DEBUGINFOD_MAXTIME=300"},
                    {"--stop", "each", "--debuginfod-timeout", "1000"});
  expect_bounded(result, fixture_->pid(), fixture_->id("tid"), std::chrono::milliseconds(1000));
  expect_asked_for(server.connections(), id_);
}

TEST_F(StallingDebuginfod, ZeroBudgetMakesNoRequest) {
  StallingServer server(fixture_->pid(), StallingServer::Mode::Silent);
  auto result = run(server, {}, {"--stop", "each", "--debuginfod-timeout", "0"});
  expect_bounded(result, fixture_->pid(), fixture_->id("tid"), std::chrono::milliseconds(0));
  EXPECT_EQ(server.connections().size(), 0u);
}

// No request while a thread is stopped, in every mode that stops threads (and auto).
class NoRequestDuringAStop : public StallingDebuginfod,
                             public ::testing::WithParamInterface<const char*> {};

TEST_P(NoRequestDuringAStop, EveryRequestFindsTheTargetRunning) {
  StallingServer server(fixture_->pid(), StallingServer::Mode::Silent);
  auto result = run(server, {}, {"--stop", GetParam(), "--debuginfod-timeout", "1000"});
  expect_bounded(result, fixture_->pid(), fixture_->id("tid"), std::chrono::milliseconds(1000));
  auto connections = server.connections();
  int looked_during_request = 0;
  for (const auto& connection : connections) {
    if (!connection.during_request) continue;  // looked after ukstack gave up: proves nothing
    ++looked_during_request;
    EXPECT_EQ(connection.stopped, "") << "request made while stopped: " << connection.request_line;
  }
  // Else this test would pass without ever having seen a request.
  EXPECT_GT(looked_during_request, 0)
      << connections.size() << " connections, none seen in progress";
  expect_asked_for(connections, id_);
}

std::string mode_name(const ::testing::TestParamInfo<const char*>& mode) { return mode.param; }
INSTANTIATE_TEST_SUITE_P(StopModes, NoRequestDuringAStop, ::testing::Values("auto", "each", "all"),
                         mode_name);

}  // namespace
}  // namespace ukstack::test
