// Frames without CFI (issue 4, part 5): fixture fp_nocfi's nocfi_inner,
// nocfi_middle and nocfi_outer have frame pointers and no unwind information at
// all (neither .eh_frame nor .debug_frame covers them); main, which calls them,
// has CFI. Both backends get past them by the rbp chain, and each frame says how
// it was found (`found_by`): the innermost from the registers ("context"), each
// frame whose callee has no CFI by "frame_pointer", the others by "cfi".
// The chain is checked against gdb's backtrace of the same thread.
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include "tests/integration/capture_helpers.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

constexpr long kRead = SYS_read;
const std::vector<std::string> kChain = {"nocfi_inner", "nocfi_middle", "nocfi_outer", "main"};

std::string found_by(const nlohmann::json& frame) {
  return frame["found_by"].is_string() ? frame["found_by"].get<std::string>() : "null";
}

std::string function_of(const nlohmann::json& frame) {
  return frame["function"].is_string() ? frame["function"].get<std::string>() : "??";
}

std::string describe(const nlohmann::json& frames) {
  std::string text;
  for (const auto& frame : frames) text += "\n  " + function_of(frame) + " " + found_by(frame);
  return text;
}

TEST(FramePointerFallback, BothBackendsFollowTheRbpChainAndSaySo) {
  auto fixture = FixtureProcess::start({fixture_path("fp_nocfi")});
  const int tid = fixture.id("tid");
  ASSERT_TRUE(wait_for_syscall(tid, kRead, std::chrono::seconds(10)));
  // The oracle: gdb unwinds functions without CFI by their prologue (push rbp;
  // mov rsp, rbp). It shows the frames up to main.
  const std::vector<std::string> gdb = gdb_backtraces(fixture.pid())[tid];
  ASSERT_TRUE(in_order(gdb, kChain)) << ::testing::PrintToString(gdb);

  // The procfs engine cannot unwind this thread without stopping it (the rbp chain
  // needs rbp, which /proc/<tid>/syscall does not show), so auto stops it as each
  // does; the BPF engine reads rbp with the rest.
  for (const char* stop : {"each", "auto"}) {
    for (const char* backend : {"libdw", "libunwind"}) {
      SCOPED_TRACE(std::string("--stop ") + stop + " --unwinder " + backend);
      ASSERT_TRUE(wait_for_syscall(tid, kRead, std::chrono::seconds(10)));
      const auto snapshot =
          capture_json({"--stop", stop, "--unwinder", backend, std::to_string(fixture.pid())});
      const nlohmann::json* thread = find_thread(snapshot, tid);
      ASSERT_NE(thread, nullptr) << snapshot.dump(2);
      const nlohmann::json& user = (*thread)["user"];
      // The procfs engine stops it; the BPF engine needs no stop for it.
      EXPECT_TRUE(user["method"] == backend || user["method"] == "bpf") << user["method"];
      EXPECT_TRUE(user["error"].is_null()) << user["error"];

      const auto names = functions(*thread, "user");
      ASSERT_GE(names.size(), kChain.size() + 1) << describe(user["frames"]);
      EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 4), kChain)
          << describe(user["frames"]);
      expect_same_frames_as_gdb(names, gdb);

      const nlohmann::json& frames = user["frames"];
      EXPECT_EQ(found_by(frames[0]), "context") << describe(frames);
      // nocfi_middle, nocfi_outer and main: their callees have no CFI.
      for (std::size_t i = 1; i <= 3; ++i) {
        EXPECT_EQ(found_by(frames[i]), "frame_pointer") << "#" << i << describe(frames);
      }
      // Past main (which has CFI) every frame is found by CFI again.
      for (std::size_t i = 4; i < frames.size(); ++i) {
        EXPECT_EQ(found_by(frames[i]), "cfi") << "#" << i << describe(frames);
      }

      // The text output marks those three frames, and only them.
      const CommandResult text = run_ukstack({"--stop", stop, "--unwinder", backend, "--color",
                                              "never", std::to_string(fixture.pid())});
      EXPECT_EQ(text.exit_code, 0) << text.err;
      std::size_t marks = 0;
      for (std::size_t at = text.out.find("[frame pointer]"); at != std::string::npos;
           at = text.out.find("[frame pointer]", at + 1)) {
        ++marks;
      }
      EXPECT_EQ(marks, 3u) << text.out;
      EXPECT_NE(text.out.find("nocfi_middle+0x"), std::string::npos) << text.out;
    }
  }
  expect_not_disturbed(fixture.pid());
}

// On an ordinary program (CFI everywhere) libdw never needs the rbp chain: the
// innermost frame of each thread is "context", every other one "cfi".
TEST(FramePointerFallback, OrdinaryProgramHasNoFramePointerFrames) {
  auto fixture = FixtureProcess::start({fixture_path("blocking_threads")});
  for (const char* key : {"cond", "pipe", "sleep", "epoll"}) {
    ASSERT_TRUE(wait_for_syscall(fixture.id(key), std::vector<long>{202, 0, 35, 230, 232, 281},
                                 std::chrono::seconds(10)));
  }
  const auto snapshot =
      capture_json({"--stop", "each", "--unwinder", "libdw", std::to_string(fixture.pid())});
  std::size_t threads = 0;
  for (const auto& thread : snapshot["threads"]) {
    const nlohmann::json& frames = thread["user"]["frames"];
    if (frames.empty()) continue;
    SCOPED_TRACE("thread " + std::to_string(thread["tid"].get<int>()) + describe(frames));
    ++threads;
    std::size_t physical = 0;
    for (const auto& frame : frames) {
      // Inlined frames share their physical frame's provenance; the first physical
      // frame (and the inlined calls in it) is the innermost.
      const std::string expected = physical == 0 ? "context" : "cfi";
      EXPECT_EQ(found_by(frame), expected) << function_of(frame);
      if (!frame["inlined"].get<bool>()) ++physical;
    }
  }
  EXPECT_EQ(threads, 5u);
  expect_not_disturbed(fixture.pid());
}

}  // namespace
}  // namespace ukstack::test
