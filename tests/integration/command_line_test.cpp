// What a user sees when the input is wrong or the target cannot be had: one clear
// line on stderr and DESIGN.md's exit status, never a crash or a hang.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "tests/integration/capture_helpers.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

int line_count(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

TEST(CommandLine, NoSuchProcess) {
  CommandResult result = run_ukstack({std::to_string(pid_not_in_use())});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("no such process"), std::string::npos) << result.err;
  EXPECT_EQ(line_count(result.err), 1);
  EXPECT_TRUE(result.out.empty());
}

TEST(CommandLine, BadUsageExits64) {
  for (auto args : std::vector<std::vector<std::string>>{{},
                                                         {"abc"},
                                                         {"-5"},
                                                         {"--format", "xml", "1"},
                                                         {"--timeout", "0", "1"},
                                                         {"--bogus", "1"}}) {
    SCOPED_TRACE(::testing::PrintToString(args));
    CommandResult result = run_ukstack(args);
    EXPECT_EQ(result.exit_code, 64);
    EXPECT_EQ(line_count(result.err), 1) << result.err;
    EXPECT_NE(result.err.find("ukstack"), std::string::npos);
  }
}

TEST(CommandLine, HelpAndVersion) {
  CommandResult help = run_ukstack({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
  EXPECT_NE(help.out.find("--format"), std::string::npos);
  CommandResult version = run_ukstack({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("ukstack 0.", 0), 0u) << version.out;
}

TEST(CommandLine, AWordThatIsNoProcessIdSaysSo) {
  CommandResult result = run_ukstack({"abc"});
  EXPECT_EQ(result.exit_code, 64);
  EXPECT_NE(result.err.find("'abc' is not a process id"), std::string::npos) << result.err;
  EXPECT_EQ(line_count(result.err), 1);
}

TEST(CommandLine, HelpShowsNegatedFlagsAsOptionsOfTheirOwn) {
  CommandResult help = run_ukstack({"--help"});
  for (const char* option : {"--inlines", "--no-inlines", "--group", "--no-group"}) {
    SCOPED_TRACE(option);
    // An option line of its own: "  --no-inlines   show an inlined call only as ..."
    EXPECT_NE(help.out.find(std::string("\n  ") + option + " "), std::string::npos) << help.out;
  }
  EXPECT_EQ(help.out.find("{false}"), std::string::npos) << help.out;
  EXPECT_EQ(run_ukstack({"--inlines", "--no-inlines", "1"}).exit_code, 64);
}

TEST(CommandLine, DashPTakesAPidAsEuStackDoes) {
  auto first = FixtureProcess::start({fixture_path("accept_server"), "0"});
  auto second = FixtureProcess::start({fixture_path("accept_server"), "0"});
  CommandResult result = run_ukstack(
      {"-p", std::to_string(first.pid()), "--pid", std::to_string(second.pid()), "--stop", "none"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("PID " + std::to_string(first.pid()) + " "), std::string::npos);
  EXPECT_NE(result.out.find("PID " + std::to_string(second.pid()) + " "), std::string::npos);
}

// Copies of a fixture under a name no other process has (comm keeps 15 bytes).
class NamedFixtures {
 public:
  NamedFixtures() : name_("uks" + std::to_string(getpid()) + "n") {
    std::filesystem::copy_file(fixture_path("accept_server"), dir_.path() / name_);
  }
  const std::string& name() const { return name_; }
  FixtureProcess start() { return FixtureProcess::start({dir_.path() / name_, "0"}); }

 private:
  TempDir dir_;
  std::string name_;
};

TEST(CommandLine, TheNameOfOneProcessCapturesIt) {
  NamedFixtures fixtures;
  auto target = fixtures.start();
  CommandResult result = run_ukstack({fixtures.name(), "--stop", "none"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(
      result.out.rfind("PID " + std::to_string(target.pid()) + " (" + fixtures.name() + ")", 0), 0u)
      << result.out;
}

TEST(CommandLine, ANameSeveralProcessesHaveListsThem) {
  NamedFixtures fixtures;
  auto first = fixtures.start();
  auto second = fixtures.start();
  CommandResult result = run_ukstack({fixtures.name()});
  EXPECT_EQ(result.exit_code, 64);
  EXPECT_TRUE(result.out.empty());
  EXPECT_NE(result.err.find("'" + fixtures.name() + "' is the name of 2 processes"),
            std::string::npos)
      << result.err;
  for (const auto* process : {&first, &second})
    EXPECT_NE(result.err.find("\n  " + std::to_string(process->pid()) + "  " + fixtures.name()),
              std::string::npos)
        << result.err;
  expect_not_disturbed(first.pid());
}

TEST(CommandLine, RefusesItsOwnProcess) {
  // The shell execs ukstack in place, so $$ is ukstack's own PID.
  CommandResult result = run_command(
      {"/bin/sh", "-c", std::string("exec ") + UKSTACK_BINARY + " $$"}, std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("itself"), std::string::npos) << result.err;
}

TEST(CommandLine, AlreadyTracedNamesTheTracer) {
  auto target = FixtureProcess::start({fixture_path("accept_server"), "0"});
  // A tracer of our own: a child that seizes the target (no stop) and waits.
  int ready_pipe[2];
  ASSERT_EQ(pipe(ready_pipe), 0);
  pid_t tracer = fork();
  ASSERT_GE(tracer, 0);
  if (tracer == 0) {
    char ok = ptrace(PTRACE_SEIZE, target.pid(), nullptr, nullptr) == 0 ? 'y' : 'n';
    (void)!write(ready_pipe[1], &ok, 1);
    for (;;) pause();
  }
  ChildProcess tracer_process(tracer);  // killed and reaped on every path
  close(ready_pipe[1]);
  char ok = 'n';
  ASSERT_EQ(read(ready_pipe[0], &ok, 1), 1);
  close(ready_pipe[0]);
  ASSERT_EQ(ok, 'y');

  CommandResult result = run_ukstack({std::to_string(target.pid())});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("already traced by PID " + std::to_string(tracer)), std::string::npos)
      << result.err;
  EXPECT_EQ(line_count(result.err), 1);
}

TEST(CommandLine, NotPermittedSaysWhatIsNeeded) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop to another user";
  auto target = FixtureProcess::start({fixture_path("accept_server"), "0"});
  CommandResult result =
      run_command({"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", UKSTACK_BINARY,
                   std::to_string(target.pid())},
                  std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 2) << result.out;
  EXPECT_NE(result.err.find("CAP_SYS_PTRACE"), std::string::npos) << result.err;
  EXPECT_EQ(line_count(result.err), 1);
  expect_not_disturbed(target.pid());
}

TEST(CommandLine, TargetNamesAreEscapedInText) {
  // The kernel names a process after the file it ran: an escape sequence in a file
  // name becomes the thread name. It must not reach the terminal raw.
  std::string dir = ::testing::TempDir() + "/ukstack-escape-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::string evil = dir + "/ev\x1b[31mil";
  std::filesystem::copy_file(fixture_path("accept_server"), evil,
                             std::filesystem::copy_options::overwrite_existing);
  auto target = FixtureProcess::start({evil, "0"});
  CommandResult result = run_ukstack({std::to_string(target.pid())});
  std::filesystem::remove_all(dir);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out.find('\x1b'), std::string::npos);
  EXPECT_NE(result.out.find("ev\\x1b[31mil"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace ukstack::test
