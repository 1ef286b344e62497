// Why is it stuck (issue 10), through the ukstack binary as a user runs it: the
// deadlock report of a three-thread cycle live and from a gcore of it, a long wait
// that is a chain and not a deadlock, two processes deadlocked over a pipe and a lock
// file found only when both are captured, the summary of a 1,000-thread pool on one
// screen, the summary against a golden file, and --samples' stuck, waking and moving.
// Every expectation comes from what the fixtures printed (tids, lock addresses, pids).
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/capture_helpers.h"
#include "tests/integration/lock_actors.h"
#include "tests/support/fixture_process.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;

// Waits until every actor that waits for a lock is in futex and every other in a sleep.
void wait_until_blocked(const std::vector<Actor>& actors) {
  for (const Actor& actor : actors) {
    const std::vector<long> calls = actor.waits.empty()
                                        ? std::vector<long>{SYS_clock_nanosleep, SYS_nanosleep}
                                        : std::vector<long>{SYS_futex};
    ASSERT_TRUE(wait_for_syscall(actor.tid, calls, std::chrono::seconds(10)))
        << actor.name << " (tid " << actor.tid << ") never blocked";
  }
}

std::set<int> deadlocked_tids(const nlohmann::json& snapshot) {
  std::set<int> tids;
  for (const auto& deadlock : snapshot["deadlocks"]) {
    for (const auto& tid : deadlock["tids"]) tids.insert(tid.get<int>());
  }
  return tids;
}

// The text before the first empty line: the header and the summary.
std::string summary_of(const std::string& text) {
  const auto end = text.find("\n\n");
  return end == std::string::npos ? text : text.substr(0, end + 1);
}

// --- deadlocks ---------------------------------------------------------------------

void expect_the_cycle(const nlohmann::json& snapshot, const std::vector<Actor>& actors) {
  std::set<int> cycle;
  for (const Actor& actor : actors) cycle.insert(actor.tid);
  ASSERT_EQ(snapshot["deadlocks"].size(), 1u) << snapshot["deadlocks"].dump(2);
  EXPECT_EQ(deadlocked_tids(snapshot), cycle);
  const auto& resources = snapshot["deadlocks"][0]["resources"];
  for (const Actor& actor : actors) {
    SCOPED_TRACE(actor.name);
    // Every lock of the cycle is named, and every thread waits for its holder.
    EXPECT_TRUE(std::ranges::any_of(resources, [&](const auto& resource) {
      return resource.template get<std::string>().find(actor.waits) != std::string::npos;
    })) << resources.dump();
    const auto* thread = find_thread(snapshot, actor.tid);
    ASSERT_NE(thread, nullptr);
    ASSERT_EQ((*thread)["waits_for"].size(), 1u) << thread->dump(2);
    const auto& wait = (*thread)["waits_for"][0];
    EXPECT_EQ(wait["kind"], "mutex");
    EXPECT_EQ(wait["address"], actor.waits);
    ASSERT_EQ(wait["holders"].size(), 1u) << wait.dump(2);
    EXPECT_EQ(wait["holders"][0]["tid"], holder_of(actors, actor.waits));
  }
}

TEST(Triage, AThreeThreadCycleIsOneDeadlockLiveAndFromACore) {
  auto fixture = FixtureProcess::start({fixture_path("lock_waits"), "cycle3"});
  const auto actors = actors_of(fixture);
  ASSERT_EQ(actors.size(), 3u) << fixture.ready_line();
  wait_until_blocked(actors);
  const std::string pid = std::to_string(fixture.pid());

  {
    SCOPED_TRACE("live");
    expect_the_cycle(capture_json({pid}), actors);
    // The deadlock leads the text, naming every thread of it.
    CommandResult text = run_ukstack({pid});
    const std::string summary = summary_of(text.out);
    const auto deadlock_line = summary.find("DEADLOCK: ");
    ASSERT_NE(deadlock_line, std::string::npos) << text.out;
    EXPECT_LT(deadlock_line, summary.find("What the threads wait in")) << summary;
    for (const Actor& actor : actors) {
      EXPECT_NE(summary.find("thread " + std::to_string(actor.tid) + " \"" + actor.name + "\""),
                std::string::npos)
          << summary;
    }
  }

  TempDir dir;
  const Gcore core = make_gcore(fixture.pid(), dir.path());
  if (core.path.empty()) GTEST_SKIP() << "no core to read: " << core.why;
  fixture.kill_and_wait();  // the core alone from here on
  SCOPED_TRACE("core");
  expect_the_cycle(capture_json({"--core", core.path}), actors);
}

TEST(Triage, ALongWaitIsAChainNotADeadlock) {
  auto fixture = FixtureProcess::start({fixture_path("lock_waits"), "long"});
  const auto actors = actors_of(fixture);
  wait_until_blocked(actors);
  const auto snapshot = capture_json({std::to_string(fixture.pid())});
  EXPECT_TRUE(snapshot["deadlocks"].empty()) << snapshot["deadlocks"].dump(2);
  int waiters = 0;
  for (const Actor& actor : actors) {
    if (actor.waits.empty()) continue;
    ++waiters;
    const auto* thread = find_thread(snapshot, actor.tid);
    ASSERT_NE(thread, nullptr);
    ASSERT_EQ((*thread)["waits_for"].size(), 1u) << thread->dump(2);
    EXPECT_EQ((*thread)["waits_for"][0]["holders"][0]["tid"], holder_of(actors, actor.waits));
  }
  EXPECT_GE(waiters, 2) << fixture.ready_line();
  // The text follows each waiter to the sleeping owner, and calls nothing a deadlock.
  CommandResult text = run_ukstack({std::to_string(fixture.pid())});
  EXPECT_EQ(text.out.find("DEADLOCK"), std::string::npos) << text.out;
  const auto owner = std::ranges::find(actors, "owner", &Actor::name);
  ASSERT_NE(owner, actors.end()) << fixture.ready_line();
  EXPECT_NE(text.out.find("held by thread " + std::to_string(owner->tid)), std::string::npos)
      << text.out;
}

TEST(Triage, TwoProcessesDeadlockedOverAPipeAndALockFileAreFoundWhenBothAreCaptured) {
  TempDir dir;
  auto fixture = FixtureProcess::start(
      {fixture_path("object_waits"), "deadlock", (dir.path() / "app.lock").string()});
  const int parent = fixture.pid();
  const int child = fixture.id("child");
  ASSERT_TRUE(wait_for_syscall(parent, SYS_read, std::chrono::seconds(10)));
  ASSERT_TRUE(wait_for_syscall(child, SYS_flock, std::chrono::seconds(10)));

  // One process alone: the other end is not captured, so nothing is proven.
  const auto alone = capture_json({std::to_string(parent)});
  EXPECT_TRUE(alone["deadlocks"].empty()) << alone["deadlocks"].dump(2);

  // Both: one graph, one deadlock naming both, in each process's snapshot.
  const auto both = capture_json({std::to_string(parent), std::to_string(child)});
  ASSERT_TRUE(both.is_array()) << both.dump(2).substr(0, 2000);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0]["process"]["pid"], parent);
  EXPECT_EQ(both[1]["process"]["pid"], child);
  for (const auto& snapshot : both) {
    EXPECT_EQ(deadlocked_tids(snapshot), (std::set<int>{parent, child}))
        << snapshot["deadlocks"].dump(2);
  }
  CommandResult text = run_ukstack({std::to_string(parent), std::to_string(child)});
  EXPECT_NE(summary_of(text.out).find("DEADLOCK: "), std::string::npos) << text.out;
}

// A chain that leaves the capture ends in what the holder process was doing.
TEST(Triage, AHolderProcessNotCapturedIsShownWithItsSystemCall) {
  auto fixture = FixtureProcess::start({fixture_path("object_waits"), "pipe"});
  const int reader = fixture.pid();
  const int child = fixture.id("child");
  ASSERT_TRUE(wait_for_syscall(reader, SYS_read, std::chrono::seconds(10)));
  ASSERT_TRUE(wait_for_syscall(child, SYS_pause, std::chrono::seconds(10)));
  const auto snapshot = capture_json({std::to_string(reader)});
  const auto* thread = find_thread(snapshot, reader);
  ASSERT_NE(thread, nullptr);
  ASSERT_EQ((*thread)["waits_for"].size(), 1u) << thread->dump(2);
  const auto& holders = (*thread)["waits_for"][0]["holders"];
  ASSERT_EQ(holders.size(), 1u) << holders.dump(2);
  EXPECT_EQ(holders[0]["pid"], child);
  EXPECT_EQ(holders[0]["syscall"], "pause");
  CommandResult text = run_ukstack({std::to_string(reader)});
  EXPECT_NE(text.out.find("held by process " + std::to_string(child) + " \"object_waits\" (pause)"),
            std::string::npos)
      << text.out;
}

// --- the summary -------------------------------------------------------------------

TEST(Triage, TheSummaryOfAThousandThreadsFitsAFiftyLineTerminal) {
  auto fixture =
      FixtureProcess::start({fixture_path("thread_pool"), "1000", "3"}, std::chrono::seconds(60));
  const int pid = fixture.pid();
  for (int tid : thread_ids(pid)) {
    if (tid == pid) continue;
    ASSERT_TRUE(wait_for_syscall(tid, {SYS_read, SYS_futex, SYS_clock_nanosleep, SYS_nanosleep},
                                 std::chrono::seconds(30)));
  }
  CommandResult text = run_ukstack({std::to_string(pid)});
  ASSERT_TRUE(text.exit_code == 0 || text.exit_code == 1) << text.err;
  const std::string summary = summary_of(text.out);
  EXPECT_LE(std::ranges::count(summary, '\n'), 50) << summary;
  // Its group lines account for every thread, the largest first.
  std::istringstream lines(summary);
  int counted = 0, previous = 1 << 30;
  for (std::string line; std::getline(lines, line);) {
    const auto times = line.find(" × ");
    if (!line.starts_with("  ") || times == std::string::npos) continue;
    const int count = std::stoi(line.substr(2, times - 2));
    EXPECT_LE(count, previous) << summary;
    previous = count;
    counted += count;
  }
  EXPECT_EQ(counted, 1001) << summary;
}

// The summary of the three-thread cycle with what varies from run to run (tids,
// addresses, the pid) replaced by the fixture's names for them.
std::string normalized_summary(const std::string& text, const FixtureProcess& fixture,
                               const std::vector<Actor>& actors) {
  std::string summary = summary_of(text);
  summary = summary.substr(summary.find("Summary:"));
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (auto at = summary.find(from); at != std::string::npos; at = summary.find(from, at)) {
      summary.replace(at, from.size(), to);
      at += to.size();
    }
  };
  for (const Actor& actor : actors) {
    replace_all(actor.holds, "<lock held by " + actor.name + ">");
    replace_all(std::to_string(actor.tid), "<" + actor.name + ">");
  }
  replace_all(std::to_string(fixture.pid()), "<pid>");
  return summary;
}

TEST(Triage, TheSummaryOfTheCycleIsTheGoldenOne) {
  auto fixture = FixtureProcess::start({fixture_path("lock_waits"), "cycle3"});
  const auto actors = actors_of(fixture);
  wait_until_blocked(actors);
  CommandResult text = run_ukstack({"--color", "never", std::to_string(fixture.pid())});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  const std::string summary = normalized_summary(text.out, fixture, actors);
  const fs::path golden = fs::path(UKSTACK_SOURCE_DIR) / "tests/integration/golden/cycle3.txt";
  if (const char* update = std::getenv("UKSTACK_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(golden) << summary;
    GTEST_SKIP() << "rewrote " << golden;
  }
  EXPECT_EQ(summary, read_text_file(golden.string()).value_or("(missing " + golden.string() + ")"));
}

// --- samples -----------------------------------------------------------------------

TEST(Triage, SamplesTellStuckFromWakingFromMovingInTheJson) {
  auto fixture = FixtureProcess::start({fixture_path("stuck_or_moving")});
  const int blocked = fixture.id("blocked"), poll = fixture.id("poll"), spin = fixture.id("spin");
  ASSERT_TRUE(wait_for_syscall(blocked, SYS_ppoll, std::chrono::seconds(10)));
  const auto snapshot =
      capture_json({"--samples", "5", "--interval", "50", std::to_string(fixture.pid())}, {0, 1});
  EXPECT_EQ(snapshot["samples"]["count"], 5);
  EXPECT_EQ(snapshot["samples"]["interval_ms"], 50);
  auto progress = [&](int tid) {
    const auto* thread = find_thread(snapshot, tid);
    return thread == nullptr ? nlohmann::json("no such thread") : (*thread)["progress"];
  };
  EXPECT_EQ(progress(blocked), "stuck");
  EXPECT_EQ(progress(poll), "waking");
  EXPECT_EQ(progress(spin), "moving");
  // Stuck threads lead the text's summary, the blocked one among them.
  CommandResult text =
      run_ukstack({"--samples", "3", "--interval", "20", std::to_string(fixture.pid())});
  const std::string summary = summary_of(text.out);
  const auto stuck_line = summary.find("\nstuck (");
  ASSERT_NE(stuck_line, std::string::npos) << summary;
  EXPECT_LT(stuck_line, summary.find("What the threads wait in")) << summary;
  const std::string line = summary.substr(stuck_line + 1, summary.find('\n', stuck_line + 1));
  EXPECT_NE(line.find(std::to_string(blocked)), std::string::npos) << summary;
}

}  // namespace
}  // namespace ukstack::test
