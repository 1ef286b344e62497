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

// nobody with what loading BPF needs, and nothing of ptrace's or of root's.
std::vector<std::string> as_nobody_with_bpf(std::vector<std::string> argv) {
  const std::vector<std::string> prefix = {"setpriv",
                                           "--reuid=nobody",
                                           "--regid=nogroup",
                                           "--clear-groups",
                                           "--inh-caps=+bpf,+perfmon",
                                           "--ambient-caps=+bpf,+perfmon",
                                           "--"};
  argv.insert(argv.begin(), prefix.begin(), prefix.end());
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
    fp_fixture_ = dir_.path() / "fp_chain";
    fs::copy_file(fixture_path("fp_chain"), fp_fixture_);
    for (const auto& path : {ukstack_, fixture_, fp_fixture_})
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

  CommandResult run_as_nobody_with_bpf(std::vector<std::string> args) {
    args.insert(args.begin(), ukstack_.string());
    return run_command(as_nobody_with_bpf(std::move(args)), std::chrono::seconds(30));
  }

  TempDir dir_;
  fs::path ukstack_, fixture_, fp_fixture_;
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

// Without CAP_BPF (nobody), --engine auto falls back to the procfs engine without a
// word on the normal output; -v says it in one line; --engine bpf refuses clearly.
// fp_chain's thread needs rbp to be unwound, so auto asks BPF for it (and, refused,
// stops it as before).
TEST_F(NeverUnprivileged, WithoutBpfAutoFallsBackQuietly) {
  auto fixture = FixtureProcess::start(as_nobody({fp_fixture_.string()}));
  ASSERT_TRUE(wait_for_syscall(fixture.pid(), kRead, std::chrono::seconds(10)));

  CommandResult quiet = run_as_nobody({"--format", "json", std::to_string(fixture.pid())});
  EXPECT_EQ(quiet.exit_code, 1) << quiet.err;  // the kernel halves need root
  EXPECT_EQ(quiet.err, "");
  const auto snapshot = nlohmann::json::parse(quiet.out);
  EXPECT_EQ(snapshot["engine"], "procfs");

  CommandResult verbose = run_as_nobody({"-v", "--format", "json", std::to_string(fixture.pid())});
  EXPECT_EQ(std::count(verbose.err.begin(), verbose.err.end(), '\n'), 1) << verbose.err;
  // Why: not permitted here; where BPF cannot work at all, that reason.
  EXPECT_NE(verbose.err.find("engine procfs (BPF not used: "), std::string::npos) << verbose.err;

  CommandResult bpf = run_as_nobody({"--engine", "bpf", std::to_string(fixture.pid())});
  EXPECT_EQ(bpf.exit_code, 2);
  EXPECT_EQ(bpf.out, "");
  EXPECT_EQ(std::count(bpf.err.begin(), bpf.err.end(), '\n'), 1) << bpf.err;
  EXPECT_NE(bpf.err.find(bpf_unavailable() ? "BPF" : "CAP_BPF and CAP_PERFMON"), std::string::npos)
      << bpf.err;
  expect_not_disturbed(fixture.pid());
}

// CAP_BPF and CAP_PERFMON let BPF read any process; ukstack still shows only what
// its caller could ptrace: another user's process is refused (exit 2, nothing on
// stdout), its own is read through BPF, both halves (kernel stacks too: CAP_PERFMON
// is what perf asks for them).
TEST_F(NeverUnprivileged, BpfCapabilitiesDoNotOpenAnotherUsersProcess) {
  auto own = FixtureProcess::start(as_nobody({fixture_.string()}));
  wait_blocked(own);
  CommandResult probe =
      run_as_nobody_with_bpf({"--engine", "bpf", "--format", "json", std::to_string(own.pid())});
  if (probe.exit_code == 2 && probe.err.find("BPF") != std::string::npos) {
    GTEST_SKIP() << "BPF does not load here: " << probe.err;
  }
  EXPECT_EQ(probe.exit_code, 0) << probe.err;
  const auto snapshot = nlohmann::json::parse(probe.out);
  EXPECT_EQ(snapshot["engine"], "bpf");
  ASSERT_EQ(snapshot["threads"].size(), 5u);
  for (const auto& thread : snapshot["threads"]) {
    EXPECT_EQ(thread["user"]["method"], "bpf") << thread.dump(2);
    EXPECT_FALSE(thread["kernel"]["frames"].empty()) << thread.dump(2);
  }

  auto others = FixtureProcess::start({fixture_.string()});  // root's
  wait_blocked(others);
  for (const char* engine : {"bpf", "auto"}) {
    SCOPED_TRACE(std::string("--engine ") + engine);
    CommandResult refused =
        run_as_nobody_with_bpf({"--engine", engine, std::to_string(others.pid())});
    EXPECT_EQ(refused.exit_code, 2) << refused.out;
    EXPECT_EQ(refused.out, "") << "something of another user's process was shown";
    EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
    EXPECT_NE(refused.err.find("not permitted"), std::string::npos) << refused.err;
  }
  expect_not_disturbed(own.pid());
  expect_not_disturbed(others.pid());
}

}  // namespace
}  // namespace ukstack::test
