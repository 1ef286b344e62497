// ukstack --core on a core of our own fixture, written by gdb's gcore (a test
// oracle; ukstack never calls gdb), compared with eu-stack --core on the same
// core; the errors a user can make with --core, --exe and --input; and --input
// showing a saved snapshot exactly as the capture showed it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/capture_helpers.h"
#include "tests/integration/eu_stack_output.h"
#include "tests/model/schema_check.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;

int line_count(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

std::string fmt_hex(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

// One core of blocking_threads for every test here: gcore, then the fixture is
// killed by its pid (gcore detaches and leaves it running).
class FixtureCore : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!on_path("gcore") || !on_path("eu-stack")) {
      return core_.fail("gcore (gdb) or eu-stack (elfutils) is not installed");
    }
    core_.make({fixture_path("blocking_threads")});
  }
  static void TearDownTestSuite() { core_.clear(); }
  void SetUp() override {
    if (!core_.made()) GTEST_SKIP() << "no core of blocking_threads: " << core_.why();
  }

  static SuiteGcore core_;
};

SuiteGcore FixtureCore::core_;

std::string without_version(const std::string& name) { return name.substr(0, name.find('@')); }

// eu-stack -s -i is the reference for the frames (inlined calls included), their pcs
// and source lines. Its names for physical frames come from DWARF there, while
// ukstack (like eu-stack without -i) names a physical frame by its ELF symbol; glibc
// has several for one function ("__GI___libc_read", "read"). So a physical frame's
// name must be eu-stack -s -i's or the one plain eu-stack gives the same frame.
TEST_F(FixtureCore, SameThreadsAndFramesAsEuStack) {
  const std::string exe = fixture_path("blocking_threads");
  CommandResult with_inlines = run_command(
      {"eu-stack", "--core", core_.path(), "-e", exe, "-s", "-i"}, std::chrono::seconds(120));
  CommandResult plain =
      run_command({"eu-stack", "--core", core_.path(), "-e", exe}, std::chrono::seconds(120));
  ASSERT_FALSE(with_inlines.timed_out || plain.timed_out);
  EuStackOutput reference = parse_eu_stack(with_inlines.out + with_inlines.err, /*modules=*/false);
  EuStackOutput symbols = parse_eu_stack(plain.out + plain.err, /*modules=*/false);
  ASSERT_EQ(reference.threads.size(), 5u)
      << with_inlines.out << with_inlines.err;  // main + four blocked
  ASSERT_EQ(symbols.threads.size(), reference.threads.size());
  EXPECT_FALSE(reference.unwind_failed) << with_inlines.err;

  nlohmann::json snapshot = capture_json({"--core", core_.path(), "--exe", exe}, {0});
  EXPECT_EQ(snapshot["source"], "core");
  EXPECT_EQ(snapshot["process"]["exe"], exe);
  // The process name as the core has it (gdb writes the whole name; a kernel core
  // the 15 bytes of the comm).
  std::string name = snapshot["process"]["name"];
  EXPECT_TRUE(name.size() >= 15 && std::string("blocking_threads").starts_with(name)) << name;
  ASSERT_EQ(snapshot["threads"].size(), reference.threads.size());
  for (std::size_t t = 0; t < reference.threads.size(); ++t) {
    const nlohmann::json& ours = snapshot["threads"][t];
    const std::vector<EuStackFrame>& theirs = reference.threads[t].frames;
    SCOPED_TRACE("TID " + std::to_string(reference.threads[t].tid));
    EXPECT_EQ(ours["tid"], reference.threads[t].tid);
    EXPECT_EQ(symbols.threads[t].tid, reference.threads[t].tid);
    EXPECT_TRUE(ours["user"]["error"].is_null()) << ours["user"]["error"];
    const nlohmann::json& frames = ours["user"]["frames"];
    ASSERT_EQ(frames.size(), theirs.size()) << ::testing::PrintToString(functions(ours, "user"));
    std::size_t physical = 0;  // index into the plain eu-stack's frames
    for (std::size_t f = 0; f < theirs.size(); ++f) {
      SCOPED_TRACE("frame #" + std::to_string(f));
      const nlohmann::json& frame = frames[f];
      std::string function =
          frame["function"].is_string() ? frame["function"].get<std::string>() : "";
      EXPECT_EQ(frame["pc"].get<std::string>(), fmt_hex(theirs[f].pc));
      if (frame["inlined"].get<bool>()) {
        EXPECT_EQ(function, theirs[f].function);
      } else {
        ASSERT_LT(physical, symbols.threads[t].frames.size());
        const std::string& symbol = without_version(symbols.threads[t].frames[physical++].function);
        EXPECT_TRUE(function == theirs[f].function || function == symbol)
            << "ukstack " << function << "; eu-stack -i " << theirs[f].function << ", eu-stack "
            << symbol;
      }
      // Where ukstack shows a line, it is eu-stack's. (eu-stack also gives _start
      // the line of a neighbouring function; ukstack shows none there.)
      if (frame["file"].is_string() && frame["line"].is_number()) {
        EXPECT_EQ(frame["file"].get<std::string>() + ":" + std::to_string(frame["line"].get<int>()),
                  theirs[f].source.value_or("(none)"));
      }
    }
    EXPECT_EQ(physical, symbols.threads[t].frames.size());
  }
}

TEST_F(FixtureCore, TidSelectsThreads) {
  const std::string exe = fixture_path("blocking_threads");
  nlohmann::json all = capture_json({"--core", core_.path(), "--exe", exe}, {0});
  int second = all["threads"][1]["tid"].get<int>();
  nlohmann::json one =
      capture_json({"--core", core_.path(), "--exe", exe, "--tid", std::to_string(second)}, {0});
  ASSERT_EQ(one["threads"].size(), 1u);
  EXPECT_EQ(one["threads"][0]["tid"], second);
  EXPECT_EQ(one["threads"][0]["user"]["frames"], all["threads"][1]["user"]["frames"]);

  CommandResult missing =
      run_ukstack({"--core", core_.path(), "--tid", std::to_string(pid_not_in_use())});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(line_count(missing.err), 1) << missing.err;
}

TEST_F(FixtureCore, WithoutExeTheCoreNamesIt) {
  nlohmann::json snapshot = capture_json({"--core", core_.path()}, {0});
  EXPECT_EQ(snapshot["process"]["exe"], fixture_path("blocking_threads"));
  EXPECT_TRUE(contains_name(functions(snapshot["threads"][0], "user"), "main"));
}

TEST_F(FixtureCore, ExeOfAnotherProgramIsRefused) {
  CommandResult result =
      run_ukstack({"--core", core_.path(), "--exe", fixture_path("accept_server")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(line_count(result.err), 1) << result.err;
  EXPECT_NE(result.err.find("does not match"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty());
}

TEST_F(FixtureCore, InputShowsTheSavedCoreSnapshotAgain) {
  fs::path saved = core_.dir() / "core-snapshot.json";
  CommandResult direct = run_ukstack({"--core", core_.path(), "-o", saved.string()});
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  CommandResult again = run_ukstack({"--input", saved.string()});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, direct.out);
}

TEST(CoreErrors, MissingNotElfNotCore) {
  TempDir dir;
  fs::path text = dir.path() / "notes.txt";
  std::ofstream(text) << "not a core\n";
  struct Case {
    std::string core, says;
  };
  for (const Case& c : std::vector<Case>{{(dir.path() / "absent.core").string(), "No such file"},
                                         {text.string(), "not an ELF file"},
                                         {dir.path().string(), "not an ELF file"},
                                         {fixture_path("blocking_threads"), "not a core file"}}) {
    SCOPED_TRACE(c.core);
    CommandResult result = run_ukstack({"--core", c.core});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(line_count(result.err), 1) << result.err;
    EXPECT_NE(result.err.find("ukstack: "), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(c.says), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty());
  }
}

TEST(CoreErrors, UsageErrorsExit64) {
  for (auto args :
       std::vector<std::vector<std::string>>{{"1", "--core", "x.core"},
                                             {"--core", "x.core", "--input", "s.json"},
                                             {"1", "--input", "s.json"},
                                             {"--exe", "/bin/true", "1"},
                                             {"--core", "x.core", "--unwinder", "libunwind"},
                                             {"--core", "x.core", "--stop", "each"},
                                             {"--core", "x.core", "--timeout", "100"},
                                             {"--input", "s.json", "--tid", "5"}}) {
    SCOPED_TRACE(::testing::PrintToString(args));
    CommandResult result = run_ukstack(args);
    EXPECT_EQ(result.exit_code, 64);
    EXPECT_EQ(line_count(result.err), 1) << result.err;
  }
  CommandResult libunwind = run_ukstack({"--core", "x.core", "--unwinder", "libunwind"});
  EXPECT_NE(libunwind.err.find("libdw"), std::string::npos) << libunwind.err;
}

TEST(InputErrors, MissingInvalidOrNotASnapshot) {
  TempDir dir;
  fs::path not_json = dir.path() / "broken.json";
  std::ofstream(not_json) << "{\"schema\": ";
  fs::path other = dir.path() / "other.json";
  std::ofstream(other) << R"({"schema": "something/2", "threads": []})";
  for (const fs::path& path : {dir.path() / "absent.json", not_json, other}) {
    SCOPED_TRACE(path.string());
    CommandResult result = run_ukstack({"--input", path.string()});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(line_count(result.err), 1) << result.err;
    EXPECT_NE(result.err.find(path.filename().string()), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty());
  }
}

// The same snapshot through the same renderer: --input prints what the capture
// printed, in text and as JSON, and leaves with the capture's exit status.
TEST(Input, RoundTripOfALiveCapture) {
  TempDir dir;
  fs::path saved = dir.path() / "snap.json";
  auto fixture = FixtureProcess::start({fixture_path("blocking_threads")});
  CommandResult captured = run_ukstack({"-o", saved.string(), std::to_string(fixture.pid())});
  fixture.kill_and_wait();
  ASSERT_TRUE(captured.exit_code == 0 || captured.exit_code == 1) << captured.err;

  CommandResult text = run_ukstack({"--input", saved.string()});
  EXPECT_EQ(text.exit_code, captured.exit_code) << text.err;
  EXPECT_EQ(text.out, captured.out);

  CommandResult json = run_ukstack({"--input", saved.string(), "--format", "json"});
  EXPECT_EQ(json.exit_code, captured.exit_code);
  EXPECT_EQ(json.out, read_text_file(saved.string()).value_or(""));
  EXPECT_EQ(ukstack::testing::validate_against_schema(json.out), "");
}

}  // namespace
}  // namespace ukstack::test
