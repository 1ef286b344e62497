// Debug info found the way distributions ship it. stripped_reader is stripped (no
// symbols, no DWARF); its debug file sits in a directory ukstack is not told about
// until the test says so. A user sees bare addresses without it, and names and
// source lines with it: in /usr/lib/debug-style trees given with --debug-dir
// (.build-id/xx/rest.debug, or the binary's path + its .gnu_debuglink name), or
// served by a debuginfod server (DEBUGINFOD_URLS).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/integration/capture_helpers.h"
#include "tests/model/schema_check.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;

constexpr long kRead = SYS_read;

// A private temporary directory, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "ukstack-debuginfo-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// ukstack --format json with an environment of our choosing (env -u / env VAR=...).
nlohmann::json capture_with_env(const std::vector<std::string>& env,
                                std::vector<std::string> args) {
  std::vector<std::string> argv = {"env", "-u", "DEBUGINFOD_URLS"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.insert(argv.end(), {UKSTACK_BINARY, "--format", "json"});
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult result = run_command(argv, std::chrono::seconds(60));
  EXPECT_FALSE(result.timed_out);
  EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.err;
  EXPECT_EQ(ukstack::testing::validate_against_schema(result.out), "");
  return nlohmann::json::parse(result.out, nullptr, false);
}

// The frames in the fixture's own module (libc has its own debug info).
std::vector<const nlohmann::json*> fixture_frames(const nlohmann::json& snapshot, int tid) {
  std::vector<const nlohmann::json*> frames;
  const auto* thread = find_thread(snapshot, tid);
  if (thread == nullptr) return frames;
  for (const auto& frame : (*thread)["user"]["frames"]) {
    if (frame["module"] == fixture_path("stripped_reader")) frames.push_back(&frame);
  }
  return frames;
}

void expect_bare(const nlohmann::json& snapshot, int tid) {
  auto frames = fixture_frames(snapshot, tid);
  ASSERT_GE(frames.size(), 3u) << snapshot.dump(
      2);  // stripped_inner, stripped_outer, main (+ _start)
  for (const auto* frame : frames) {
    EXPECT_TRUE((*frame)["function"].is_null()) << frame->dump();
    EXPECT_TRUE((*frame)["file"].is_null()) << frame->dump();
  }
}

void expect_symbolized(const nlohmann::json& snapshot, int tid) {
  const auto* thread = find_thread(snapshot, tid);
  ASSERT_NE(thread, nullptr);
  auto names = functions(*thread, "user");
  EXPECT_TRUE(in_order(names, {"read", "stripped_inner", "stripped_outer", "main"}))
      << ::testing::PrintToString(names);
  for (const auto* frame : fixture_frames(snapshot, tid)) {
    if ((*frame)["function"] == "_start") continue;  // crt1 has no line info
    ASSERT_TRUE((*frame)["file"].is_string()) << frame->dump();
    EXPECT_NE((*frame)["file"].get<std::string>().find("stripped_reader.c"), std::string::npos);
    EXPECT_GT((*frame)["line"].get<int>(), 0);
  }
}

class StrippedFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_ =
        std::make_unique<FixtureProcess>(FixtureProcess::start({fixture_path("stripped_reader")}));
    ASSERT_TRUE(wait_for_syscall(fixture_->id("tid"), kRead, std::chrono::seconds(10)));
    debug_file_ = fs::path(UKSTACK_FIXTURE_DIR) / "stripped-debug" / "stripped_reader.debug";
    ASSERT_TRUE(fs::exists(debug_file_));
  }
  std::unique_ptr<FixtureProcess> fixture_;
  fs::path debug_file_;
};

TEST_F(StrippedFixture, WithoutDebugInfoFramesAreBareAddresses) {
  auto snapshot = capture_with_env({}, {std::to_string(fixture_->pid())});
  expect_bare(snapshot, fixture_->id("tid"));
}

TEST_F(StrippedFixture, BuildIdTreeInDebugDir) {
  TempDir root;
  std::string id = build_id(fixture_path("stripped_reader"));
  ASSERT_GT(id.size(), 2u);
  fs::path target = root.path() / ".build-id" / id.substr(0, 2) / (id.substr(2) + ".debug");
  fs::create_directories(target.parent_path());
  fs::copy_file(debug_file_, target);
  auto snapshot =
      capture_with_env({}, {"--debug-dir", root.path().string(), std::to_string(fixture_->pid())});
  expect_symbolized(snapshot, fixture_->id("tid"));
}

TEST_F(StrippedFixture, DebuglinkUnderTheBinarysPathInDebugDir) {
  // As /usr/lib/debug/usr/bin/foo.debug: the debug root + the binary's directory +
  // the name in its .gnu_debuglink section.
  TempDir root;
  fs::path binary_dir = fs::path(fixture_path("stripped_reader")).parent_path();
  fs::path target = root.path() / binary_dir.relative_path() / "stripped_reader.debug";
  fs::create_directories(target.parent_path());
  fs::copy_file(debug_file_, target);
  auto snapshot =
      capture_with_env({}, {"--debug-dir", root.path().string(), std::to_string(fixture_->pid())});
  expect_symbolized(snapshot, fixture_->id("tid"));
}

}  // namespace
}  // namespace ukstack::test

namespace ukstack::test {
namespace {

// A free TCP port on loopback (bound then released; debuginfod binds it next).
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  UniqueFd owner(fd);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return -1;
  }
  return ntohs(addr.sin_port);
}

// The status code of GET http://127.0.0.1:PORT/PATH, 0 if no answer.
int http_status(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  UniqueFd owner(fd);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return 0;
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) return 0;
  char reply[64] = {};
  ssize_t got = read(fd, reply, sizeof reply - 1);
  if (got < 12) return 0;
  return std::atoi(reply + 9);  // "HTTP/1.1 200 OK"
}

// debuginfod indexing one directory, owned by PID (killed and reaped on every path).
class DebuginfodServer {
 public:
  DebuginfodServer(const fs::path& dir, const fs::path& database) : port_(free_port()) {
    if (port_ <= 0) throw std::runtime_error("no free port");
    std::vector<std::string> args = {"debuginfod",          "-F", dir.string(),     "-p",
                                     std::to_string(port_), "-d", database.string()};
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      std::vector<char*> argv;
      for (auto& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    child_ = ChildProcess(pid);
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return child_.pid(); }

 private:
  int port_;
  ChildProcess child_;
};

// Returns when `server` serves the debug file of build-id `id` (its first scan has
// indexed it): a condition poll with a deadline.
void wait_until_served(const DebuginfodServer& server, const std::string& id) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    status = http_status(server.port(), "/buildid/" + id + "/debuginfo");
    if (status == 200) break;
    ASSERT_TRUE(thread_state(server.pid()).has_value()) << "debuginfod exited";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval, not a wait
  }
  ASSERT_EQ(status, 200) << "debuginfod never served " << id;
}

TEST_F(StrippedFixture, DebuginfodServesTheDebugFile) {
  if (run_command({"sh", "-c", "command -v debuginfod"}, std::chrono::seconds(5)).exit_code != 0) {
    GTEST_SKIP() << "debuginfod (Debian package debuginfod) is not installed";
  }
  TempDir work;
  fs::create_directories(work.path() / "served");
  fs::copy_file(debug_file_, work.path() / "served" / "stripped_reader.debug");
  DebuginfodServer server(work.path() / "served", work.path() / "index.sqlite");

  std::string id = build_id(fixture_path("stripped_reader"));
  ASSERT_NO_FATAL_FAILURE(wait_until_served(server, id));

  std::string cache = "DEBUGINFOD_CACHE_PATH=" + (work.path() / "client-cache").string();
  // Without DEBUGINFOD_URLS: no server is asked, frames stay bare.
  expect_bare(capture_with_env({cache}, {std::to_string(fixture_->pid())}), fixture_->id("tid"));
  // With it: names and lines, the debug file now in our private cache.
  auto snapshot = capture_with_env({cache, "DEBUGINFOD_URLS=" + server.url()},
                                   {std::to_string(fixture_->pid())});
  expect_symbolized(snapshot, fixture_->id("tid"));
  EXPECT_TRUE(fs::exists(work.path() / "client-cache" / id / "debuginfo"));
  expect_not_disturbed(fixture_->pid());
}

// --resymbolize elsewhere with only a debuginfod server: a snapshot of the stripped
// fixture whose file is not on the naming machine (its frames name another path)
// is named from the debug file the server keeps (there is no executable to fetch).
TEST_F(StrippedFixture, ResymbolizeFromDebuginfod) {
  if (run_command({"sh", "-c", "command -v debuginfod"}, std::chrono::seconds(5)).exit_code != 0) {
    GTEST_SKIP() << "debuginfod (Debian package debuginfod) is not installed";
  }
  TempDir work;
  fs::create_directories(work.path() / "served");
  fs::copy_file(debug_file_, work.path() / "served" / "stripped_reader.debug");
  DebuginfodServer server(work.path() / "served", work.path() / "index.sqlite");
  std::string id = build_id(fixture_path("stripped_reader"));
  ASSERT_NO_FATAL_FAILURE(wait_until_served(server, id));

  nlohmann::json snapshot = capture_with_env({}, {std::to_string(fixture_->pid())});
  expect_bare(snapshot, fixture_->id("tid"));
  const std::string elsewhere = (work.path() / "not-here" / "stripped_reader").string();
  for (auto& thread : snapshot["threads"]) {
    for (auto& frame : thread["user"]["frames"]) {
      if (frame.value("build_id", "") == id) frame["module"] = elsewhere;
    }
  }
  const fs::path saved = work.path() / "snap.json";
  std::ofstream(saved) << snapshot.dump();
  std::string cache = "DEBUGINFOD_CACHE_PATH=" + (work.path() / "client-cache").string();
  auto resymbolized = [&](std::vector<std::string> env) {
    env.push_back(cache);
    env.push_back("UKSTACK_NO_DEBUGINFO_CACHE=1");
    return capture_with_env(env, {"--input", saved.string(), "--resymbolize"});
  };
  auto fixture_names = [&](const nlohmann::json& named) {
    const auto* thread = find_thread(named, fixture_->id("tid"));
    return thread != nullptr ? functions(*thread, "user") : std::vector<std::string>{};
  };
  EXPECT_FALSE(contains_name(fixture_names(resymbolized({})), "stripped_inner"));
  const auto names = fixture_names(resymbolized({"DEBUGINFOD_URLS=" + server.url()}));
  EXPECT_TRUE(in_order(names, {"read", "stripped_inner", "stripped_outer", "main"}))
      << ::testing::PrintToString(names);
}

// The shared objects the dynamic linker loaded into one ukstack --format json run on
// the fixture (LD_DEBUG=files on stderr), with `env` added to its environment.
std::string libraries_loaded(const std::vector<std::string>& env, int pid) {
  std::vector<std::string> argv = {"env", "-u", "DEBUGINFOD_URLS", "LD_DEBUG=files"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.insert(argv.end(), {UKSTACK_BINARY, "--format", "json", std::to_string(pid)});
  CommandResult result = run_command(argv, std::chrono::seconds(60));
  EXPECT_FALSE(result.timed_out);
  EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.err;
  // The dynamic linker did report: the absence of a library below means something.
  EXPECT_NE(result.err.find("file=libdw.so.1"), std::string::npos) << result.err;
  return result.err;
}

// libdw loads libdebuginfod (and with it libcurl, GnuTLS, ~30 libraries: more time
// than the rest of a small capture) when a module has no local debug info, as the
// stripped fixture's, server or not. Without DEBUGINFOD_URLS nothing loads it; with
// a server named (here one that refuses connections) it is loaded and asked.
TEST_F(StrippedFixture, DebuginfodClientLoadedOnlyWithAServer) {
  TempDir work;
  std::string cache = "DEBUGINFOD_CACHE_PATH=" + (work.path() / "client-cache").string();
  EXPECT_EQ(libraries_loaded({cache}, fixture_->pid()).find("libdebuginfod"), std::string::npos);
  EXPECT_EQ(libraries_loaded({cache, "DEBUGINFOD_URLS="}, fixture_->pid()).find("libdebuginfod"),
            std::string::npos);
  const std::string refused = "http://127.0.0.1:" + std::to_string(free_port());
  EXPECT_NE(libraries_loaded({cache, "DEBUGINFOD_URLS=" + refused}, fixture_->pid())
                .find("file=libdebuginfod.so.1"),
            std::string::npos);
  expect_not_disturbed(fixture_->pid());
}

}  // namespace
}  // namespace ukstack::test
