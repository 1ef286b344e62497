// ukstack's goroutines against two independent views of the same goroutines
// (tests/support/go_oracle.h): the program's own runtime.Stack(buf, true) dump taken
// just before ready, and delve's `goroutines -t` on the same process; and a
// GOTRACEBACK=crash core against the traceback the crash printed. The fixture,
// go_goroutines, parks goroutines in a channel receive, on a mutex and in a sleep,
// spins one and blocks one in a cgo read(2) on a thread whose id it prints.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "tests/integration/capture_helpers.h"
#include "tests/support/go_crash.h"
#include "tests/support/go_oracle.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;

struct Ours {
  std::string state;  // the wait reason while waiting, else the status: as Go's traceback
  std::optional<int> tid;
  std::vector<std::string> functions;
};

std::map<long, Ours> our_goroutines(const nlohmann::json& snapshot) {
  std::map<long, Ours> ours;
  for (const auto& goroutine : snapshot["goroutines"]) {
    Ours entry;
    entry.state = goroutine["wait_reason"].is_string() ? goroutine["wait_reason"].get<std::string>()
                                                       : goroutine["status"].get<std::string>();
    if (goroutine["tid"].is_number()) entry.tid = goroutine["tid"].get<int>();
    for (const auto& frame : goroutine["frames"]) {
      entry.functions.push_back(frame["function"].is_string() ? frame["function"].get<std::string>()
                                                              : "??");
    }
    ours[goroutine["goid"].get<long>()] = std::move(entry);
  }
  return ours;
}

bool parked_in_main(const OracleGoroutine& goroutine) {
  for (const auto& name : goroutine.functions()) {
    if (name == "main.waitOnChannel" || name == "main.waitOnMutex" || name == "main.sleepLong")
      return true;
  }
  return false;
}

// Every goroutine the oracle lists is one of ours, and each parked in one of main's
// three places has our state and our frames in its order. Returns how many were.
int expect_parked_agree(const std::map<long, Ours>& ours,
                        const std::vector<OracleGoroutine>& oracle) {
  int compared = 0;
  for (const OracleGoroutine& theirs : oracle) {
    SCOPED_TRACE("goroutine " + std::to_string(theirs.goid));
    auto found = ours.find(theirs.goid);
    EXPECT_NE(found, ours.end());
    if (found == ours.end() || !parked_in_main(theirs)) continue;
    EXPECT_EQ(found->second.state, theirs.state);
    EXPECT_TRUE(in_order(found->second.functions, theirs.functions()))
        << ::testing::PrintToString(found->second.functions) << " vs "
        << ::testing::PrintToString(theirs.functions());
    ++compared;
  }
  return compared;
}

class GoroutineOracles : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(binary_)) GTEST_SKIP() << "go_goroutines not built (no go when configuring)";
    dir_ = fs::path(::testing::TempDir()) / ("goroutine-oracles-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  const std::string binary_ = fixture_path("go_goroutines");
  fs::path dir_;
};

TEST_F(GoroutineOracles, SameGoroutinesStatesAndFramesAsTheRuntimeAndDelve) {
  constexpr int kGoroutines = 300;
  const std::string dump_path = (dir_ / "dump").string();
  auto fixture = FixtureProcess::start({binary_, "-dump", dump_path, std::to_string(kGoroutines)});
  const int cgo_tid = static_cast<int>(fixture.id("cgo_tid"));
  const nlohmann::json snapshot = capture_json({std::to_string(fixture.pid())});
  const std::map<long, Ours> ours = our_goroutines(snapshot);
  EXPECT_EQ(snapshot["goroutines_read"], "no-stop-checked");

  // The runtime's own dump: every goroutine in it is ours, in the same state, and a
  // parked one has the same frames in the same order.
  const auto dump = parse_go_traceback(read_text_file(dump_path).value_or(""));
  ASSERT_EQ(dump.size(), kGoroutines + 3u);
  EXPECT_EQ(expect_parked_agree(ours, dump), kGoroutines);

  // The cgo call: in a system call on the thread the fixture named, whose kernel
  // half (under the goroutine) is in pipe_read.
  const OracleGoroutine* cgo = nullptr;
  for (const auto& theirs : dump) {
    for (const auto& name : theirs.functions()) {
      if (name == "main.blockInCgoRead") cgo = &theirs;
    }
  }
  ASSERT_NE(cgo, nullptr);
  const Ours& our_cgo = ours.at(cgo->goid);
  EXPECT_EQ(our_cgo.state, "syscall");
  EXPECT_EQ(our_cgo.tid, cgo_tid);
  const nlohmann::json* thread = find_thread(snapshot, cgo_tid);
  ASSERT_NE(thread, nullptr);
  EXPECT_EQ((*thread)["goroutine"], cgo->goid);
  // Blocked in C: unwound without a stop, down to the switch to the g0 stack.
  EXPECT_TRUE(not_stopped(*thread)) << (*thread)["user"]["method"];
  EXPECT_EQ(functions(*thread, "user").back(), "runtime.asmcgocall");
  // pipe_read (6.1), anon_pipe_read (later kernels).
  const auto kernel = functions(*thread, "kernel");
  EXPECT_TRUE(std::ranges::any_of(kernel, [](const std::string& name) {
    return name.find("pipe_read") != std::string::npos;
  })) << ::testing::PrintToString(kernel);

  // delve, on the same process: the same goroutine ids, the same parked frames.
  if (!have_delve()) GTEST_SKIP() << "dlv (Debian package delve) is not installed";
  const auto delve = read_delve_goroutines(fixture.pid());
  std::set<long> delve_ids;
  std::set<long> our_ids;
  for (const auto& theirs : delve) delve_ids.insert(theirs.goid);
  for (const auto& [goid, entry] : ours) our_ids.insert(goid);
  EXPECT_EQ(our_ids, delve_ids);
  EXPECT_EQ(expect_parked_agree(ours, delve), kGoroutines);
}

// GOTRACEBACK=crash: the core's goroutines are those of the crash's own traceback.
TEST_F(GoroutineOracles, ACrashCoreHasTheGoroutinesOfItsTraceback) {
  if (auto obstacle = core_file_obstacle(); !obstacle.empty()) GTEST_SKIP() << obstacle;
  const GoCrash crash = crash_go_goroutines(binary_, 30, dir_);
  if (crash.core.empty()) GTEST_SKIP() << crash.why;
  const nlohmann::json snapshot = capture_json({"--core", crash.core, "--exe", binary_}, {0, 1});
  EXPECT_EQ(snapshot["goroutines_read"], "core");
  const std::map<long, Ours> ours = our_goroutines(snapshot);
  const auto traceback = parse_go_traceback(crash.traceback);
  ASSERT_FALSE(traceback.empty());
  EXPECT_EQ(expect_parked_agree(ours, traceback), 30);
}

}  // namespace
}  // namespace ukstack::test
