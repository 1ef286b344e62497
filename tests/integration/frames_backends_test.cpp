// The two user-stack backends (libdw, libunwind) on every fixture: the same frames,
// pc for pc and name for name, when they unwind the same blocked thread. Each
// backend runs in its own capture (--stop each, the thread's registers from
// ptrace); a thread counts only if it was blocked in a system call at the same
// user pc both times.
#include <gtest/gtest.h>

#include "tests/integration/capture_helpers.h"

namespace ukstack::test {
namespace {

nlohmann::json capture_with(const std::string& backend, int pid) {
  return capture_json({"--unwinder", backend, "--stop", "each", std::to_string(pid)}, {0, 1});
}

struct FrameKey {
  std::string pc, function;
  bool inlined = false;
  std::string found_by;
  bool operator==(const FrameKey&) const = default;
};

std::vector<FrameKey> frame_keys(const nlohmann::json& thread) {
  std::vector<FrameKey> keys;
  for (const auto& frame : thread["user"]["frames"]) {
    keys.push_back({frame["pc"].get<std::string>(),
                    frame["function"].is_string() ? frame["function"].get<std::string>() : "??",
                    frame["inlined"].get<bool>(),
                    frame["found_by"].is_string() ? frame["found_by"].get<std::string>() : "null"});
  }
  return keys;
}

std::string describe(const std::vector<FrameKey>& keys) {
  std::string text;
  for (const auto& key : keys) {
    text += "\n  " + key.pc + " " + key.function + (key.inlined ? " (inlined)" : "") + " " +
            key.found_by;
  }
  return text;
}

// Threads blocked at the same place in both captures: (libdw thread, libunwind thread).
std::vector<std::pair<const nlohmann::json*, const nlohmann::json*>> stable_threads(
    const nlohmann::json& a, const nlohmann::json& b) {
  std::vector<std::pair<const nlohmann::json*, const nlohmann::json*>> pairs;
  for (const auto& thread : a["threads"]) {
    const auto* other = find_thread(b, thread["tid"].get<int>());
    // Blocked both times (a ptrace stop may turn the call into restart_syscall, so
    // the number may differ) at the same user pc.
    if (other == nullptr || !thread["syscall"].is_object() || !(*other)["syscall"].is_object())
      continue;
    if (thread["user"]["frames"].empty() || (*other)["user"]["frames"].empty()) continue;
    if (thread["user"]["frames"][0]["pc"] != (*other)["user"]["frames"][0]["pc"]) continue;
    pairs.emplace_back(&thread, other);
  }
  return pairs;
}

void expect_same_frames(int pid, std::size_t expected_threads) {
  auto libdw = capture_with("libdw", pid);
  auto libunwind = capture_with("libunwind", pid);
  auto pairs = stable_threads(libdw, libunwind);
  EXPECT_EQ(pairs.size(), expected_threads);
  for (const auto& [ours, theirs] : pairs) {
    SCOPED_TRACE("thread " + std::to_string((*ours)["tid"].get<int>()));
    EXPECT_EQ((*ours)["user"]["method"], "libdw");
    EXPECT_EQ((*theirs)["user"]["method"], "libunwind");
    auto a = frame_keys(*ours);
    auto b = frame_keys(*theirs);
    EXPECT_EQ(a, b) << "libdw:" << describe(a) << "\nlibunwind:" << describe(b);
    EXPECT_EQ((*ours)["user"]["error"], (*theirs)["user"]["error"]);
  }
  expect_not_disturbed(pid);
}

TEST(Backends, SameFramesOnAcceptServer) {
  auto server = FixtureProcess::start({fixture_path("accept_server"), "0"});
  ASSERT_TRUE(wait_for_syscall(server.pid(), 43, std::chrono::seconds(10)));  // accept
  expect_same_frames(server.pid(), 1);
}

TEST(Backends, SameFramesOnBlockingThreads) {
  auto fixture = FixtureProcess::start({fixture_path("blocking_threads")});
  for (const char* key : {"cond", "pipe", "sleep", "epoll"}) {
    ASSERT_TRUE(wait_for_syscall(fixture.id(key), std::vector<long>{202, 0, 35, 230, 232, 281},
                                 std::chrono::seconds(10)));
  }
  ASSERT_TRUE(wait_for_syscall(fixture.pid(), 202, std::chrono::seconds(10)));
  expect_same_frames(fixture.pid(), 5);
}

// Functions without any CFI: both backends follow the rbp chain through them, and
// agree on the frames and on how each was found.
TEST(Backends, SameFramesOnFunctionsWithoutCfi) {
  auto fixture = FixtureProcess::start({fixture_path("fp_nocfi")});
  ASSERT_TRUE(wait_for_syscall(fixture.id("tid"), 0, std::chrono::seconds(10)));
  expect_same_frames(fixture.pid(), 1);
}

TEST(Backends, SameFramesOnInlineChain) {
  auto fixture = FixtureProcess::start({fixture_path("inline_chain")});
  ASSERT_TRUE(wait_for_syscall(fixture.id("tid"), 0, std::chrono::seconds(10)));
  expect_same_frames(fixture.pid(), 1);
}

// Go's static binaries carry their CFI in .debug_frame only (no .eh_frame, no
// PT_GNU_EH_FRAME). libdw reads .debug_frame; Debian's libunwind (x86-64, built
// without --enable-debug-frame) reads only .eh_frame, so it falls back to guessing
// through rbp: it misses the caller of a frameless leaf (runtime.futex.abi0 ->
// runtime.futexsleep) and cannot cross runtime.mcall's stack switch. What it does
// show must still be right: the same frames as libdw, in order, none invented, and
// a clean stop with the reason. And it says how it found them: past the innermost,
// by frame pointer (found_by), where libdw found them by CFI.
TEST(Backends, LibunwindOnGoShowsASubsetOfLibdwsFramesAndStopsCleanly) {
#ifndef UKSTACK_HAVE_GO_FIXTURE
  GTEST_SKIP() << "go was not found when configuring: no Go fixture";
#else
  auto server = FixtureProcess::start({fixture_path("accept_server_go"), "0"});
  ASSERT_TRUE(
      wait_for_syscall(server.pid(), std::vector<long>{232, 281, 202}, std::chrono::seconds(10)));
  auto libdw = capture_with("libdw", server.pid());
  auto libunwind = capture_with("libunwind", server.pid());
  auto pairs = stable_threads(libdw, libunwind);
  EXPECT_GE(pairs.size(), 2u);
  for (const auto& [ours, theirs] : pairs) {
    SCOPED_TRACE("thread " + std::to_string((*ours)["tid"].get<int>()));
    auto a = frame_keys(*ours);
    auto b = frame_keys(*theirs);
    ASSERT_FALSE(b.empty());
    EXPECT_LT(b.size(), 64u) << "no runaway unwind";
    EXPECT_EQ(b[0].found_by, "context");
    for (std::size_t i = 1; i < b.size(); ++i) {
      EXPECT_EQ(b[i].found_by, "frame_pointer") << "#" << i << " " << b[i].function;
    }
    // The same frame, whatever each backend says of how it found it.
    auto same_frame = [](const FrameKey& x, const FrameKey& y) {
      return x.pc == y.pc && x.function == y.function && x.inlined == y.inlined;
    };
    std::size_t next = 0;
    const FrameKey* previous = nullptr;
    for (const auto& key : b) {
      if (previous != nullptr && same_frame(key, *previous))
        continue;  // the repeat the unwind stopped at
      previous = &key;
      while (next < a.size() && !same_frame(a[next], key)) ++next;
      EXPECT_LT(next, a.size()) << key.pc << " " << key.function << " is not among libdw's frames"
                                << "\nlibdw:" << describe(a) << "\nlibunwind:" << describe(b);
      if (next < a.size()) ++next;
    }
  }
  expect_not_disturbed(server.pid());
#endif
}

}  // namespace
}  // namespace ukstack::test
