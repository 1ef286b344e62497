// The seed article's C accept server: the main thread blocked in accept() on a
// listening TCP socket. A user runs `ukstack PID` and expects the kernel's accept
// path, the boundary at accept(fd → tcp 127.0.0.1:PORT LISTEN), then the server's
// own functions.
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "tests/integration/capture_helpers.h"
#include "tests/model/schema_check.h"

namespace ukstack::test {
namespace {

constexpr long kAccept = SYS_accept;
constexpr long kAccept4 = 288;

class AcceptServer : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<FixtureProcess>(
        FixtureProcess::start({fixture_path("accept_server"), "0"}));
    ASSERT_TRUE(wait_for_syscall(server_->pid(), std::vector<long>{kAccept, kAccept4},
                                 std::chrono::seconds(10)))
        << "the server never blocked in accept";
  }
  std::string listen_description() const {
    return "tcp 127.0.0.1:" + server_->value("port") + " LISTEN";
  }
  std::unique_ptr<FixtureProcess> server_;
};

TEST_F(AcceptServer, JsonShowsBothHalvesJoinedAtAccept) {
  auto snapshot = capture_json({std::to_string(server_->pid())});
  EXPECT_EQ(snapshot["process"]["pid"], server_->pid());
  const auto* main_thread = find_thread(snapshot, server_->pid());
  ASSERT_NE(main_thread, nullptr);
  const auto& thread = *main_thread;

  ASSERT_TRUE(thread["syscall"].is_object());
  EXPECT_TRUE(thread["syscall"]["name"] == "accept" || thread["syscall"]["name"] == "accept4");
  ASSERT_FALSE(thread["syscall"]["fds"].empty());
  EXPECT_EQ(thread["syscall"]["fds"][0]["arg"], 0);
  EXPECT_EQ(thread["syscall"]["fds"][0]["description"], listen_description());
  EXPECT_EQ(thread["wchan"], "inet_csk_accept");

  auto kernel = functions(thread, "kernel");
  EXPECT_TRUE(in_order(kernel, {"inet_csk_accept", "inet_accept", "do_syscall_64"}))
      << ::testing::PrintToString(kernel);
  EXPECT_FALSE(contains_name(kernel, "ptrace_stop")) << "kernel half read after the stop";
  EXPECT_FALSE(contains_name(kernel, "get_signal"));
  EXPECT_TRUE(thread["kernel"]["error"].is_null());

  auto user = functions(thread, "user");
  EXPECT_TRUE(in_order(user, {"server_accept_and_close", "main"}))
      << ::testing::PrintToString(user);
  // The default (--stop auto) unwinds a thread blocked in accept without stopping it.
  EXPECT_TRUE(not_stopped(thread)) << thread["user"]["method"];
  // The innermost frame is libc's accept wrapper, in libc.
  ASSERT_FALSE(thread["user"]["frames"].empty());
  EXPECT_NE(thread["user"]["frames"][0]["module"].get<std::string>().find("libc.so"),
            std::string::npos);
  // The server's own frames carry source lines (built with -g).
  for (const auto& frame : thread["user"]["frames"]) {
    if (frame["function"] == "server_accept_and_close") {
      ASSERT_TRUE(frame["file"].is_string());
      EXPECT_NE(frame["file"].get<std::string>().find("accept_server.c"), std::string::npos);
      EXPECT_GT(frame["line"].get<int>(), 0);
    }
  }
  expect_not_disturbed(server_->pid());
}

TEST_F(AcceptServer, EveryModeGivesTheSameFrames) {
  auto reference = capture_json({"--stop", "each", std::to_string(server_->pid())});
  const auto* stopped = find_thread(reference, server_->pid());
  ASSERT_NE(stopped, nullptr);
  EXPECT_EQ((*stopped)["user"]["method"], "libdw");
  EXPECT_TRUE(in_order(functions(*stopped, "user"), {"server_accept_and_close", "main"}));
  for (const std::string engine : {"procfs", "bpf"}) {
    if (engine == "bpf" && bpf_unavailable()) continue;  // said by the BPF tests' skips
    for (const std::string mode : {"auto", "all", "none"}) {
      SCOPED_TRACE("--engine " + engine + " --stop " + mode);
      auto snapshot =
          capture_json({"--engine", engine, "--stop", mode, std::to_string(server_->pid())});
      const auto* thread = find_thread(snapshot, server_->pid());
      ASSERT_NE(thread, nullptr);
      EXPECT_EQ(functions(*thread, "user"), functions(*stopped, "user"));
      EXPECT_EQ(functions(*thread, "kernel"), functions(*stopped, "kernel"));
      const std::string no_stop = engine == "bpf" ? "bpf" : "nostop";
      EXPECT_EQ((*thread)["user"]["method"], mode == "all" ? "libdw" : no_stop);
    }
  }
  expect_not_disturbed(server_->pid());
}

TEST_F(AcceptServer, TextShowsTheDecodedCallAndBothHalves) {
  CommandResult result = run_ukstack({std::to_string(server_->pid())});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find(listen_description()), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("inet_csk_accept"), std::string::npos);
  EXPECT_NE(result.out.find("system call accept"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("server_accept_and_close"), std::string::npos);
  // In the thread's block (the summary above it names the call and frames too), kernel
  // frames come before the boundary, user frames after it.
  const auto block_at = result.out.find("\nThread " + std::to_string(server_->pid()) + " ");
  ASSERT_NE(block_at, std::string::npos) << result.out;
  auto kernel_at = result.out.find("inet_csk_accept", block_at);
  auto boundary_at = result.out.find("system call accept", block_at);
  auto user_at = result.out.find("server_accept_and_close", block_at);
  EXPECT_LT(kernel_at, boundary_at);
  EXPECT_LT(boundary_at, user_at);
  EXPECT_EQ(result.out.find('\x1b'), std::string::npos) << "colour only on a terminal";
}

TEST_F(AcceptServer, UserFramesAgreeWithGdb) {
  auto snapshot = capture_json({std::to_string(server_->pid())});
  Backtraces gdb = gdb_backtraces(server_->pid());
  ASSERT_TRUE(gdb.count(server_->pid()));
  const auto* thread = find_thread(snapshot, server_->pid());
  ASSERT_NE(thread, nullptr);
  auto ours = functions(*thread, "user");
  EXPECT_TRUE(in_order(gdb[server_->pid()], {"server_accept_and_close", "main"}));
  expect_agrees_with_gdb(ours, gdb[server_->pid()]);
  SCOPED_TRACE("ukstack: " + ::testing::PrintToString(ours) +
               "\ngdb: " + ::testing::PrintToString(gdb[server_->pid()]));
}

TEST_F(AcceptServer, OutputFileKeepsTheSnapshot) {
  std::string path =
      ::testing::TempDir() + "/ukstack-snapshot-" + std::to_string(server_->pid()) + ".json";
  CommandResult result = run_ukstack({"-o", path, std::to_string(server_->pid())});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::ifstream in(path);
  std::string saved((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(path.c_str());
  EXPECT_EQ(ukstack::testing::validate_against_schema(saved), "");
  auto json = nlohmann::json::parse(saved, nullptr, false);
  ASSERT_FALSE(json.is_discarded());
  EXPECT_NE(find_thread(json, server_->pid()), nullptr);
}

}  // namespace
}  // namespace ukstack::test
