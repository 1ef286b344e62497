// Processes whose binary is not at the path /proc/<pid>/maps shows: started from a
// private tmpfs in a mount namespace of their own (as in a container: the path does
// not exist on the host), or deleted after start (" (deleted)" in maps). A user
// still expects names and source lines: ukstack opens the mapped file through
// /proc/<pid>/map_files/ or inside /proc/<pid>/root.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/integration/capture_helpers.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;

constexpr long kAccept = SYS_accept;

// A private temporary directory, removed with its contents.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/ukstack-frames-XXXXXX";
    if (::mkdtemp(pattern) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The accept server's main thread, fully symbolized from its own DWARF.
void expect_symbolized_accept_server(const nlohmann::json& snapshot, int pid,
                                     const std::string& module_prefix) {
  const nlohmann::json* thread = find_thread(snapshot, pid);
  ASSERT_NE(thread, nullptr);
  auto user = functions(*thread, "user");
  EXPECT_TRUE(in_order(user, {"accept", "server_accept_and_close", "main"}))
      << ::testing::PrintToString(user);
  bool saw_main = false;
  for (const auto& frame : (*thread)["user"]["frames"]) {
    std::string function =
        frame["function"].is_string() ? frame["function"].get<std::string>() : "";
    if (function != "server_accept_and_close" && function != "main") continue;
    SCOPED_TRACE(function);
    saw_main = saw_main || function == "main";
    ASSERT_TRUE(frame["module"].is_string());
    EXPECT_EQ(frame["module"].get<std::string>().rfind(module_prefix, 0), 0u) << frame["module"];
    ASSERT_TRUE(frame["file"].is_string());
    EXPECT_TRUE(frame["file"].get<std::string>().ends_with("accept_server.c")) << frame["file"];
    ASSERT_TRUE(frame["line"].is_number());
    EXPECT_GT(frame["line"].get<int>(), 0);
  }
  EXPECT_TRUE(saw_main);
  EXPECT_TRUE((*thread)["user"]["error"].is_null()) << (*thread)["user"]["error"];
  // Every caller found by the binary's CFI: its unwind tables were read too (the
  // fixture has no frame pointers, so a guess through rbp would not get here).
  for (const auto& frame : (*thread)["user"]["frames"]) {
    EXPECT_NE(frame["found_by"], "frame_pointer") << frame.dump();
  }
}

TEST(Containers, BinaryInAPrivateMountNamespaceIsSymbolized) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs in a new mount namespace needs root";
  // A private mount namespace needs a root that is a mount point: not so in a plain
  // chroot (the set-up scripts are tried in one). There the case cannot be built.
  if (run_command({"unshare", "-m", "--propagation", "private", "true"}, std::chrono::seconds(10))
          .exit_code != 0) {
    GTEST_SKIP() << "cannot make a private mount namespace here (root is not a mount point)";
  }
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  // The tmpfs is mounted over `dir` only inside the fixture's namespace: on the host
  // the directory stays empty, so the path in its maps names no file here.
  fs::path inside = dir.path() / "accept_server";
  std::string script = "mount -t tmpfs none '" + dir.path().string() + "' && cp '" +
                       fixture_path("accept_server") + "' '" + inside.string() + "' && exec '" +
                       inside.string() + "' 0";
  // unshare and sh exec in place: the fixture keeps the pid FixtureProcess owns.
  auto server =
      FixtureProcess::start({"unshare", "-m", "--propagation", "private", "sh", "-c", script});
  ASSERT_FALSE(fs::exists(inside)) << "the namespace's tmpfs is visible on the host";
  ASSERT_TRUE(wait_for_syscall(server.pid(), std::vector<long>{kAccept}, std::chrono::seconds(10)));

  for (const char* unwinder : {"libdw", "libunwind"}) {
    SCOPED_TRACE(unwinder);
    auto snapshot =
        capture_json({"--stop", "each", "--unwinder", unwinder, std::to_string(server.pid())});
    expect_symbolized_accept_server(snapshot, server.pid(), inside.string());
  }
}

TEST(Containers, DeletedBinaryIsSymbolized) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  fs::path copy = dir.path() / "accept_server_deleted";
  fs::copy_file(fixture_path("accept_server"), copy);
  fs::permissions(copy, fs::perms::owner_all);
  auto server = FixtureProcess::start({copy.string(), "0"});
  fs::remove(copy);
  ASSERT_TRUE(wait_for_syscall(server.pid(), std::vector<long>{kAccept}, std::chrono::seconds(10)));

  for (const char* unwinder : {"libdw", "libunwind"}) {
    SCOPED_TRACE(unwinder);
    auto snapshot =
        capture_json({"--stop", "each", "--unwinder", unwinder, std::to_string(server.pid())});
    expect_symbolized_accept_server(snapshot, server.pid(), copy.string());
  }
  expect_not_disturbed(server.pid());
}

}  // namespace
}  // namespace ukstack::test
