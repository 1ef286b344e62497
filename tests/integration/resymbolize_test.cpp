// Re-symbolize elsewhere (issue 13, part 7): a stripped program is captured where its
// debug info is not (-o snap.json: its frames are bare addresses, each with its
// module's build-id and its address in the module), then named from a separate debug
// file found by build-id: `ukstack --input snap.json --resymbolize --debug-dir DIR`.
// The names and lines are those the unstripped program shows; a file with another
// build-id never names a frame.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/integration/capture_helpers.h"
#include "tests/model/schema_check.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;

// ukstack ARGS with no debuginfod server and no debug-info cache: only what the test
// puts in place can name a frame.
CommandResult run_isolated(std::vector<std::string> args) {
  std::vector<std::string> argv = {"env", "-u", "DEBUGINFOD_URLS", "UKSTACK_NO_DEBUGINFO_CACHE=1",
                                   UKSTACK_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, std::chrono::seconds(60));
}

// The same, --format json: the document, checked against the schema.
nlohmann::json json_of(std::vector<std::string> args) {
  args.insert(args.begin(), {"--format", "json"});
  CommandResult result = run_isolated(args);
  EXPECT_FALSE(result.timed_out);
  EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.err;
  EXPECT_EQ(ukstack::testing::validate_against_schema(result.out), "");
  return nlohmann::json::parse(result.out, nullptr, false);
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, false);
}

void write_json(const fs::path& path, const nlohmann::json& document) {
  std::ofstream out(path, std::ios::trunc);
  out << document.dump(2);
}

// The user frames of thread `tid` whose module has this build-id.
std::vector<nlohmann::json> frames_of_build(const nlohmann::json& snapshot, int tid,
                                            const std::string& build_id) {
  std::vector<nlohmann::json> frames;
  const auto* thread = find_thread(snapshot, tid);
  if (thread == nullptr) return frames;
  for (const auto& frame : (*thread)["user"]["frames"]) {
    if (frame.value("build_id", "") == build_id) frames.push_back(frame);
  }
  return frames;
}

// The user frames of thread `tid` in `module`, as a user reads them: function,
// offset, file, line, inlined (not pc: another process of the same file differs).
std::vector<std::string> named_frames(const nlohmann::json& snapshot, int tid,
                                      const std::string& module) {
  std::vector<std::string> frames;
  const auto* thread = find_thread(snapshot, tid);
  if (thread == nullptr) return frames;
  for (const auto& frame : (*thread)["user"]["frames"]) {
    if (frame["module"] != module) continue;
    frames.push_back(frame["function"].dump() + " " + frame["offset"].dump() + " " +
                     frame["file"].dump() + ":" + frame["line"].dump() +
                     (frame["inlined"].get<bool>() ? " inlined" : ""));
  }
  return frames;
}

class Resymbolize : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_ =
        std::make_unique<FixtureProcess>(FixtureProcess::start({fixture_path("stripped_reader")}));
    tid_ = fixture_->id("tid");
    ASSERT_TRUE(wait_for_syscall(tid_, SYS_read, std::chrono::seconds(10)));
    build_id_ = build_id(fixture_path("stripped_reader"));
    ASSERT_GT(build_id_.size(), 2u);
    debug_file_ = fs::path(UKSTACK_FIXTURE_DIR) / "stripped-debug" / "stripped_reader.debug";
    ASSERT_TRUE(fs::exists(debug_file_));
    snapshot_file_ = work_.path() / "snap.json";

    // Captured where no debug info for it is found: bare addresses, each with its
    // module's build-id and its place in the module.
    CommandResult captured =
        run_isolated({"-o", snapshot_file_.string(), std::to_string(fixture_->pid())});
    ASSERT_TRUE(captured.exit_code == 0 || captured.exit_code == 1) << captured.err;
    const nlohmann::json snapshot = read_json(snapshot_file_);
    ASSERT_EQ(ukstack::testing::validate_against_schema(snapshot.dump()), "");
    const auto frames = frames_of_build(snapshot, tid_, build_id_);
    ASSERT_GE(frames.size(), 3u) << snapshot.dump(2);  // stripped_inner, stripped_outer, main
    for (const auto& frame : frames) {
      EXPECT_EQ(frame["module"], fixture_path("stripped_reader")) << frame.dump();
      EXPECT_TRUE(frame["function"].is_null()) << frame.dump();
      EXPECT_TRUE(frame["file"].is_null()) << frame.dump();
      ASSERT_TRUE(frame["module_offset"].is_string()) << frame.dump();
    }
  }

  // A debug tree with `file` as the fixture's build-id's debug file.
  fs::path debug_tree_with(const fs::path& file) {
    fs::path root = work_.path() / "debug";
    fs::path target =
        root / ".build-id" / build_id_.substr(0, 2) / (build_id_.substr(2) + ".debug");
    fs::create_directories(target.parent_path());
    fs::copy_file(file, target, fs::copy_options::overwrite_existing);
    return root;
  }

  // The captured snapshot with the fixture's frames in another module file: a copy.
  fs::path with_fixture_module(const std::string& module) {
    nlohmann::json snapshot = read_json(snapshot_file_);
    for (auto& thread : snapshot["threads"]) {
      for (auto& frame : thread["user"]["frames"]) {
        if (frame.value("build_id", "") == build_id_) frame["module"] = module;
      }
    }
    const fs::path edited = work_.path() / "edited.json";
    write_json(edited, snapshot);
    return edited;
  }

  void expect_bare(const nlohmann::json& snapshot) {
    const auto frames = frames_of_build(snapshot, tid_, build_id_);
    ASSERT_GE(frames.size(), 3u) << snapshot.dump(2);
    for (const auto& frame : frames) {
      EXPECT_TRUE(frame["function"].is_null()) << frame.dump();
      EXPECT_TRUE(frame["file"].is_null()) << frame.dump();
    }
  }

  TempDir work_;
  std::unique_ptr<FixtureProcess> fixture_;
  int tid_ = 0;
  std::string build_id_;
  fs::path debug_file_;
  fs::path snapshot_file_;
};

// Where the fixture's file is loaded: the start of its mapping at file offset 0
// (/proc/PID/maps). Its first segment links at 0 (a position-independent
// executable), so pc - this is the pc's address in the file.
std::uint64_t load_base(int pid, const std::string& path) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::string range, perms, offset, device, inode, name;
    fields >> range >> perms >> offset >> device >> inode >> name;
    if (name == path && std::stoull(offset, nullptr, 16) == 0) {
      return std::stoull(range.substr(0, range.find('-')), nullptr, 16);
    }
  }
  return 0;
}

// Every capture path records each user frame's build-id and its address in the
// module: stopped (libdw, libunwind), not stopped (procfs, BPF), and a core.
TEST_F(Resymbolize, EveryCapturePathRecordsBuildIdAndModuleOffset) {
  const std::string path = fixture_path("stripped_reader");
  const std::uint64_t base = load_base(fixture_->pid(), path);
  ASSERT_NE(base, 0u);
  const std::string pid = std::to_string(fixture_->pid());
  std::vector<std::pair<std::string, nlohmann::json>> captures = {
      {"libdw", json_of({"--stop", "each", pid})},
      {"libunwind", json_of({"--stop", "each", "--unwinder", "libunwind", pid})},
      {"nostop", json_of({"--engine", "procfs", "--stop", "none", pid})},
  };
  if (!bpf_unavailable()) captures.emplace_back("bpf", json_of({"--engine", "bpf", pid}));
  TempDir core_dir;
  if (const Gcore gcore = make_gcore(fixture_->pid(), core_dir.path()); !gcore.path.empty()) {
    captures.emplace_back("core", json_of({"--core", gcore.path}));
  }
  for (const auto& [how, snapshot] : captures) {
    SCOPED_TRACE(how);
    const auto* thread = find_thread(snapshot, tid_);
    ASSERT_NE(thread, nullptr) << snapshot.dump(2);
    if (how != "core") {
      EXPECT_EQ((*thread)["user"]["method"], how);
    }
    int in_fixture = 0;
    for (const auto& frame : (*thread)["user"]["frames"]) {
      if (frame["module"] != path) continue;
      ++in_fixture;
      EXPECT_EQ(frame.value("build_id", ""), build_id_) << frame.dump();
      const std::uint64_t pc = std::stoull(frame["pc"].get<std::string>(), nullptr, 16);
      ASSERT_TRUE(frame["module_offset"].is_string()) << frame.dump();
      EXPECT_EQ(std::stoull(frame["module_offset"].get<std::string>(), nullptr, 16), pc - base)
          << frame.dump();
    }
    EXPECT_GE(in_fixture, 3);
  }
}

TEST_F(Resymbolize, NamesTheFramesFromTheSeparateDebugFile) {
  const fs::path tree = debug_tree_with(debug_file_);
  const nlohmann::json named =
      json_of({"--input", snapshot_file_.string(), "--resymbolize", "--debug-dir", tree.string()});
  const auto* thread = find_thread(named, tid_);
  ASSERT_NE(thread, nullptr);
  const auto names = functions(*thread, "user");
  EXPECT_TRUE(in_order(names, {"read", "stripped_inner", "stripped_outer", "main"}))
      << ::testing::PrintToString(names);
  for (const auto& frame : frames_of_build(named, tid_, build_id_)) {
    if (frame["function"] == "_start") continue;  // crt1 has no line info
    ASSERT_TRUE(frame["file"].is_string()) << frame.dump();
    EXPECT_NE(frame["file"].get<std::string>().find("stripped_reader.c"), std::string::npos);
    EXPECT_GT(frame["line"].get<int>(), 0);
  }

  // What the same program shows unstripped (the file before strip: the same build),
  // frame for frame.
  FixtureProcess unstripped = FixtureProcess::start({fixture_path("stripped_reader_unstripped")});
  ASSERT_TRUE(wait_for_syscall(unstripped.id("tid"), SYS_read, std::chrono::seconds(10)));
  const nlohmann::json reference = json_of({std::to_string(unstripped.pid())});
  const auto expected =
      named_frames(reference, unstripped.id("tid"), fixture_path("stripped_reader_unstripped"));
  ASSERT_GE(expected.size(), 3u) << reference.dump(2);
  EXPECT_EQ(named_frames(named, tid_, fixture_path("stripped_reader")), expected);
}

// Elsewhere: the machine that names the frames has the debug file alone, not the
// program (its path names nothing here).
TEST_F(Resymbolize, TheDebugFileAloneNamesTheFrames) {
  const fs::path moved =
      with_fixture_module((work_.path() / "not-here" / "stripped_reader").string());
  expect_bare(json_of({"--input", moved.string(), "--resymbolize"}));
  // A relative --debug-dir is taken from the working directory, as a user means it.
  const fs::path tree = debug_tree_with(debug_file_);
  const nlohmann::json named = json_of(
      {"--input", moved.string(), "--resymbolize", "--debug-dir", fs::relative(tree).string()});
  const auto* thread = find_thread(named, tid_);
  ASSERT_NE(thread, nullptr);
  EXPECT_TRUE(in_order(functions(*thread, "user"), {"stripped_inner", "stripped_outer", "main"}))
      << named.dump(2);
}

TEST_F(Resymbolize, TextShowsTheModuleOffsetThenTheNames) {
  // Before: each bare frame says where it is in its file.
  CommandResult before = run_isolated({"--input", snapshot_file_.string()});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_NE(before.out.find("?? 0x"), std::string::npos) << before.out;
  EXPECT_NE(before.out.find("(" + fixture_path("stripped_reader") + "+0x"), std::string::npos)
      << before.out;

  // -o keeps the re-symbolized snapshot: shown again, without the debug info, it is named.
  const fs::path tree = debug_tree_with(debug_file_);
  const fs::path resymbolized = work_.path() / "named.json";
  CommandResult after = run_isolated({"--input", snapshot_file_.string(), "--resymbolize",
                                      "--debug-dir", tree.string(), "-o", resymbolized.string()});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_NE(after.out.find("stripped_inner+0x"), std::string::npos) << after.out;
  EXPECT_NE(after.out.find("stripped_reader.c:"), std::string::npos) << after.out;
  fs::remove_all(tree);
  const nlohmann::json kept = json_of({"--input", resymbolized.string()});
  const auto* thread = find_thread(kept, tid_);
  ASSERT_NE(thread, nullptr);
  EXPECT_TRUE(in_order(functions(*thread, "user"), {"stripped_inner", "stripped_outer", "main"}));
}

// Another program's debug file where the fixture's build-id says its debug file is:
// without the build-id check it would name the frames with that program's functions.
TEST_F(Resymbolize, ADebugFileWithAnotherBuildIdNamesNothing) {
  ASSERT_NE(build_id(fixture_path("inline_chain")), build_id_);
  const fs::path tree = debug_tree_with(fixture_path("inline_chain"));  // symbols and DWARF
  expect_bare(
      json_of({"--input", snapshot_file_.string(), "--resymbolize", "--debug-dir", tree.string()}));
  // Nor when the program is not here and that file would be all there is.
  const fs::path moved =
      with_fixture_module((work_.path() / "not-here" / "stripped_reader").string());
  expect_bare(json_of({"--input", moved.string(), "--resymbolize", "--debug-dir", tree.string()}));
}

// The file at the module's path is consulted only when it is the build recorded: a
// snapshot whose fixture frames name another file (here with symbols and DWARF).
TEST_F(Resymbolize, AModuleFileWithAnotherBuildIdNamesNothing) {
  auto with_module = [&](const std::string& module) {
    return json_of({"--input", with_fixture_module(module).string(), "--resymbolize"});
  };
  ASSERT_NE(build_id(fixture_path("inline_chain")), build_id_);
  expect_bare(with_module(fixture_path("inline_chain")));
  // The unstripped file is the same build: its symbols and lines are taken.
  const nlohmann::json named = with_module(fixture_path("stripped_reader_unstripped"));
  const auto* thread = find_thread(named, tid_);
  ASSERT_NE(thread, nullptr);
  EXPECT_TRUE(in_order(functions(*thread, "user"), {"stripped_inner", "stripped_outer", "main"}))
      << named.dump(2);
}

// One pc, several frames: the inlined calls come back as a capture shows them. The
// snapshot of inline_chain (built -O2 -g) loses its names and lines for the fixture's
// frames, inlined ones dropped, as a capture without its debug info would have it;
// re-symbolized from the file, it is the capture again, frame for frame.
// A snapshot is input like any other: a module path naming a FIFO (nobody writes to
// it) or a directory is passed over, never waited on.
TEST_F(Resymbolize, AModulePathThatIsNoFileIsPassedOver) {
  const fs::path fifo = work_.path() / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const fs::path& module : {fifo, work_.path()}) {
    SCOPED_TRACE(module.string());
    expect_bare(
        json_of({"--input", with_fixture_module(module.string()).string(), "--resymbolize"}));
  }
}

TEST(ResymbolizeInlines, APcExpandsIntoItsInlinedCalls) {
  FixtureProcess fixture = FixtureProcess::start({fixture_path("inline_chain")});
  ASSERT_TRUE(wait_for_syscall(fixture.id("tid"), SYS_read, std::chrono::seconds(10)));
  TempDir work;
  const nlohmann::json captured = json_of({std::to_string(fixture.pid())});
  const auto* thread = find_thread(captured, fixture.id("tid"));
  ASSERT_NE(thread, nullptr);
  const nlohmann::json& frames = (*thread)["user"]["frames"];
  ASSERT_TRUE(in_order(functions(*thread, "user"),
                       {"chain_inner", "chain_middle", "chain_outer", "inline_chain_reader"}));

  nlohmann::json bare = captured;
  nlohmann::json kept = nlohmann::json::array();
  for (nlohmann::json frame : frames) {
    if (frame["module"] == fixture_path("inline_chain")) {
      if (frame["inlined"].get<bool>()) continue;
      for (const char* field : {"function", "offset", "file", "line"}) frame[field] = nullptr;
    }
    kept.push_back(frame);
  }
  ASSERT_LT(kept.size(), frames.size());
  for (auto& each : bare["threads"]) {
    if (each["tid"] == fixture.id("tid")) each["user"]["frames"] = kept;
  }
  write_json(work.path() / "bare.json", bare);

  const nlohmann::json named =
      json_of({"--input", (work.path() / "bare.json").string(), "--resymbolize"});
  const auto* again = find_thread(named, fixture.id("tid"));
  ASSERT_NE(again, nullptr);
  EXPECT_EQ((*again)["user"]["frames"], frames);
}

TEST(ResymbolizeUsage, GoesWithInputOnly) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"--resymbolize", "1"}, {"--resymbolize", "--core", "core.1"}, {"--resymbolize"}}) {
    SCOPED_TRACE(::testing::PrintToString(args));
    CommandResult result = run_ukstack(args);
    EXPECT_EQ(result.exit_code, 64);
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  }
  CommandResult result = run_ukstack({"--resymbolize", "1"});
  EXPECT_NE(result.err.find("--resymbolize goes with --input"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace ukstack::test
