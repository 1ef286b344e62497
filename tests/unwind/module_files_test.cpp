// Module files of a process in another mount namespace are opened inside its root
// (/proc/<pid>/root) with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): a
// symlink the target planted cannot make ukstack (often root) open a file of the
// host. Tested on a directory standing in for the target's root.
#include "unwind/module_files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace ukstack::unwind {
namespace {

namespace fs = std::filesystem;

std::string read_all(int fd) {
  std::string text;
  char buffer[256];
  ssize_t n = 0;
  while ((n = ::pread(fd, buffer, sizeof buffer, static_cast<off_t>(text.size()))) > 0) {
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

class OpenInRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ukstack-root-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    base_ = pattern;
    root_dir_ = base_ / "root";
    fs::create_directories(root_dir_ / "lib");
    host_secret_ = base_ / "host-secret";
    std::ofstream(host_secret_) << "host";
    std::ofstream(root_dir_ / "lib" / "libinside.so") << "inside";
    root_.reset(::open(root_dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_.valid());
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(base_, ignored);
  }

  fs::path base_, root_dir_, host_secret_;
  UniqueFd root_;
};

TEST_F(OpenInRoot, OpensAFileInsideTheRoot) {
  UniqueFd fd = open_in_root(root_.get(), "/lib/libinside.so");
  ASSERT_TRUE(fd.valid());
  EXPECT_EQ(read_all(fd.get()), "inside");
}

TEST_F(OpenInRoot, AbsoluteSymlinkToAHostFileStaysInsideTheRoot) {
  // The target plants /lib/libc.so.6 -> <host secret's absolute path>.
  fs::create_symlink(host_secret_, root_dir_ / "lib" / "libc.so.6");
  UniqueFd fd = open_in_root(root_.get(), "/lib/libc.so.6");
  EXPECT_FALSE(fd.valid()) << "resolved to the host file: " << read_all(fd.get());
  // The same absolute target that does exist inside the root is what it means.
  fs::create_directories(root_dir_ / host_secret_.parent_path().relative_path());
  std::ofstream(root_dir_ / host_secret_.relative_path()) << "planted";
  fd = open_in_root(root_.get(), "/lib/libc.so.6");
  ASSERT_TRUE(fd.valid());
  EXPECT_EQ(read_all(fd.get()), "planted");
}

TEST_F(OpenInRoot, DotDotCannotClimbOut) {
  fs::create_symlink("../../../../../../.." + host_secret_.string(), root_dir_ / "lib" / "up.so");
  EXPECT_FALSE(open_in_root(root_.get(), "/lib/up.so").valid());
  EXPECT_FALSE(open_in_root(root_.get(), "/../host-secret").valid());
  EXPECT_FALSE(open_in_root(root_.get(), "../host-secret").valid());
}

TEST_F(OpenInRoot, MagicLinksAreRefused) {
  // /proc/self/root inside the root: without a /proc there it does not resolve;
  // RESOLVE_NO_MAGICLINKS refuses it even where there is one.
  fs::create_symlink("/proc/self/root" + host_secret_.string(), root_dir_ / "lib" / "magic.so");
  EXPECT_FALSE(open_in_root(root_.get(), "/lib/magic.so").valid());
  UniqueFd host_root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(host_root.valid());
  EXPECT_FALSE(open_in_root(host_root.get(), "/proc/self/root" + host_secret_.string()).valid());
  // The same file by its plain path, from the real root, is fine.
  EXPECT_TRUE(open_in_root(host_root.get(), host_secret_.string()).valid());
}

TEST_F(OpenInRoot, OnlyRegularFiles) {
  EXPECT_FALSE(open_in_root(root_.get(), "/lib").valid());
  UniqueFd host_root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  EXPECT_FALSE(open_in_root(host_root.get(), "/dev/null").valid());
}

}  // namespace
}  // namespace ukstack::unwind
