#include "tests/integration/capture_helpers.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string_view>

#include "base/unique_fd.h"
#include "tests/model/schema_check.h"

namespace ukstack::test {

std::string fixture_path(const std::string& name) {
  return std::string(UKSTACK_FIXTURE_DIR) + "/" + name;
}

CommandResult run_ukstack(std::vector<std::string> args) {
  args.insert(args.begin(), UKSTACK_BINARY);
  return run_command(std::move(args), std::chrono::seconds(30));
}

nlohmann::json capture_json(std::vector<std::string> args, std::vector<int> allowed_exit) {
  args.insert(args.begin(), {"--format", "json"});
  CommandResult result = run_ukstack(args);
  EXPECT_FALSE(result.timed_out);
  EXPECT_NE(std::find(allowed_exit.begin(), allowed_exit.end(), result.exit_code),
            allowed_exit.end())
      << "exit " << result.exit_code << "\nstderr: " << result.err << "\nstdout: " << result.out;
  EXPECT_EQ(ukstack::testing::validate_against_schema(result.out), "");
  auto json = nlohmann::json::parse(result.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(json.is_discarded()) << result.out;
  return json;
}

std::optional<std::string> pty_unavailable() {
  UniqueFd controller(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  const char* terminal = nullptr;
  if (controller.valid() && grantpt(controller.get()) == 0 && unlockpt(controller.get()) == 0)
    terminal = ptsname(controller.get());
  if (terminal != nullptr && UniqueFd(open(terminal, O_RDWR | O_NOCTTY | O_CLOEXEC)).valid())
    return std::nullopt;
  return std::string("no pseudo-terminal can be opened here (is /dev/pts mounted?): ") +
         std::strerror(errno);
}

std::optional<std::string> bpf_unavailable() {
  static const std::optional<std::string> why = []() -> std::optional<std::string> {
    CommandResult probe = run_ukstack(
        {"--engine", "bpf", "--stop", "none", "--format", "json", std::to_string(getpid())});
    if (probe.exit_code != 2) return std::nullopt;
    return probe.err.empty() ? std::string("ukstack --engine bpf failed") : probe.err;
  }();
  return why;
}

bool not_stopped(const nlohmann::json& thread) {
  const auto& method = thread["user"]["method"];
  return method == "bpf" || method == "nostop";
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
  const bool internal = base.starts_with("__");
  while (!base.empty() && base[0] == '_') base = base.substr(1);
  if (base.rfind("libc_", 0) == 0) base = base.substr(5);
  // Its 64-bit-time functions too: on a 64-bit ABI "___pthread_cond_timedwait64" and
  // "__clock_nanosleep_time64" are pthread_cond_timedwait and clock_nanosleep.
  for (std::string_view suffix : {"_time64", "64"}) {
    if (internal && base.size() > suffix.size() && base.ends_with(suffix)) {
      base.resize(base.size() - suffix.size());
      break;
    }
  }
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

namespace {
// ukstack's frames up to gdb's outermost (gdb stops at main; ukstack goes on to
// _start). Empty when gdb's outermost frame is not among them.
std::vector<std::string> up_to_gdb_outermost(const std::vector<std::string>& ours,
                                             const std::vector<std::string>& gdb) {
  std::vector<std::string> kept;
  for (const auto& name : ours) {
    kept.push_back(name);
    if (name_matches(name, gdb.back())) return kept;
  }
  ADD_FAILURE() << "gdb's outermost frame " << gdb.back() << " is missing";
  return {};
}
}  // namespace

void expect_agrees_with_gdb(const std::vector<std::string>& ours,
                            const std::vector<std::string>& gdb) {
  ASSERT_FALSE(gdb.empty());
  ASSERT_FALSE(ours.empty());
  // Every frame ukstack shows, inlined calls included, is one gdb shows, in the same
  // order. gdb may show more: it rebuilds frames of tail calls from DWARF call-site
  // records (DW_TAG_call_site with DW_AT_call_tail_call: glibc's
  // __futex_abstimed_wait_cancelable64 jumps to __futex_abstimed_wait_common), which
  // no CFI unwinder (libdw, libunwind, eu-stack) sees: nothing on the stack says so.
  std::vector<std::string> kept = up_to_gdb_outermost(ours, gdb);
  if (kept.empty()) return;
  std::size_t next = 0;
  for (const auto& name : gdb) {
    if (next < kept.size() && (name_matches(kept[next], name) || kept[next] == "??")) ++next;
  }
  EXPECT_EQ(next, kept.size()) << "frame " << (next < kept.size() ? kept[next] : "?")
                               << " is not where gdb has it";
}

void expect_same_frames_as_gdb(const std::vector<std::string>& ours,
                               const std::vector<std::string>& gdb) {
  ASSERT_FALSE(gdb.empty());
  ASSERT_FALSE(ours.empty());
  // Frame for frame, inlined calls included, wherever both have a name.
  std::vector<std::string> kept = up_to_gdb_outermost(ours, gdb);
  if (kept.empty()) return;
  ASSERT_EQ(kept.size(), gdb.size()) << "not the same number of frames";
  for (std::size_t i = 0; i < gdb.size(); ++i) {
    if (kept[i] == "??" || gdb[i] == "??" || gdb[i].empty()) continue;
    EXPECT_TRUE(name_matches(kept[i], gdb[i]))
        << "frame #" << i << ": ukstack " << kept[i] << ", gdb " << gdb[i];
  }
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

bool on_path(const std::string& program) {
  return run_command({"sh", "-c", "command -v " + program}, std::chrono::seconds(10)).exit_code ==
         0;
}

Gcore make_gcore(int pid, const std::filesystem::path& dir) {
  if (!on_path("gcore")) return {.path = "", .why = "gcore (gdb) is not installed"};
  const std::string prefix = (dir / "core").string();
  CommandResult gcore =
      run_command({"gcore", "-o", prefix, std::to_string(pid)}, std::chrono::seconds(120));
  const std::string written = prefix + "." + std::to_string(pid);
  if (gcore.exit_code == 0 && std::filesystem::exists(written)) return {.path = written, .why = ""};
  return {.path = "", .why = "gcore exit " + std::to_string(gcore.exit_code) + ": " + gcore.err};
}

const std::filesystem::path& SuiteGcore::dir() {
  if (!dir_) dir_ = std::make_unique<TempDir>();
  return dir_->path();
}

void SuiteGcore::make(const std::vector<std::string>& command) {
  auto fixture = FixtureProcess::start(command);
  const Gcore core = make_gcore(fixture.pid(), dir());
  fixture.kill_and_wait();
  path_ = core.path;
  why_ = core.why;
}

void SuiteGcore::clear() {
  path_.clear();
  why_.clear();
  dir_.reset();
}

std::string build_id(const std::string& path) {
  CommandResult notes = run_command({"readelf", "-n", path}, std::chrono::seconds(10));
  auto at = notes.out.find("Build ID: ");
  if (at == std::string::npos) return {};
  std::string id = notes.out.substr(at + 10);
  return id.substr(0, id.find_first_of(" \n"));
}

// `info goroutines` prints "* 1 running  main.main".
std::map<std::uint64_t, std::string> gdb_goroutines(int pid) {
  auto goroot = run_command({"go", "env", "GOROOT"}, std::chrono::seconds(30));
  std::string root = goroot.out.substr(0, goroot.out.find('\n'));
  const std::string script = root + "/src/runtime/runtime-gdb.py";
  if (goroot.exit_code != 0 || !std::filesystem::exists(script)) return {};
  auto gdb = run_command(
      {"gdb", "-batch", "-nx", "-iex", "add-auto-load-safe-path " + script, "-iex",
       "set auto-load python-scripts on", "-p", std::to_string(pid), "-ex", "info goroutines"},
      std::chrono::seconds(60));
  std::map<std::uint64_t, std::string> goroutines;
  static const std::regex line(R"(^\*?\s*(\d+)\s+([a-z]+)\s)");
  std::istringstream lines(gdb.out);
  for (std::string text; std::getline(lines, text);) {
    std::smatch match;
    if (std::regex_search(text, match, line)) goroutines[std::stoull(match[1])] = match[2];
  }
  return goroutines;
}

}  // namespace ukstack::test
