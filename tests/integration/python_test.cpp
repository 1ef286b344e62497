// Python programs (issue 14): the frames ukstack reads from CPython's own data,
// merged into each thread's native stack, checked against what the program itself
// said (fixtures/python/blocking_threads.py writes its sys._current_frames() before
// it prints `ready`), live and from a gcore; the Python-only view; and the GIL's
// holder with the threads waiting for it.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/capture_helpers.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Debian's interpreter (setup.sh installs it and its debug info, python3.11-dbg).
constexpr const char* kPython = "/usr/bin/python3.11";

std::string script() {
  return std::string(UKSTACK_SOURCE_DIR) + "/fixtures/python/blocking_threads.py";
}

// The fixture's own account: roles and frames by native thread id.
struct Dump {
  std::map<int, std::string> roles;
  std::map<int, json> frames;  // innermost first: function, file, line
  int tid_of(const std::string& role) const {
    for (const auto& [tid, name] : roles) {
      if (name == role) return tid;
    }
    return 0;
  }
};

Dump read_dump(const fs::path& path) {
  std::ifstream in(path);
  const json document = json::parse(in);
  Dump dump;
  for (const auto& [tid, role] : document["roles"].items()) dump.roles[std::stoi(tid)] = role;
  for (const auto& [tid, frames] : document["frames"].items()) {
    dump.frames[std::stoi(tid)] = frames;
  }
  return dump;
}

// A thread's Python frames as ukstack shows them, in the dump's shape.
json python_frames(const json& thread) {
  json out = json::array();
  for (const json& frame : thread["user"]["frames"]) {
    if (frame.value("language", "native") != "python") continue;
    out.push_back(
        {{"function", frame["function"]}, {"file", frame["file"]}, {"line", frame["line"]}});
  }
  return out;
}

// The user stack's names, Python frames marked "py ".
std::vector<std::string> merged_names(const json& thread) {
  std::vector<std::string> out;
  for (const json& frame : thread["user"]["frames"]) {
    const std::string name =
        frame["function"].is_string() ? frame["function"].get<std::string>() : "??";
    out.push_back(frame.value("language", "native") == "python" ? "py " + name : name);
  }
  return out;
}

std::ptrdiff_t index_of(const std::vector<std::string>& names, std::string_view prefix) {
  auto it =
      std::ranges::find_if(names, [&](const std::string& n) { return n.starts_with(prefix); });
  return it == names.end() ? -1 : it - names.begin();
}

// Whether each of `prefixes` names a frame, in this order (GCC's clones keep their
// prefix: "sock_accept.lto_priv.0").
bool in_order_by_prefix(const std::vector<std::string>& names,
                        const std::vector<std::string>& prefixes) {
  std::size_t next = 0;
  for (const auto& name : names) {
    if (next < prefixes.size() && name.starts_with(prefixes[next])) ++next;
  }
  return next == prefixes.size();
}

// Every thread the fixture dumped has exactly the Python frames it said it had.
void expect_frames_as_dumped(const json& snapshot, const Dump& dump) {
  ASSERT_EQ(dump.frames.size(), 6u);
  for (const auto& [tid, frames] : dump.frames) {
    SCOPED_TRACE(dump.roles.at(tid));
    const json* thread = find_thread(snapshot, tid);
    ASSERT_NE(thread, nullptr);
    EXPECT_EQ(python_frames(*thread), frames) << thread->dump(1);
  }
}

class PythonProgram : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kPython, X_OK) != 0)
      GTEST_SKIP() << kPython << " is not installed (setup.sh installs it)";
  }
  FixtureProcess start(const std::vector<std::string>& mode = {}) {
    std::vector<std::string> argv{kPython, script(), dump_path().string()};
    argv.insert(argv.end(), mode.begin(), mode.end());
    FixtureProcess fixture = FixtureProcess::start(argv, std::chrono::seconds(30));
    // The other threads block before `ready`; the main thread goes on to accept.
    if (mode.empty()) {
      EXPECT_TRUE(wait_for_syscall(fixture.pid(), SYS_accept4, std::chrono::seconds(10)));
    }
    return fixture;
  }
  fs::path dump_path() const { return dir_.path() / "frames.json"; }

  TempDir dir_;
};

TEST_F(PythonProgram, EveryBlockedThreadShowsThePythonFramesTheProgramSaw) {
  FixtureProcess fixture = start();
  const Dump dump = read_dump(dump_path());
  const json snapshot = capture_json({std::to_string(fixture.pid())});
  ASSERT_TRUE(snapshot.contains("python")) << snapshot.dump(1);
  EXPECT_EQ(snapshot["python"]["version"].get<std::string>().rfind("3.11.", 0), 0u);
  expect_frames_as_dumped(snapshot, dump);
  // Every thread blocks in a call that lets the GIL go: nobody holds it.
  EXPECT_TRUE(snapshot["python"]["gil_holder"].is_null()) << snapshot["python"];
  // Blocked threads are read without a stop (auto), and their reads checked.
  for (const json& thread : snapshot["threads"]) {
    EXPECT_TRUE(not_stopped(thread)) << thread["tid"];
    for (const json& note : thread["notes"]) {
      EXPECT_EQ(note.get<std::string>().find("Python"), std::string::npos) << note;
    }
  }
}

// kernel → C function → Python → eval loop → native → Python, in one stack.
TEST_F(PythonProgram, PythonFramesSitInsideTheEvalFramesThatRunThem) {
  FixtureProcess fixture = start();
  const Dump dump = read_dump(dump_path());
  const json snapshot = capture_json({std::to_string(fixture.pid())});
  const json* sleeper = find_thread(snapshot, dump.tid_of("sleeper"));
  ASSERT_NE(sleeper, nullptr);
  const auto names = merged_names(*sleeper);
  const auto c_call = index_of(names, "time_sleep");
  const auto nap = index_of(names, "py nap");
  const auto sleeper_fn = index_of(names, "py sleeper");
  const auto eval = index_of(names, "_PyEval_EvalFrameDefault");
  const auto run = index_of(names, "py Thread.run");
  const auto start_thread = index_of(names, "start_thread");
  EXPECT_TRUE(c_call >= 0 && c_call < nap && nap < sleeper_fn && sleeper_fn < eval && eval < run &&
              run < start_thread)
      << ::testing::PrintToString(names);
  if (!(*sleeper)["kernel"]["frames"].empty()) {
    EXPECT_TRUE(contains_name(functions(*sleeper, "kernel"), "do_nanosleep") ||
                contains_name(functions(*sleeper, "kernel"), "hrtimer_nanosleep"))
        << (*sleeper)["kernel"];
  }
  // The main thread: accept called from serve, called from the module's code.
  const json* main_thread = find_thread(snapshot, fixture.pid());
  ASSERT_NE(main_thread, nullptr);
  const auto main_names = merged_names(*main_thread);
  EXPECT_TRUE(in_order_by_prefix(
      main_names, {"sock_accept", "py socket.accept", "py serve", "py blocking_threads",
                   "py <module>", "_PyEval_EvalFrameDefault", "Py_RunMain"}))
      << ::testing::PrintToString(main_names);
}

TEST_F(PythonProgram, PythonOnlyViewKeepsPythonFramesAndTheCFunctionsTheyCall) {
  FixtureProcess fixture = start();
  const Dump dump = read_dump(dump_path());
  const json snapshot = capture_json({"--no-native", std::to_string(fixture.pid())});
  expect_frames_as_dumped(snapshot, dump);
  const json* sleeper = find_thread(snapshot, dump.tid_of("sleeper"));
  ASSERT_NE(sleeper, nullptr);
  const auto names = merged_names(*sleeper);
  EXPECT_EQ(index_of(names, "_PyEval_EvalFrameDefault"), -1) << ::testing::PrintToString(names);
  EXPECT_EQ(index_of(names, "start_thread"), -1) << ::testing::PrintToString(names);
  EXPECT_EQ(index_of(names, "time_sleep"), index_of(names, "py nap") - 1)
      << ::testing::PrintToString(names);
  if (getuid() == 0) {  // the kernel half stays (it needs root)
    EXPECT_FALSE((*sleeper)["kernel"]["frames"].empty()) << (*sleeper)["kernel"];
  }
}

TEST_F(PythonProgram, TextShowsPythonFramesInTheirPlace) {
  FixtureProcess fixture = start();
  const Dump dump = read_dump(dump_path());
  const CommandResult run =
      run_ukstack({"--no-group", "--tid", std::to_string(dump.tid_of("sleeper")),
                   std::to_string(fixture.pid())});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json& nap = dump.frames.at(dump.tid_of("sleeper"))[0];
  const std::string line = "py  nap (" + nap["file"].get<std::string>() + ":" +
                           std::to_string(nap["line"].get<int>()) + ")\n";
  EXPECT_NE(run.out.find(line), std::string::npos) << run.out;
}

TEST_F(PythonProgram, ACoreShowsTheSamePythonFrames) {
  if (!on_path("gcore")) GTEST_SKIP() << "gcore (gdb) is not installed";
  FixtureProcess fixture = start();
  const Dump dump = read_dump(dump_path());
  const Gcore gcore = make_gcore(fixture.pid(), dir_.path());
  ASSERT_FALSE(gcore.path.empty()) << gcore.why;
  fixture.kill_and_wait();
  const json snapshot = capture_json({"--core", gcore.path}, {0, 1});
  ASSERT_TRUE(snapshot.contains("python")) << snapshot.dump(1);
  expect_frames_as_dumped(snapshot, dump);
}

// An interpreter whose debug info cannot be found (no build-id, no DWARF): its
// layouts come from the built-in table for its version, with the same frames.
TEST_F(PythonProgram, WithoutDebugInfoTheBuiltInTableGivesTheSameFrames) {
  if (!on_path("objcopy")) GTEST_SKIP() << "objcopy (binutils) is not installed";
  const fs::path copy = dir_.path() / "python3.11";
  const CommandResult made = run_command({"objcopy", "--remove-section", ".note.gnu.build-id",
                                          "--strip-debug", kPython, copy.string()},
                                         std::chrono::seconds(60));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  FixtureProcess fixture = FixtureProcess::start({copy.string(), script(), dump_path().string()},
                                                 std::chrono::seconds(30));
  const Dump dump = read_dump(dump_path());
  const json snapshot = capture_json({std::to_string(fixture.pid())});
  ASSERT_TRUE(snapshot.contains("python")) << snapshot.dump(1);
  EXPECT_NE(snapshot["python"]["layouts_from"].get<std::string>().find("built-in table"),
            std::string::npos)
      << snapshot["python"];
  // The version from Py_Version, found by its address (objcopy left its section
  // index stale in .dynsym).
  EXPECT_EQ(snapshot["python"]["version"].get<std::string>().rfind("3.11.", 0), 0u);
  expect_frames_as_dumped(snapshot, dump);
}

// --stop all: the frames are read while every thread is stopped; the same frames.
TEST_F(PythonProgram, StopAllReadsThemDuringTheStop) {
  FixtureProcess fixture = start();
  const Dump dump = read_dump(dump_path());
  expect_frames_as_dumped(capture_json({"--stop", "all", std::to_string(fixture.pid())}), dump);
}

// One thread in a C call that never lets the GIL go (a backtracking regular
// expression), three threads of Python code waiting in take_gil for it.
TEST_F(PythonProgram, ThreadsWaitingForTheGilWaitForItsHolder) {
  FixtureProcess fixture = start({"--gil"});
  const Dump dump = read_dump(dump_path());
  const int backtracker = dump.tid_of("backtracker");
  ASSERT_NE(backtracker, 0);
  // The backtracker takes the GIL once the fixture has said ready; until then the
  // holder may be another thread. A few captures at most, each its own answer.
  json snapshot;
  for (int attempt = 0; attempt < 20; ++attempt) {
    snapshot = capture_json({std::to_string(fixture.pid())}, {0, 1});
    if (snapshot["python"]["gil_holder"] == backtracker) break;
  }
  ASSERT_EQ(snapshot["python"]["gil_holder"], backtracker) << snapshot["python"];
  EXPECT_NE(snapshot["python"]["gil_holder_in"].get<std::string>().find("backtrack"),
            std::string::npos)
      << snapshot["python"];
  int waiting = 0;
  for (const auto& [tid, role] : dump.roles) {
    if (role != "spinner") continue;
    const json* thread = find_thread(snapshot, tid);
    ASSERT_NE(thread, nullptr);
    if (index_of(merged_names(*thread), "take_gil") < 0) continue;  // between two waits
    ++waiting;
    ASSERT_FALSE((*thread)["waits_for"].empty()) << thread->dump(1);
    const json& wait = (*thread)["waits_for"][0];
    EXPECT_EQ(wait["kind"], "gil");
    EXPECT_EQ(wait["holders"][0]["tid"], backtracker);
    EXPECT_EQ(python_frames(*thread)[0]["function"], "spinner");
  }
  EXPECT_GE(waiting, 1);
  const CommandResult text = run_ukstack({std::to_string(fixture.pid())});
  EXPECT_NE(text.out.find("GIL: "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("held by thread " + std::to_string(backtracker)), std::string::npos)
      << text.out;
}

}  // namespace
}  // namespace ukstack::test
