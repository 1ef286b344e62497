// A program built with frame pointers (fixture fp_chain, -O2 -fno-omit-frame-pointer):
// its innermost function makes the system call itself, so that frame's CFA is
// rbp-based, and rbp is not in /proc/<tid>/syscall. Without stopping the thread the
// unwind ends early; --stop auto must see that and stop the thread, giving the
// complete chain (issue 3, part 4).
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include "tests/integration/capture_helpers.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

constexpr long kRead = SYS_read;
const std::vector<std::string> kChain = {"fp_inner", "fp_middle", "fp_outer", "main"};

class NeverFpFallback : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_ = std::make_unique<FixtureProcess>(FixtureProcess::start({fixture_path("fp_chain")}));
    ASSERT_TRUE(wait_for_syscall(fixture_->pid(), kRead, std::chrono::seconds(10)));
  }
  std::unique_ptr<FixtureProcess> fixture_;
};

// What makes auto's fallback necessary: --stop none cannot get past fp_inner, and
// says the half is cut short (error set, exit 1).
TEST_F(NeverFpFallback, NoStopUnwindIsCutShort) {
  const auto snapshot =
      capture_json({"--engine", "procfs", "--stop", "none", std::to_string(fixture_->pid())}, {1});
  const auto* thread = find_thread(snapshot, fixture_->pid());
  ASSERT_NE(thread, nullptr) << snapshot.dump(2);
  EXPECT_EQ((*thread)["user"]["method"], "nostop");
  const auto user = functions(*thread, "user");
  EXPECT_FALSE(in_order(user, kChain))
      << "the no-stop unwind got through rbp-based frames: " << ::testing::PrintToString(user);
  EXPECT_TRUE((*thread)["user"]["error"].is_string())
      << "a cut-short unwind must say so; frames: " << ::testing::PrintToString(user);
  expect_not_disturbed(fixture_->pid());
}

TEST_F(NeverFpFallback, AutoStopsTheThreadAndGetsTheWholeChain) {
  const auto snapshot =
      capture_json({"--engine", "procfs", "--stop", "auto", std::to_string(fixture_->pid())}, {0});
  const auto* thread = find_thread(snapshot, fixture_->pid());
  ASSERT_NE(thread, nullptr) << snapshot.dump(2);
  EXPECT_NE((*thread)["user"]["method"], "nostop") << "auto kept a cut-short no-stop unwind";
  EXPECT_TRUE((*thread)["user"]["error"].is_null()) << (*thread)["user"]["error"];
  const auto user = functions(*thread, "user");
  EXPECT_TRUE(in_order(user, kChain)) << ::testing::PrintToString(user);
  // The kernel half was read before the stop.
  const auto kernel = functions(*thread, "kernel");
  EXPECT_FALSE(kernel.empty());
  EXPECT_FALSE(contains_name(kernel, "ptrace_stop"));
  EXPECT_TRUE(wait_for_syscall(fixture_->pid(), kRead, std::chrono::seconds(10)));
  expect_not_disturbed(fixture_->pid());
}

// What the BPF engine changes: the record holds every register (rbp too), so auto
// gets the whole chain without a stop.
TEST_F(NeverFpFallback, BpfGetsTheWholeChainWithoutAStop) {
  if (auto why = bpf_unavailable()) GTEST_SKIP() << "BPF does not work here: " << *why;
  const auto snapshot =
      capture_json({"--engine", "bpf", "--stop", "auto", std::to_string(fixture_->pid())}, {0});
  const auto* thread = find_thread(snapshot, fixture_->pid());
  ASSERT_NE(thread, nullptr) << snapshot.dump(2);
  EXPECT_EQ((*thread)["user"]["method"], "bpf");
  EXPECT_EQ((*thread)["kernel"]["method"], "bpf");
  EXPECT_TRUE((*thread)["user"]["error"].is_null()) << (*thread)["user"]["error"];
  const auto user = functions(*thread, "user");
  EXPECT_TRUE(in_order(user, kChain)) << ::testing::PrintToString(user);
  EXPECT_FALSE(contains_name(functions(*thread, "kernel"), "ptrace_stop"));
  expect_not_disturbed(fixture_->pid());
}

}  // namespace
}  // namespace ukstack::test
