// ukstack run as an unprivileged user (nobody, through setpriv): its own processes
// get user stacks, kernel stacks are reported as needing CAP_SYS_ADMIN (not as a
// crash), and another user's process gets a clear refusal naming CAP_SYS_PTRACE
// (issue 3, part 4). The binaries are copied to a 0755 temporary directory, since
// the build tree need not be reachable by nobody.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "tests/integration/capture_helpers.h"
#include "tests/model/schema_check.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;

constexpr long kRead = SYS_read;
constexpr long kFutex = SYS_futex;
const std::vector<std::string> kAsNobody = {"setpriv", "--reuid=nobody", "--regid=nogroup",
                                            "--clear-groups", "--"};

std::vector<std::string> as_nobody(std::vector<std::string> argv) {
  argv.insert(argv.begin(), kAsNobody.begin(), kAsNobody.end());
  return argv;
}

class NeverUnprivileged : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to become nobody";
    ukstack_ = dir_.path() / "ukstack";
    fixture_ = dir_.path() / "blocking_threads";
    fs::copy_file(UKSTACK_BINARY, ukstack_);
    fs::copy_file(fixture_path("blocking_threads"), fixture_);
    for (const auto& path : {ukstack_, fixture_})
      fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
    CommandResult probe = run_command(as_nobody({"id", "-u"}), std::chrono::seconds(10));
    ASSERT_EQ(probe.exit_code, 0) << "setpriv does not work here: " << probe.err;
    ASSERT_EQ(probe.out, "65534\n");
  }

  static void wait_blocked(const FixtureProcess& fixture) {
    for (const char* key : {"cond", "pipe", "sleep", "epoll"}) {
      ASSERT_TRUE(wait_for_state(fixture.id(key), "S", std::chrono::seconds(10))) << key;
    }
    ASSERT_TRUE(wait_for_syscall(fixture.pid(), kFutex, std::chrono::seconds(10)));
  }

  CommandResult run_as_nobody(std::vector<std::string> args) {
    args.insert(args.begin(), ukstack_.string());
    return run_command(as_nobody(std::move(args)), std::chrono::seconds(30));
  }

  TempDir dir_;
  fs::path ukstack_, fixture_;
};

TEST_F(NeverUnprivileged, OwnProcessGetsUserStacksAndKernelNeedsCapSysAdmin) {
  auto fixture = FixtureProcess::start(as_nobody({fixture_.string()}));
  ASSERT_EQ(status_field(fixture.pid(), "Uid"), 65534);
  wait_blocked(fixture);

  CommandResult result = run_as_nobody({"--format", "json", std::to_string(fixture.pid())});
  ASSERT_FALSE(result.timed_out);
  // Every kernel half is missing: exit 1, not 0 and not 2.
  EXPECT_EQ(result.exit_code, 1) << "stderr: " << result.err;
  ASSERT_EQ(ukstack::testing::validate_against_schema(result.out), "")
      << result.out.substr(0, 2000);
  const auto snapshot = nlohmann::json::parse(result.out);
  ASSERT_EQ(snapshot["threads"].size(), 5u);
  for (const auto& thread : snapshot["threads"]) {
    SCOPED_TRACE("thread " + thread["tid"].dump());
    EXPECT_TRUE(thread["kernel"]["frames"].empty());
    ASSERT_TRUE(thread["kernel"]["error"].is_string()) << thread.dump(2);
    EXPECT_NE(thread["kernel"]["error"].get<std::string>().find("CAP_SYS_ADMIN"), std::string::npos)
        << thread["kernel"]["error"];
    EXPECT_TRUE(thread["user"]["error"].is_null()) << thread["user"]["error"];
    EXPECT_FALSE(thread["user"]["frames"].empty());
  }
  const auto* pipe = find_thread(snapshot, fixture.id("pipe"));
  ASSERT_NE(pipe, nullptr);
  EXPECT_TRUE(in_order(functions(*pipe, "user"),
                       {"pipe_read_inner", "pipe_read_middle", "pipe_read_outer"}))
      << pipe->dump(2);

  // The text output says the same in words, without a crash.
  CommandResult text = run_as_nobody({std::to_string(fixture.pid())});
  EXPECT_EQ(text.exit_code, 1) << text.err;
  EXPECT_NE(text.out.find("CAP_SYS_ADMIN"), std::string::npos) << text.out;
  expect_not_disturbed(fixture.pid());
}

TEST_F(NeverUnprivileged, OtherUsersProcessIsRefusedClearly) {
  auto fixture = FixtureProcess::start({fixture_.string()});  // root's
  wait_blocked(fixture);
  CommandResult result = run_as_nobody({std::to_string(fixture.pid())});
  ASSERT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 2) << "stdout: " << result.out << "\nstderr: " << result.err;
  EXPECT_NE(result.err.find("CAP_SYS_PTRACE"), std::string::npos) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1)
      << "one line: " << result.err;
  expect_not_disturbed(fixture.pid());
}

}  // namespace
}  // namespace ukstack::test
