// Programs whose files were deleted after they started (issue 12, part 5): a
// statically linked one (nothing else mapped: no libc, no loader), a dynamically
// linked one and a library it dlopen()ed. A user expects each thread's own
// functions named, with file:line from the binary's DWARF, by both unwinders and in
// every stop mode: ukstack reads the deleted files through
// /proc/<pid>/map_files (root) or /proc/<pid>/exe (anyone who may ptrace the
// process, so also an unprivileged user looking at their own program).
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/capture_helpers.h"
#include "tests/model/schema_check.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kAsNobody = {"setpriv", "--reuid=nobody", "--regid=nogroup",
                                            "--clear-groups", "--"};

// What the fixture knows of one of its threads: its key on the ready line, the
// system calls it blocks in, the fixture's own functions on its stack (innermost
// first) and the source file they are in.
struct ThreadChain {
  std::string key;
  std::vector<long> syscalls;
  std::vector<std::string> functions;
  std::string source;
};

const ThreadChain kMain{"main", {SYS_futex}, {"deleted_main_wait", "main"}, "deleted_binary.c"};
const ThreadChain kReader{"reader",
                          {SYS_read},
                          {"deleted_reader_inner", "deleted_reader_outer", "deleted_reader_thread"},
                          "deleted_binary.c"};
const ThreadChain kSleeper{"sleeper",
                           {SYS_nanosleep, SYS_clock_nanosleep},
                           {"deleted_sleeper", "deleted_sleeper_thread"},
                           "deleted_binary.c"};
// Its two inner functions are in the library, the outer one in the program.
const ThreadChain kLibrary{
    "library", {SYS_read}, {"deleted_library_read", "deleted_library_wait"}, "deleted_library.c"};

// A fixture started from a copy in a temporary directory (0755: nobody may run it),
// with the copies deleted once it is ready and its threads are blocked.
class DeletedFixture {
 public:
  // `program` from the fixture directory; with `library`, the copy of
  // libdeleted_library.so is given to it to dlopen.
  DeletedFixture(const std::string& program, bool library, bool as_nobody) {
    program_ = dir_.path() / program;
    fs::copy_file(fixture_path(program), program_);
    std::vector<std::string> argv = {program_.string()};
    if (library) {
      library_ = dir_.path() / "libdeleted_library.so";
      fs::copy_file(fixture_path("libdeleted_library.so"), library_);
      argv.push_back(library_.string());
    }
    for (const auto& path : {program_, library_}) {
      if (path.empty()) continue;
      fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
    }
    if (as_nobody) argv.insert(argv.begin(), kAsNobody.begin(), kAsNobody.end());
    process_.emplace(FixtureProcess::start(argv));
    fs::remove(program_);
    if (!library_.empty()) fs::remove(library_);
  }

  const FixtureProcess& process() const { return *process_; }
  const TempDir& dir() const { return dir_; }
  // The module name maps shows for the program or the library.
  std::string deleted_module(const std::string& source) const {
    const fs::path& file = source == kLibrary.source ? library_ : program_;
    return file.string() + " (deleted)";
  }

  void wait_blocked(const std::vector<ThreadChain>& chains) const {
    for (const auto& chain : chains) {
      ASSERT_TRUE(
          wait_for_syscall(process_->id(chain.key), chain.syscalls, std::chrono::seconds(10)))
          << chain.key;
    }
  }

 private:
  TempDir dir_;
  fs::path program_, library_;
  std::optional<FixtureProcess> process_;
};

// Each chain's functions named in order on its thread's user half, each in its
// deleted file with a source line, each caller found by CFI (no guess through rbp:
// the fixtures have no frame pointers), the half complete.
void expect_named(const nlohmann::json& snapshot, const DeletedFixture& fixture,
                  const std::vector<ThreadChain>& chains) {
  for (const auto& chain : chains) {
    SCOPED_TRACE("thread " + chain.key);
    const nlohmann::json* thread = find_thread(snapshot, fixture.process().id(chain.key));
    ASSERT_NE(thread, nullptr);
    const auto& user = (*thread)["user"];
    EXPECT_TRUE(user["error"].is_null()) << user["error"];
    EXPECT_TRUE(in_order(functions(*thread, "user"), chain.functions)) << user.dump(2);
    for (const auto& frame : user["frames"]) {
      std::string function =
          frame["function"].is_string() ? frame["function"].get<std::string>() : std::string();
      if (std::find(chain.functions.begin(), chain.functions.end(), function) ==
          chain.functions.end()) {
        continue;
      }
      SCOPED_TRACE(function);
      EXPECT_EQ(frame["module"], fixture.deleted_module(chain.source));
      ASSERT_TRUE(frame["file"].is_string()) << frame.dump();
      EXPECT_TRUE(frame["file"].get<std::string>().ends_with(chain.source)) << frame["file"];
      ASSERT_TRUE(frame["line"].is_number()) << frame.dump();
      EXPECT_GT(frame["line"].get<int>(), 0);
      EXPECT_NE(frame["found_by"], "frame_pointer") << frame.dump();
    }
  }
}

// Every unwinder in every stop mode; exit 0: every half of every thread captured.
void expect_named_everywhere(const DeletedFixture& fixture,
                             const std::vector<ThreadChain>& chains) {
  for (const char* unwinder : {"libdw", "libunwind"}) {
    for (const char* stop : {"auto", "each", "all"}) {
      SCOPED_TRACE(std::string(unwinder) + ", --stop " + stop);
      auto snapshot = capture_json(
          {"--unwinder", unwinder, "--stop", stop, std::to_string(fixture.process().pid())});
      expect_named(snapshot, fixture, chains);
    }
  }
  expect_not_disturbed(fixture.process().pid());
}

TEST(FramesDeleted, StaticBinaryIsNamed) {
  DeletedFixture fixture("deleted_binary_static", /*library=*/false, /*as_nobody=*/false);
  fixture.wait_blocked({kMain, kReader, kSleeper});
  expect_named_everywhere(fixture, {kMain, kReader, kSleeper});

  // The text output names them too, with no error in place of a user half.
  CommandResult text = run_ukstack({std::to_string(fixture.process().pid())});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("deleted_reader_inner"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("cannot unwind"), std::string::npos) << text.out;
}

TEST(FramesDeleted, DynamicBinaryAndDlopenedLibraryAreNamed) {
  DeletedFixture fixture("deleted_binary", /*library=*/true, /*as_nobody=*/false);
  fixture.wait_blocked({kMain, kReader, kSleeper, kLibrary});
  expect_named_everywhere(fixture, {kMain, kReader, kSleeper, kLibrary});
}

// Without root, map_files is closed (it needs CAP_SYS_ADMIN): the executable is
// still read through /proc/<pid>/exe. Exit 1: the kernel halves need root.
TEST(FramesDeleted, UnprivilegedUserGetsItsOwnDeletedProgramNamed) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to become nobody";
  for (const char* program : {"deleted_binary_static", "deleted_binary"}) {
    SCOPED_TRACE(program);
    DeletedFixture fixture(program, /*library=*/false, /*as_nobody=*/true);
    ASSERT_EQ(status_field(fixture.process().pid(), "Uid"), 65534);
    fixture.wait_blocked({kMain, kReader, kSleeper});
    fs::path ukstack = fixture.dir().path() / "ukstack";
    fs::copy_file(UKSTACK_BINARY, ukstack);
    fs::permissions(ukstack,
                    fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
    for (const char* unwinder : {"libdw", "libunwind"}) {
      SCOPED_TRACE(unwinder);
      std::vector<std::string> argv = kAsNobody;
      argv.insert(argv.end(), {ukstack.string(), "--format", "json", "--unwinder", unwinder,
                               std::to_string(fixture.process().pid())});
      CommandResult result = run_command(argv, std::chrono::seconds(30));
      ASSERT_FALSE(result.timed_out);
      EXPECT_EQ(result.exit_code, 1) << result.err;
      ASSERT_EQ(ukstack::testing::validate_against_schema(result.out), "") << result.out;
      expect_named(nlohmann::json::parse(result.out), fixture, {kMain, kReader, kSleeper});
    }
  }
}

}  // namespace
}  // namespace ukstack::test
