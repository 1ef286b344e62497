#include "tests/integration/capture_helpers.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/src/schema_check.h"

namespace ukstack::test {

std::string fixture_path(const std::string& name) { return std::string(UKSTACK_FIXTURE_DIR) + "/" + name; }

CommandResult run_ukstack(std::vector<std::string> args) {
  args.insert(args.begin(), UKSTACK_BINARY);
  return run_command(std::move(args), std::chrono::seconds(30));
}

nlohmann::json capture_json(std::vector<std::string> args, std::vector<int> allowed_exit) {
  args.insert(args.begin(), {"--format", "json"});
  CommandResult result = run_ukstack(args);
  EXPECT_FALSE(result.timed_out);
  EXPECT_NE(std::find(allowed_exit.begin(), allowed_exit.end(), result.exit_code), allowed_exit.end())
      << "exit " << result.exit_code << "\nstderr: " << result.err << "\nstdout: " << result.out;
  EXPECT_EQ(ukstack::testing::validate_against_schema(result.out), "");
  auto json = nlohmann::json::parse(result.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(json.is_discarded()) << result.out;
  return json;
}

const nlohmann::json* find_thread(const nlohmann::json& snapshot, int tid) {
  if (!snapshot.contains("threads")) return nullptr;
  for (const auto& thread : snapshot["threads"]) {
    if (thread["tid"].get<int>() == tid) return &thread;
  }
  return nullptr;
}

std::vector<std::string> functions(const nlohmann::json& thread, const char* half) {
  std::vector<std::string> names;
  for (const auto& frame : thread[half]["frames"]) {
    names.push_back(frame["function"].is_string() ? frame["function"].get<std::string>() : "??");
  }
  return names;
}

std::string base_name(const std::string& name) {
  // "fixture::cond_wait_inner()" -> "cond_wait_inner"; "ns::f<int>(x)" -> "f<int>"
  std::string base = name.substr(0, name.find('('));
  if (auto colon = base.rfind("::"); colon != std::string::npos) base = base.substr(colon + 2);
  return base;
}

std::string alias_name(const std::string& name) {
  // glibc exports one function under several names ("__GI___libc_read", "__libc_read",
  // "read"); debuggers pick different ones. Reduce to a common spelling.
  std::string base = name.substr(0, name.find('('));
  if (base.rfind("__GI_", 0) == 0) base = base.substr(5);
  while (!base.empty() && base[0] == '_') base = base.substr(1);
  if (base.rfind("libc_", 0) == 0) base = base.substr(5);
  return base;
}

namespace {
bool name_matches(const std::string& name, const std::string& wanted) {
  if (name == wanted) return true;
  std::string plain = name.substr(0, name.find('('));
  return plain == wanted || base_name(name) == wanted || alias_name(name) == alias_name(wanted);
}
}  // namespace

bool in_order(const std::vector<std::string>& names, const std::vector<std::string>& wanted) {
  std::size_t next = 0;
  for (const auto& name : names) {
    if (next < wanted.size() && name_matches(name, wanted[next])) ++next;
  }
  return next == wanted.size();
}

bool contains_name(const std::vector<std::string>& names, const std::string& wanted) {
  return in_order(names, {wanted});
}

void expect_agrees_with_gdb(const std::vector<std::string>& ours, const std::vector<std::string>& gdb) {
  ASSERT_FALSE(gdb.empty());
  ASSERT_FALSE(ours.empty());
  // gdb stops at main and shows inlined calls as frames of their own (ukstack's
  // inline frames are a later feature), so: ukstack's frames up to gdb's outermost
  // must each be in gdb's list, in the same order, and reach that outermost frame.
  std::vector<std::string> ours_to_gdb_outermost;
  bool reached = false;
  for (const auto& name : ours) {
    ours_to_gdb_outermost.push_back(name);
    if (name_matches(name, gdb.back())) {
      reached = true;
      break;
    }
  }
  EXPECT_TRUE(reached) << "gdb's outermost frame " << gdb.back() << " is missing";
  std::vector<std::string> gdb_aliases;
  for (const auto& name : gdb) gdb_aliases.push_back(alias_name(name));
  std::vector<std::string> ours_aliases;
  for (const auto& name : ours_to_gdb_outermost) ours_aliases.push_back(alias_name(name));
  std::size_t next = 0;
  for (const auto& name : gdb_aliases) {
    if (next < ours_aliases.size() && name == ours_aliases[next]) ++next;
  }
  EXPECT_EQ(next, ours_aliases.size()) << "frame " << (next < ours.size() ? ours[next] : "?")
                                       << " is not where gdb has it";
}

void expect_not_disturbed(int pid) {
  namespace fs = std::filesystem;
  for (const auto& entry : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    int tid = std::stoi(entry.path().filename());
    auto state = thread_state(tid);
    if (!state) continue;  // exited meanwhile
    EXPECT_NE(*state, 't') << "thread " << tid << " left in a ptrace stop";
    EXPECT_NE(*state, 'T') << "thread " << tid << " left stopped";
    std::ifstream status(entry.path() / "status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("TracerPid:", 0) == 0) {
        EXPECT_EQ(std::stoi(line.substr(10)), 0) << "thread " << tid << " still traced";
      }
    }
  }
}

}  // namespace ukstack::test
