// A core from another machine (--sysroot): a program and the library it loaded
// are run from a directory, gcored, and that directory is then moved under a
// sysroot, so the paths the core names no longer exist here. Without --sysroot the
// moved files' frames are unnamed or missing; with it, named as the fixture's
// source has them, in order, with their source lines. A sysroot whose library is
// another build (another build-id) names nothing from it, rather than wrong names.
//
// The fixture is deleted_binary with libdeleted_library.so (fixtures/deleted): its
// "library" thread runs deleted_library_thread (in the program) ->
// deleted_library_wait -> deleted_library_read (in the library) -> read.
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <filesystem>
#include <optional>

#include "tests/integration/capture_helpers.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kLibraryChain = {"deleted_library_read", "deleted_library_wait",
                                                "deleted_library_thread"};
const std::vector<std::string> kReaderChain = {"deleted_reader_inner", "deleted_reader_outer",
                                               "deleted_reader_thread"};

std::string function_of(const nlohmann::json& frame) {
  return frame["function"].is_string() ? frame["function"].get<std::string>() : "";
}

class SysrootCore : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!on_path("gcore")) return fail("gcore (gdb) is not installed");
    dir_ = new TempDir();
    const fs::path app = dir_->path() / "app";
    fs::create_directory(app);
    program_ = (app / "deleted_binary").string();
    library_ = (app / "libdeleted_library.so").string();
    fs::copy_file(fixture_path("deleted_binary"), program_);
    fs::copy_file(fixture_path("libdeleted_library.so"), library_);
    {
      auto fixture = FixtureProcess::start({program_, library_});
      library_tid_ = fixture.id("library");
      reader_tid_ = fixture.id("reader");
      const bool blocked = wait_for_syscall(library_tid_, SYS_read, std::chrono::seconds(10)) &&
                           wait_for_syscall(reader_tid_, SYS_read, std::chrono::seconds(10));
      if (blocked) {
        const Gcore core = make_gcore(fixture.pid(), dir_->path());
        core_ = core.path;
        why_ = core.why;
      } else {
        why_ = "the fixture's threads did not block in read";
      }
      fixture.kill_and_wait();
    }
    if (core_.empty()) return;
    // The crashed machine's files, under a root: the core's paths exist no more.
    root_ = (dir_->path() / "root").string();
    const fs::path moved = fs::path(root_) / app.relative_path();
    fs::create_directories(moved.parent_path());
    fs::rename(app, moved);
    // The same tree, but the library is another build: any other ELF file with
    // another build-id (here a fixture program) stands for it.
    wrong_root_ = (dir_->path() / "wrong-root").string();
    const fs::path wrong = fs::path(wrong_root_) / app.relative_path();
    fs::create_directories(wrong);
    fs::copy_file(moved / "deleted_binary", wrong / "deleted_binary");
    fs::copy_file(fixture_path("blocking_threads"), wrong / "libdeleted_library.so");
    // The same tree with the library stripped of everything (.symtab and DWARF)
    // and its debug file where the crashed machine's debug package put it:
    // DIR/usr/lib/debug/.build-id/xx/rest.debug.
    stripped_root_ = (dir_->path() / "stripped-root").string();
    const fs::path stripped = fs::path(stripped_root_) / app.relative_path();
    fs::create_directories(stripped);
    fs::copy_file(moved / "deleted_binary", stripped / "deleted_binary");
    const std::string id = build_id(library_in(root_));
    if (id.size() < 3) return skip_stripped("the fixture library has no build-id");
    const fs::path debug_dir =
        fs::path(stripped_root_) / "usr/lib/debug/.build-id" / id.substr(0, 2);
    fs::create_directories(debug_dir);
    const std::string debug_file = (debug_dir / (id.substr(2) + ".debug")).string();
    const std::string stripped_library = (stripped / "libdeleted_library.so").string();
    for (const std::vector<std::string>& command :
         {std::vector<std::string>{"objcopy", "--only-keep-debug", library_in(root_), debug_file},
          std::vector<std::string>{"strip", "--strip-all", "-o", stripped_library,
                                   library_in(root_)}}) {
      if (run_command(command, std::chrono::seconds(30)).exit_code != 0)
        return skip_stripped(command[0] + " failed");
    }
  }
  // Where the library lies under a sysroot.
  static std::string library_in(const std::string& root) {
    return (fs::path(root) / fs::path(library_).relative_path()).string();
  }
  static void fail(std::string why) { why_ = std::move(why); }
  static void skip_stripped(std::string why) {
    stripped_root_.clear();
    why_ = std::move(why);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
    core_.clear();
  }
  void SetUp() override {
    if (core_.empty()) GTEST_SKIP() << "no core of deleted_binary: " << why_;
    ASSERT_FALSE(fs::exists(library_)) << "the core's library path must not exist here";
  }

  static const nlohmann::json& thread(const nlohmann::json& snapshot, int tid) {
    const nlohmann::json* found = find_thread(snapshot, tid);
    EXPECT_NE(found, nullptr) << tid;
    static const nlohmann::json kNone = nlohmann::json::object();
    return found != nullptr ? *found : kNone;
  }
  // No frame of the library's module has a name, and none of the chain's names
  // appears at all.
  static void expect_library_unnamed(const nlohmann::json& library_thread) {
    for (const auto& frame : library_thread["user"]["frames"]) {
      if (frame["module"] == library_) {
        EXPECT_EQ(function_of(frame), "") << frame.dump();
      }
      for (const auto& name : kLibraryChain) EXPECT_NE(function_of(frame), name) << frame.dump();
    }
    EXPECT_TRUE(library_thread["user"]["error"].is_string()) << library_thread.dump(2);
  }

  static TempDir* dir_;
  static std::string program_, library_, core_, why_, root_, wrong_root_, stripped_root_;
  static int library_tid_, reader_tid_;
};

TempDir* SysrootCore::dir_ = nullptr;
std::string SysrootCore::program_, SysrootCore::library_, SysrootCore::core_, SysrootCore::why_,
    SysrootCore::root_, SysrootCore::wrong_root_, SysrootCore::stripped_root_;
int SysrootCore::library_tid_ = 0;
int SysrootCore::reader_tid_ = 0;

TEST_F(SysrootCore, WithoutSysrootTheMovedFilesFramesAreUnnamed) {
  nlohmann::json snapshot = capture_json({"--core", core_}, {1});
  expect_library_unnamed(thread(snapshot, library_tid_));
  for (const auto& frame : thread(snapshot, reader_tid_)["user"]["frames"]) {
    for (const auto& name : kReaderChain) EXPECT_NE(function_of(frame), name) << frame.dump();
  }
}

TEST_F(SysrootCore, WithSysrootNamedInOrderWithLines) {
  nlohmann::json snapshot = capture_json({"--core", core_, "--sysroot", root_}, {0});
  EXPECT_EQ(snapshot["process"]["exe"], program_);  // the path the core names
  const nlohmann::json& library_thread = thread(snapshot, library_tid_);
  EXPECT_TRUE(library_thread["user"]["error"].is_null()) << library_thread["user"]["error"];
  EXPECT_TRUE(in_order(functions(library_thread, "user"), kLibraryChain))
      << library_thread["user"].dump(2);
  EXPECT_TRUE(in_order(functions(thread(snapshot, reader_tid_), "user"), kReaderChain));
  for (const auto& frame : library_thread["user"]["frames"]) {
    const std::string name = function_of(frame);
    if (name != "deleted_library_read" && name != "deleted_library_wait") continue;
    SCOPED_TRACE(name);
    EXPECT_EQ(frame["module"], library_);
    // Its DWARF, read from the file under the sysroot.
    ASSERT_TRUE(frame["file"].is_string()) << frame.dump();
    EXPECT_TRUE(frame["file"].get<std::string>().ends_with("deleted_library.c")) << frame["file"];
  }
}

TEST_F(SysrootCore, LibraryOfAnotherBuildNamesNothing) {
  CommandResult result =
      run_ukstack({"--format", "json", "--core", core_, "--sysroot", wrong_root_});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  auto snapshot = nlohmann::json::parse(result.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(snapshot.is_discarded()) << result.out;
  const nlohmann::json& library_thread = thread(snapshot, library_tid_);
  expect_library_unnamed(library_thread);
  EXPECT_NE(library_thread["user"]["error"].get<std::string>().find("another build"),
            std::string::npos)
      << library_thread["user"]["error"];
  // The program under that sysroot is the right build: its frames are named.
  EXPECT_TRUE(in_order(functions(thread(snapshot, reader_tid_), "user"), kReaderChain));
}

TEST_F(SysrootCore, SeparateDebugInfoUnderTheSysroot) {
  if (stripped_root_.empty()) GTEST_SKIP() << why_;
  nlohmann::json snapshot = capture_json({"--core", core_, "--sysroot", stripped_root_}, {0});
  const nlohmann::json& library_thread = thread(snapshot, library_tid_);
  // deleted_library_read is static: with no .symtab in the library, its name and
  // every line can only come from the debug file under the sysroot.
  EXPECT_TRUE(in_order(functions(library_thread, "user"), kLibraryChain))
      << library_thread["user"].dump(2);
  for (const auto& frame : library_thread["user"]["frames"]) {
    if (frame["module"] != library_) continue;
    ASSERT_TRUE(frame["file"].is_string()) << frame.dump();
    EXPECT_TRUE(frame["file"].get<std::string>().ends_with("deleted_library.c")) << frame["file"];
  }
}

TEST(SysrootUsage, OnlyWithCoreAndAnExistingDirectory) {
  CommandResult live = run_ukstack({"--sysroot", "/", std::to_string(getpid())});
  EXPECT_EQ(live.exit_code, 64) << live.err;
  EXPECT_NE(live.err.find("--sysroot goes with --core"), std::string::npos) << live.err;
  CommandResult missing = run_ukstack({"--core", "/nonexistent/core", "--sysroot", "/nonexistent"});
  EXPECT_EQ(missing.exit_code, 64) << missing.err;
}

}  // namespace
}  // namespace ukstack::test
