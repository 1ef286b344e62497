// --core with --exe on a core of the Go accept server (gcore, a test oracle). A Go
// binary built by Debian's Go carries no GNU build-id, only Go's own build-id note:
// ukstack matches --exe with what the core recorded of the executable (entry point,
// file mappings, the bytes it holds of the headers and notes) and refuses one that
// differs, with one line and exit status 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>

#include "tests/integration/capture_helpers.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;

int line_count(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

bool any_prefix(const std::vector<std::string>& names, const std::string& prefix) {
  return std::ranges::any_of(names,
                             [&](const std::string& name) { return name.starts_with(prefix); });
}

// A core of a copy of accept_server_go run from a temporary directory, so that a test
// can take the core's own path to the executable away (as on another machine).
class GoCore : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
#ifndef UKSTACK_HAVE_GO_FIXTURE
    core_.fail("go was not found when configuring: no Go fixture");
#else
    if (!on_path("gcore")) return core_.fail("gcore (gdb) is not installed");
    place_copy();
    core_.make({copy_path().string(), "0"});
#endif
  }
  static void TearDownTestSuite() { core_.clear(); }
  void SetUp() override {
    if (!core_.made()) GTEST_SKIP() << "no core of accept_server_go: " << core_.why();
  }

  // The path the core names for its executable.
  static fs::path copy_path() { return core_.dir() / "accept_server_go"; }
  static void place_copy() {
    fs::copy_file(fixture_path("accept_server_go"), copy_path(),
                  fs::copy_options::overwrite_existing);
  }

  // A copy of the fixture whose Go build id (in its `Go` note) differs by one bit: the
  // same layout, another build.
  static fs::path rebuilt_copy() {
    std::ifstream in(fixture_path("accept_server_go"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The note's type (4, NT_GO_BUILDID) then its name "Go"; the id follows.
    constexpr std::string_view go_note_head("\x04\0\0\0Go\0\0", 8);
    std::size_t at = bytes.find(go_note_head);
    if (at == std::string::npos) return {};
    bytes[at + go_note_head.size()] ^= 1;
    fs::path path = core_.dir() / "rebuilt_go";
    std::ofstream(path, std::ios::binary) << bytes;
    fs::permissions(path, fs::perms::owner_all);
    return path;
  }

  // The core read with `exe`: every thread inside the Go runtime, named from the
  // executable's symbols (a frame without them would be "??").
  static void expect_go_threads(const std::string& exe) {
    nlohmann::json snapshot = capture_json({"--core", core_.path(), "--exe", exe}, {0, 1});
    EXPECT_EQ(snapshot["source"], "core");
    EXPECT_EQ(snapshot["process"]["exe"], exe);
    ASSERT_GE(snapshot["threads"].size(), 2u);
    bool saw_netpoll = false;
    for (const auto& thread : snapshot["threads"]) {
      std::vector<std::string> user = functions(thread, "user");
      SCOPED_TRACE(::testing::PrintToString(user));
      EXPECT_TRUE(any_prefix(user, "runtime.")) << thread["tid"];
      if (contains_name(user, "runtime.netpoll")) saw_netpoll = true;
    }
    EXPECT_TRUE(saw_netpoll);
  }

  static void expect_refused(const std::string& exe, const std::string& reason) {
    CommandResult result = run_ukstack({"--core", core_.path(), "--exe", exe});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(line_count(result.err), 1) << result.err;
    EXPECT_NE(result.err.find("does not match"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(reason), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty());
  }

  static SuiteGcore core_;
};

SuiteGcore GoCore::core_;

TEST_F(GoCore, ExeAtTheCoresOwnPathIsAccepted) {
  place_copy();
  expect_go_threads(copy_path().string());
}

TEST_F(GoCore, ExeElsewhereIsUsedWhenTheCoresPathIsGone) {
  fs::remove(copy_path());
  expect_go_threads(fixture_path("accept_server_go"));
}

TEST_F(GoCore, AnotherBuildOfTheGoProgramIsRefused) {
  fs::path rebuilt = rebuilt_copy();
  ASSERT_FALSE(rebuilt.empty()) << "no Go build-id note in accept_server_go";
  expect_refused(rebuilt.string(), "notes");
}

TEST_F(GoCore, CProgramIsRefused) {
  // thread_pool has a GNU build-id the Go core cannot compare with.
  fs::remove(copy_path());
  expect_refused(fixture_path("thread_pool"), "entry point");
}

}  // namespace
}  // namespace ukstack::test
