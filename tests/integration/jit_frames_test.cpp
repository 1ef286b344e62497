// JIT frames named from perf maps (issue 14, part 6), on Node.js (/usr/bin/node:
// Debian's 18.x, or NodeSource's 20.x where it replaced it). Fixture
// fixtures/node/blocking_read.js: outerReader calls innerReader, which blocks in a
// synchronous read of a FIFO. With --interpreted-frames-native-stack each
// interpreted function runs in a copy of the interpreter's entry in anonymous
// memory (a `??` frame without a map); with --perf-basic-prof V8 names each copy in
// /tmp/perf-<pid>.map. The unwinder gets through those frames by their frame
// pointers.
//
// A map the program did not write well is written here by hand for a Node.js
// started without --perf-basic-prof (its frames are the same): malformed lines, a
// map too large to read, a FIFO in the map's place.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/integration/capture_helpers.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

constexpr const char* kNode = "/usr/bin/node";

std::string function_of(const nlohmann::json& frame) {
  return frame["function"].is_string() ? frame["function"].get<std::string>() : "??";
}

std::string describe(const nlohmann::json& frames) {
  std::string text;
  for (const auto& frame : frames) {
    text += "\n  " + function_of(frame) + " [" + frame["language"].get<std::string>() + "] " +
            (frame["module"].is_string() ? frame["module"].get<std::string>() : "-");
  }
  return text;
}

// The first user frame whose function contains `part`; -1 when none.
int frame_named(const nlohmann::json& frames, const std::string& part) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (function_of(frames[i]).find(part) != std::string::npos) return static_cast<int>(i);
  }
  return -1;
}

// The process's anonymous executable memory (JIT code) as [start, end) ranges, from
// its /proc/<pid>/maps. Frames elsewhere are in ELF modules: Debian's node 18 has
// unnamed static functions in libnode and libuv, which no perf map names.
using Ranges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
Ranges anonymous_code(int pid) {
  Ranges ranges;
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  for (std::string line; std::getline(maps, line);) {
    std::istringstream fields(line);
    std::string range, perms, offset, device, inode, path;
    fields >> range >> perms >> offset >> device >> inode >> path;
    if (perms.size() < 3 || perms[2] != 'x' || !(path.empty() || path.starts_with("[anon"))) {
      continue;
    }
    const auto dash = range.find('-');
    ranges.emplace_back(std::stoull(range.substr(0, dash), nullptr, 16),
                        std::stoull(range.substr(dash + 1), nullptr, 16));
  }
  return ranges;
}

bool in_ranges(const Ranges& ranges, const nlohmann::json& frame) {
  if (!frame["pc"].is_string()) return false;
  const std::uint64_t pc = std::stoull(frame["pc"].get<std::string>(), nullptr, 16);
  return std::ranges::any_of(ranges,
                             [pc](const auto& r) { return pc >= r.first && pc < r.second; });
}

bool has_note(const nlohmann::json& thread, const std::string& part) {
  for (const auto& note : thread["notes"]) {
    if (note.get<std::string>().find(part) != std::string::npos) return true;
  }
  return false;
}

// /tmp/perf-<pid>.map, removed when the test ends (V8 leaves its own behind).
class PerfMapPath {
 public:
  explicit PerfMapPath(int pid) : path_("/tmp/perf-" + std::to_string(pid) + ".map") {}
  ~PerfMapPath() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  PerfMapPath(const PerfMapPath&) = delete;
  PerfMapPath& operator=(const PerfMapPath&) = delete;
  const std::string& path() const { return path_; }
  void write(const std::string& text) const {
    std::ofstream out(path_, std::ios::trunc);
    out << text;
  }

 private:
  std::string path_;
};

class NodeJit : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kNode, X_OK) != 0) GTEST_SKIP() << kNode << " is not installed (package nodejs)";
    fifo_ = (dir_.path() / "fifo").string();
    ASSERT_EQ(mkfifo(fifo_.c_str(), 0600), 0);
  }

  FixtureProcess start_node(bool perf_map) {
    std::vector<std::string> argv = {kNode, "--interpreted-frames-native-stack"};
    if (perf_map) {
      argv.push_back("--perf-basic-prof");
      // V8 logs beside its perf map, by default into the working directory.
      argv.push_back("--logfile=" + (dir_.path() / "v8.log").string());
      argv.push_back("--no-logfile-per-isolate");
    }
    argv.push_back(std::string(UKSTACK_SOURCE_DIR) + "/fixtures/node/blocking_read.js");
    argv.push_back(fifo_);
    auto node = FixtureProcess::start(argv, std::chrono::seconds(30));
    EXPECT_TRUE(wait_for_syscall(node.id("tid"), SYS_read, std::chrono::seconds(10)));
    return node;
  }

  // The main thread's JSON in one capture.
  nlohmann::json main_thread(int pid, std::vector<std::string> options = {}) {
    options.push_back(std::to_string(pid));
    const nlohmann::json snapshot = capture_json(options);
    const nlohmann::json* thread = find_thread(snapshot, pid);
    if (thread == nullptr) {
      ADD_FAILURE() << "no main thread in " << snapshot.dump(2);
      return nlohmann::json::object();
    }
    return *thread;
  }

  TempDir dir_;
  std::string fifo_;
};

TEST_F(NodeJit, JavaScriptFunctionsAreNamedInOrderAboveTheRead) {
  FixtureProcess node = start_node(/*perf_map=*/true);
  PerfMapPath map(node.pid());
  for (const char* stop : {"each", "auto"}) {
    for (const char* backend : {"libdw", "libunwind"}) {
      SCOPED_TRACE(std::string("--stop ") + stop + " --unwinder " + backend);
      const nlohmann::json thread =
          main_thread(node.pid(), {"--stop", stop, "--unwinder", backend});
      const nlohmann::json& frames = thread["user"]["frames"];
      const int inner = frame_named(frames, "innerReader");
      const int outer = frame_named(frames, "outerReader");
      ASSERT_GE(inner, 0) << describe(frames);
      ASSERT_GT(outer, inner) << "the caller is below its callee" << describe(frames);
      for (int i : {inner, outer}) {
        EXPECT_EQ(frames[i]["language"], "jit") << describe(frames);
        EXPECT_TRUE(frames[i]["module"].is_null()) << describe(frames);
        EXPECT_EQ(frames[i]["found_by"], "frame_pointer") << describe(frames);
      }
      // The native frames of the read above, and nothing in JIT code unnamed up to
      // the outermost JavaScript function: each of V8's frames has its name.
      EXPECT_LT(frame_named(frames, "uv_fs_read"), inner) << describe(frames);
      const Ranges code = anonymous_code(node.pid());
      ASSERT_FALSE(code.empty());
      for (int i = 0; i <= outer; ++i) {
        if (!in_ranges(code, frames[i])) continue;
        EXPECT_NE(function_of(frames[i]), "??") << "#" << i << describe(frames);
      }
      EXPECT_TRUE(thread["user"]["error"].is_null()) << thread["user"]["error"];
      EXPECT_TRUE(thread["notes"].empty()) << thread["notes"];

      // The kernel half: the read of the FIFO.
      const auto kernel = functions(thread, "kernel");
      EXPECT_TRUE(std::ranges::any_of(kernel, [](const std::string& f) {
        return f.find("pipe_read") != std::string::npos;
      })) << ::testing::PrintToString(kernel);
      EXPECT_EQ(thread["syscall"]["name"], "read");
    }
  }

  // The text output marks them as JIT code.
  const CommandResult text = run_ukstack({"--color", "never", std::to_string(node.pid())});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  // "JS:~innerReader" (Node 20), "LazyCompile:~innerReader" (Node 18).
  const auto at = text.out.find("innerReader");
  ASSERT_NE(at, std::string::npos) << text.out;
  const auto line_start = text.out.rfind('\n', at);
  EXPECT_NE(text.out.substr(line_start, at - line_start).find(" jit "), std::string::npos)
      << text.out;
}

// The frames a map can name: unnamed ones in anonymous executable memory.
std::vector<std::uint64_t> unnamed_pcs(const nlohmann::json& frames, const Ranges& code) {
  std::vector<std::uint64_t> pcs;
  for (const auto& frame : frames) {
    if (frame["function"].is_null() && in_ranges(code, frame)) {
      pcs.push_back(std::stoull(frame["pc"].get<std::string>(), nullptr, 16));
    }
  }
  return pcs;
}

// The names of the native frames, which no map may change.
std::vector<std::string> native_names(const nlohmann::json& frames) {
  std::vector<std::string> names;
  for (const auto& frame : frames) {
    if (frame["language"] == "native" && frame["function"].is_string()) {
      names.push_back(frame["function"].get<std::string>());
    }
  }
  return names;
}

TEST_F(NodeJit, MalformedLinesAreSkippedWithANote) {
  FixtureProcess node = start_node(/*perf_map=*/false);
  PerfMapPath map(node.pid());
  const nlohmann::json before = main_thread(node.pid(), {"--stop", "each"});
  const Ranges code = anonymous_code(node.pid());
  const auto pcs = unnamed_pcs(before["user"]["frames"], code);
  ASSERT_GE(pcs.size(), 2u) << describe(before["user"]["frames"]);
  // Not the executable's, though libdw's range for it may cover them (NodeSource's
  // node maps its text far above the rest): no build-id that would name them
  // wrongly elsewhere (--resymbolize).
  for (const auto& frame : before["user"]["frames"]) {
    if (!frame["function"].is_null() || !in_ranges(code, frame)) continue;
    EXPECT_EQ(frame["module"], "[anon]") << describe(before["user"]["frames"]);
    EXPECT_FALSE(frame.contains("build_id") && !frame["build_id"].is_null()) << frame.dump();
  }

  // One good line over the second unnamed frame (a caller: its return address is
  // looked up less one), among lines no perf map has.
  char good[96];
  std::snprintf(good, sizeof good, "%llx 20 JS:~handWritten\n",
                static_cast<unsigned long long>(pcs[1] - 0x10));
  map.write("not a perf map line\n" + std::string(good) + "12 zz two\n");
  const nlohmann::json after = main_thread(node.pid(), {"--stop", "each"});
  const nlohmann::json& frames = after["user"]["frames"];
  const int named = frame_named(frames, "handWritten");
  ASSERT_GE(named, 0) << describe(frames);
  EXPECT_EQ(frames[named]["language"], "jit");
  EXPECT_EQ(frames[named]["offset"], "0x10");
  EXPECT_EQ(unnamed_pcs(frames, code).size(), pcs.size() - 1) << describe(frames);
  EXPECT_EQ(native_names(frames), native_names(before["user"]["frames"]));
  EXPECT_TRUE(has_note(after, "perf map " + map.path() +
                                  ": 2 malformed lines skipped (line 1: 'not a perf map line')"))
      << after["notes"];
}

TEST_F(NodeJit, AMapTooLargeIsNotReadAndSaysSo) {
  FixtureProcess node = start_node(/*perf_map=*/false);
  PerfMapPath map(node.pid());
  const nlohmann::json before = main_thread(node.pid(), {"--stop", "each"});
  // 65 MiB of holes: large to stat, nothing on the disk.
  map.write("");
  std::filesystem::resize_file(map.path(), std::uintmax_t{65} << 20);
  const nlohmann::json after = main_thread(node.pid(), {"--stop", "each"});
  const nlohmann::json& frames = after["user"]["frames"];
  const Ranges code = anonymous_code(node.pid());
  EXPECT_EQ(unnamed_pcs(frames, code).size(), unnamed_pcs(before["user"]["frames"], code).size())
      << describe(frames);
  EXPECT_EQ(native_names(frames), native_names(before["user"]["frames"]));
  EXPECT_TRUE(has_note(after, "more than 64 MiB: not read")) << after["notes"];
}

TEST_F(NodeJit, AMapOfAnotherUserIsNotRead) {
  if (geteuid() != 0) GTEST_SKIP() << "giving a file to another user needs root";
  FixtureProcess node = start_node(/*perf_map=*/false);
  PerfMapPath map(node.pid());
  const nlohmann::json before = main_thread(node.pid(), {"--stop", "each"});
  const auto pcs = unnamed_pcs(before["user"]["frames"], anonymous_code(node.pid()));
  ASSERT_FALSE(pcs.empty()) << describe(before["user"]["frames"]);
  // A symlink at the map's name to a file of another user than the process's
  // (root's, here): a good line, and still not read.
  const std::string other = (dir_.path() / "other.map").string();
  char line[96];
  std::snprintf(line, sizeof line, "%llx 20 JS:~notRead\n",
                static_cast<unsigned long long>(pcs[0] - 0x10));
  std::ofstream(other) << line;
  ASSERT_EQ(chown(other.c_str(), 65534, 65534), 0);
  std::filesystem::create_symlink(other, map.path());
  const nlohmann::json after = main_thread(node.pid(), {"--stop", "each"});
  EXPECT_EQ(frame_named(after["user"]["frames"], "notRead"), -1);
  EXPECT_TRUE(has_note(
      after, "perf map " + map.path() + ": owned by uid 65534, not by the process's (0): not read"))
      << after["notes"];
}

TEST_F(NodeJit, AFifoInTheMapsPlaceIsNotOpened) {
  FixtureProcess node = start_node(/*perf_map=*/false);
  PerfMapPath map(node.pid());
  ASSERT_EQ(mkfifo(map.path().c_str(), 0600), 0);
  const CommandResult result =
      run_ukstack({"--format", "json", "--stop", "each", std::to_string(node.pid())});
  ASSERT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json thread = main_thread(node.pid(), {"--stop", "each"});
  EXPECT_TRUE(has_note(thread, "perf map " + map.path() + ": not a regular file"))
      << thread["notes"];
  EXPECT_FALSE(unnamed_pcs(thread["user"]["frames"], anonymous_code(node.pid())).empty());
}

}  // namespace
}  // namespace ukstack::test
