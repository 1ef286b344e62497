// Cores as systemd-coredump keeps them and as `coredumpctl dump PID | ukstack
// --core -` hands them over: a gcore of a fixture compressed by the zstd, lz4 and
// xz tools (the formats' own command-line programs, not ukstack's libraries), read
// from the file and from a pipe, must give what the plain core gives; a cut one
// and a terminal on standard input are refused in one line.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/integration/capture_helpers.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;

int line_count(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

// The snapshot without what differs between two reads of one core by design: when
// it was read (a pipe has no file time) and the name it was given.
nlohmann::json comparable(nlohmann::json snapshot) {
  snapshot.erase("captured_at");
  snapshot.erase("core_file");
  return snapshot;
}

class CompressedCore : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (const char* tool : {"gcore", "zstd", "lz4", "xz"}) {
      if (!on_path(tool)) return core_.fail(std::string(tool) + " is not installed");
    }
    core_.make({fixture_path("blocking_threads")});
    if (!core_.made()) return;
    const std::string plain = core_.path();
    // Each tool as systemd-coredump's formats are made by hand: zstd's and lz4's
    // frame formats, xz's container.
    const std::vector<std::vector<std::string>> commands = {
        {"zstd", "-q", "-f", plain, "-o", plain + ".zst"},
        {"lz4", "-q", "-f", plain, plain + ".lz4"},
        {"xz", "-q", "-f", "-k", "-T1", plain}};
    for (const auto& command : commands) {
      CommandResult result = run_command(command, std::chrono::seconds(120));
      if (result.exit_code != 0) return core_.fail(command[0] + " failed: " + result.err);
    }
    expected_ = new nlohmann::json(comparable(capture_json({"--core", plain})));
  }
  static void TearDownTestSuite() {
    delete expected_;
    expected_ = nullptr;
    core_.clear();
  }
  void SetUp() override {
    if (!core_.made() || expected_ == nullptr)
      GTEST_SKIP() << "no compressed cores of blocking_threads: " << core_.why();
  }

  // ukstack --format json --core - with `path` on a pipe (cat | ukstack), as
  // coredumpctl dump gives it.
  static CommandResult through_pipe(const std::string& path) {
    return run_command(
        {"sh", "-c", "cat \"$1\" | \"$0\" --format json --core -", UKSTACK_BINARY, path},
        std::chrono::seconds(60));
  }

  static SuiteGcore core_;
  static nlohmann::json* expected_;  // the plain core's snapshot, comparable()
};

SuiteGcore CompressedCore::core_;
nlohmann::json* CompressedCore::expected_ = nullptr;

TEST_F(CompressedCore, ThePlainCoreShowsTheFixture) {
  // What the comparisons below hold the compressed reads to is itself right.
  ASSERT_EQ((*expected_)["threads"].size(), 5u);
  EXPECT_TRUE(contains_name(functions((*expected_)["threads"][0], "user"), "main"));
}

TEST_F(CompressedCore, EachFormatReadsAsThePlainCore) {
  for (const char* suffix : {".zst", ".lz4", ".xz"}) {
    const std::string path = core_.path() + suffix;
    SCOPED_TRACE(path);
    nlohmann::json snapshot = capture_json({"--core", path});
    EXPECT_EQ(snapshot["core_file"], path);  // the name given, not the memory file's
    EXPECT_EQ(comparable(snapshot), *expected_);
  }
}

TEST_F(CompressedCore, FormatIsToldByContentNotByName) {
  const fs::path renamed = core_.dir() / "core-without-suffix";
  fs::copy_file(core_.path() + ".xz", renamed, fs::copy_options::overwrite_existing);
  EXPECT_EQ(comparable(capture_json({"--core", renamed.string()})), *expected_);
}

TEST_F(CompressedCore, StandardInputPlainAndCompressed) {
  for (const std::string& path : {core_.path(), core_.path() + ".zst", core_.path() + ".xz"}) {
    SCOPED_TRACE(path);
    CommandResult result = through_pipe(path);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    auto snapshot = nlohmann::json::parse(result.out, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(snapshot.is_discarded()) << result.out;
    EXPECT_EQ(snapshot["core_file"], "-");
    EXPECT_EQ(comparable(snapshot), *expected_);
  }
}

TEST_F(CompressedCore, TruncatedCoreIsOneLineAndExit2) {
  for (const char* suffix : {".zst", ".lz4", ".xz"}) {
    const std::string whole = core_.path() + suffix;
    const fs::path cut = core_.dir() / (std::string("cut") + suffix);
    fs::copy_file(whole, cut, fs::copy_options::overwrite_existing);
    fs::resize_file(cut, fs::file_size(whole) / 2);
    SCOPED_TRACE(cut.string());
    CommandResult result = run_ukstack({"--core", cut.string()});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_EQ(line_count(result.err), 1) << result.err;
    EXPECT_NE(result.err.find(cut.string()), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("truncated"), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty()) << result.out;

    CommandResult piped = through_pipe(cut.string());
    EXPECT_EQ(piped.exit_code, 2) << piped.err;
    EXPECT_EQ(line_count(piped.err), 1) << piped.err;
    EXPECT_NE(piped.err.find("standard input"), std::string::npos) << piped.err;
  }
}

TEST(CoreFromStandardInput, TerminalIsAUsageError) {
  if (!on_path("python3")) GTEST_SKIP() << "python3 is not installed (it makes the terminal)";
  if (auto why = pty_unavailable()) GTEST_SKIP() << *why;
  // Standard input a pseudo-terminal: ukstack must not wait for a core typed in.
  CommandResult result =
      run_command({"python3", "-c",
                   "import os, pty, subprocess, sys\n"
                   "controller, terminal = pty.openpty()\n"
                   "sys.exit(subprocess.run(sys.argv[1:], stdin=terminal).returncode)\n",
                   UKSTACK_BINARY, "--core", "-"},
                  std::chrono::seconds(30));
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 64) << result.err;
  EXPECT_EQ(line_count(result.err), 1) << result.err;
  EXPECT_NE(result.err.find("terminal"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace ukstack::test
