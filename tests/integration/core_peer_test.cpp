// ukstack --core on elfutils' own test cores, against what eu-stack printed for
// them. The cores, executables and EXPECTED.md are the peer's data
// (../shared/peer-data/elfutils beside the repository, or $UKSTACK_PEER_DATA/elfutils);
// they are never copied into the project: each test unpacks them into a temp dir
// and parses EXPECTED.md's blocks (command, output, exit code) as they are.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/integration/capture_helpers.h"
#include "tests/integration/eu_stack_output.h"
#include "tests/model/schema_check.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;

fs::path peer_dir() {
  const char* override_dir = std::getenv("UKSTACK_PEER_DATA");
  fs::path base = override_dir != nullptr && *override_dir != '\0' ? fs::path(override_dir)
                                                                   : fs::path(UKSTACK_PEER_DATA);
  return base / "elfutils";
}

class PeerCores : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::path expected = peer_dir() / "EXPECTED.md";
    if (!fs::exists(expected)) {
      GTEST_SKIP() << "peer data not found at " << peer_dir()
                   << " (set UKSTACK_PEER_DATA to the directory holding elfutils/EXPECTED.md)";
    }
    auto text = read_text_file(expected);
    ASSERT_TRUE(text) << "cannot read " << expected;
    runs_ = parse_expected_md(*text);
    ASSERT_GE(runs_.size(), 6u)
        << "EXPECTED.md has fewer blocks than it had when this test was written";
    // Every .bz2 of the peer, unpacked under its own name (files refer to each other
    // by relative paths: linkmap-cut's link map names ./linkmap-cut-lib.so).
    for (const auto& entry : fs::directory_iterator(peer_dir())) {
      if (entry.path().extension() != ".bz2") continue;
      CommandResult unpacked =
          run_command({"bzip2", "-dc", entry.path().string()}, std::chrono::seconds(60));
      ASSERT_EQ(unpacked.exit_code, 0) << "bzip2 -dc " << entry.path() << ": " << unpacked.err;
      fs::path target = dir_.path() / entry.path().stem();
      std::ofstream(target, std::ios::binary) << unpacked.out;
      fs::permissions(target, fs::perms::owner_exec, fs::perm_options::add);
    }
  }

  // ukstack on the same core and executable as the eu-stack run, in the temp dir.
  CommandResult run_like(const ExpectedRun& run, const std::string& format) const {
    std::vector<std::string> args = {
        "env",   "-C",    dir_.path().string(), UKSTACK_BINARY, "--core", run.core,
        "--exe", run.exe, "--format",           format};
    if (!run.inlines) args.push_back("--no-inlines");
    return run_command(args, std::chrono::seconds(60));
  }

  TempDir dir_;
  std::vector<ExpectedRun> runs_;
};

std::string hex(std::uint64_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << value;
  return out.str();
}

// The same threads in the same order; per frame the same pc and function (and
// module with -m, file:line with -s); the same outcome.
TEST_F(PeerCores, SameFramesAsEuStackForEveryExpectedBlock) {
  for (const ExpectedRun& run : runs_) {
    SCOPED_TRACE("eu-stack " + ::testing::PrintToString(run.args));
    ASSERT_FALSE(run.core.empty());
    ASSERT_FALSE(run.output.threads.empty());
    CommandResult result = run_like(run, "json");
    ASSERT_FALSE(result.timed_out);
    ASSERT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.err;
    EXPECT_EQ(ukstack::testing::validate_against_schema(result.out), "");
    auto snapshot = nlohmann::json::parse(result.out);
    EXPECT_EQ(snapshot["source"], "core");

    ASSERT_EQ(snapshot["threads"].size(), run.output.threads.size());
    bool any_error = false;
    for (std::size_t t = 0; t < run.output.threads.size(); ++t) {
      const EuStackThread& theirs = run.output.threads[t];
      const nlohmann::json& ours = snapshot["threads"][t];
      SCOPED_TRACE("TID " + std::to_string(theirs.tid));
      EXPECT_EQ(ours["tid"], theirs.tid);
      EXPECT_EQ(ours["kernel"]["method"], "none");
      // A system call only as the saved registers show one (orig_rax), decoded.
      if (!ours["syscall"].is_null()) {
        EXPECT_GE(ours["syscall"]["nr"].get<long>(), 0);
        EXPECT_EQ(ours["syscall"]["args"].size(), 6u);
      }
      const nlohmann::json& frames = ours["user"]["frames"];
      any_error = any_error || !ours["user"]["error"].is_null();
      // eu-stack -n N shows the first N frames only.
      if (run.output.cut_at_max_frames) {
        ASSERT_GE(frames.size(), theirs.frames.size());
      } else {
        ASSERT_EQ(frames.size(), theirs.frames.size()) << ours["user"].dump(1);
      }
      for (std::size_t f = 0; f < theirs.frames.size(); ++f) {
        SCOPED_TRACE("frame #" + std::to_string(f));
        const EuStackFrame& expected = theirs.frames[f];
        const nlohmann::json& frame = frames[f];
        EXPECT_EQ(frame["pc"], hex(expected.pc));
        std::string function =
            frame["function"].is_string() ? frame["function"].get<std::string>() : "";
        EXPECT_EQ(function, demangled(expected.function));
        if (run.modules) {
          ASSERT_TRUE(expected.module.has_value());
          EXPECT_EQ(frame["module"], *expected.module);
        }
        if (run.source && expected.source) {
          ASSERT_TRUE(frame["file"].is_string() && frame["line"].is_number()) << frame.dump();
          EXPECT_EQ(
              frame["file"].get<std::string>() + ":" + std::to_string(frame["line"].get<int>()),
              *expected.source);
        }
        EXPECT_EQ(frame["inlined"].get<bool>(), run.inlines && f + 1 < theirs.frames.size() &&
                                                    theirs.frames[f + 1].pc == expected.pc);
      }
    }
    // Where eu-stack's unwind ended in an error (the core's libc is not on this
    // machine), ukstack keeps the frames, says why, and exits 1; where eu-stack
    // reached the outermost frame, so does ukstack.
    if (run.output.unwind_failed) {
      EXPECT_TRUE(any_error);
      EXPECT_EQ(result.exit_code, 1);
    } else if (!run.output.cut_at_max_frames) {
      EXPECT_FALSE(any_error) << result.out;
      EXPECT_EQ(result.exit_code, run.exit_code);
    }
  }
}

// The text view of a core: a header naming the core file, then each thread's
// user frames; no kernel half, no system-call boundary.
TEST_F(PeerCores, TextSaysCoreAndHasNoKernelHalf) {
  for (const ExpectedRun& run : runs_) {
    SCOPED_TRACE("eu-stack " + ::testing::PrintToString(run.args));
    CommandResult result = run_like(run, "text");
    ASSERT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.err;
    std::string first_line = result.out.substr(0, result.out.find('\n'));
    EXPECT_NE(first_line.find("(core file " + run.core + ")"), std::string::npos) << first_line;
    EXPECT_EQ(result.out.find("kernel ("), std::string::npos) << result.out;
    EXPECT_EQ(result.out.find("──"), std::string::npos) << result.out;
    for (const EuStackThread& thread : run.output.threads) {
      EXPECT_NE(result.out.find("Thread " + std::to_string(thread.tid) + " "), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace ukstack::test
