// Groups on a live process (issue 10, part 1): a 300-thread pool in three kinds
// (read, condition wait, sleep) is shown as three groups of 100 and its main
// thread, each group's stack once with the tids that share it.
#include <dirent.h>
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "tests/integration/capture_helpers.h"

namespace ukstack::test {
namespace {

std::set<int> tasks_of(int pid) {
  std::set<int> tids;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(
      opendir(("/proc/" + std::to_string(pid) + "/task").c_str()), &closedir);
  if (!dir) return tids;
  while (dirent* entry = readdir(dir.get())) {
    if (entry->d_name[0] != '.') tids.insert(std::stoi(entry->d_name));
  }
  return tids;
}

// "101-103,150" -> {101, 102, 103, 150}
std::set<int> expand_ranges(const std::string& ranges) {
  std::set<int> tids;
  std::stringstream in(ranges);
  for (std::string part; std::getline(in, part, ',');) {
    const auto dash = part.find('-');
    const int first = std::stoi(part.substr(0, dash));
    const int last = dash == std::string::npos ? first : std::stoi(part.substr(dash + 1));
    for (int tid = first; tid <= last; ++tid) tids.insert(tid);
  }
  return tids;
}

struct GroupBlock {
  int count = 0;
  std::set<int> tids;
  std::string text;  // the header line and the stack below it
};

// The "N threads TIDS: ..." blocks of ukstack's text output.
std::vector<GroupBlock> group_blocks(const std::string& output) {
  static const std::regex kHeader(R"(^(\d+) threads ([0-9,-]+): )");
  std::vector<GroupBlock> blocks;
  std::stringstream in(output);
  GroupBlock* current = nullptr;
  for (std::string line; std::getline(in, line);) {
    std::smatch match;
    if (std::regex_search(line, match, kHeader)) {
      blocks.push_back(GroupBlock{std::stoi(match[1]), expand_ranges(match[2]), line + "\n"});
      current = &blocks.back();
    } else if (line.empty() || line.rfind("Thread ", 0) == 0) {
      current = nullptr;
    } else if (current != nullptr) {
      current->text += line + "\n";
    }
  }
  return blocks;
}

class PoolGroups : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pool_ = std::make_unique<FixtureProcess>(
        FixtureProcess::start({fixture_path("thread_pool"), "300", "3"}, std::chrono::seconds(30)));
  }
  static void TearDownTestSuite() { pool_.reset(); }
  static std::unique_ptr<FixtureProcess> pool_;
};
std::unique_ptr<FixtureProcess> PoolGroups::pool_;

TEST_F(PoolGroups, ThreeGroupsOfAHundredAndTheMainThread) {
  const int pid = pool_->pid();
  CommandResult result = run_ukstack({"--color", "never", std::to_string(pid)});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<GroupBlock> blocks = group_blocks(result.out);
  ASSERT_EQ(blocks.size(), 3u) << result.out.substr(0, 4000);

  const std::set<int> all = tasks_of(pid);
  ASSERT_EQ(all.size(), 301u);
  std::set<int> grouped;
  const std::vector<std::string> inner = {"pool_worker_inner", "pool_cond_inner",
                                          "pool_sleep_inner"};
  std::set<std::string> seen_inner;
  for (const GroupBlock& block : blocks) {
    EXPECT_EQ(block.count, 100) << block.text;
    EXPECT_EQ(block.tids.size(), 100u) << block.text;
    for (int tid : block.tids) {
      EXPECT_TRUE(all.count(tid)) << tid << " is no thread of " << pid;
      EXPECT_TRUE(grouped.insert(tid).second) << tid << " is in two groups";
    }
    for (const auto& name : inner) {
      if (block.text.find(name) != std::string::npos) seen_inner.insert(name);
    }
    EXPECT_EQ(block.text.find("\n  kernel ("), block.text.rfind("\n  kernel ("))
        << "the group's stack is shown once";
  }
  EXPECT_EQ(seen_inner.size(), 3u) << "each kind of worker is one group";
  EXPECT_FALSE(grouped.count(pid));
  EXPECT_EQ(grouped.size(), 300u);
  // The main thread, alone, as a thread of its own.
  EXPECT_NE(result.out.find("\nThread " + std::to_string(pid) + " "), std::string::npos);
}

TEST_F(PoolGroups, NoGroupShowsEveryThread) {
  CommandResult result = run_ukstack({"--no-group", std::to_string(pool_->pid())});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(group_blocks(result.out).empty());
  std::size_t threads = 0;
  for (std::size_t at = result.out.find("\nThread "); at != std::string::npos;
       at = result.out.find("\nThread ", at + 1)) {
    ++threads;
  }
  EXPECT_EQ(threads, 301u);
}

// JSON keeps every thread and lists the groups beside them (schema /2): the same
// three groups of 100 workers, each naming its kind's inner function, and the
// main thread alone; --no-group lists none.
TEST_F(PoolGroups, JsonListsEveryThreadAndTheGroups) {
  const int pid = pool_->pid();
  const auto snapshot = capture_json({std::to_string(pid)}, {0});
  EXPECT_EQ(snapshot["threads"].size(), 301u);
  const auto& groups = snapshot["groups"];
  ASSERT_EQ(groups.size(), 4u) << groups.dump().substr(0, 4000);
  const std::set<int> all = tasks_of(pid);
  std::set<int> grouped;
  std::set<std::string> seen_inner;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    EXPECT_EQ(groups[i]["tids"].size(), i < 3 ? 100u : 1u) << "largest first";
    for (int tid : groups[i]["tids"]) {
      EXPECT_TRUE(all.count(tid)) << tid << " is no thread of " << pid;
      EXPECT_TRUE(grouped.insert(tid).second) << tid << " is in two groups";
    }
    for (const auto& frame : groups[i]["user"]) {
      if (frame["function"].is_string()) seen_inner.insert(frame["function"].get<std::string>());
    }
  }
  EXPECT_EQ(grouped, all);
  EXPECT_EQ(groups[3]["tids"][0], pid);
  for (const char* inner : {"pool_worker_inner", "pool_cond_inner", "pool_sleep_inner"}) {
    EXPECT_TRUE(seen_inner.count(inner)) << inner;
  }

  const auto ungrouped = capture_json({"--no-group", std::to_string(pid)}, {0});
  EXPECT_EQ(ungrouped["threads"].size(), 301u);
  EXPECT_EQ(ungrouped["groups"], nlohmann::json::array());
}

}  // namespace
}  // namespace ukstack::test
