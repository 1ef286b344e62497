// Module files under a sysroot: which core paths map under it, and that a file of
// another build (another GNU build-id) is refused with a reason, never opened.
#include "unwind/sysroot_files.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <libelf.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/unique_elf.h"
#include "base/unique_fd.h"
#include "tests/support/process_control.h"

namespace ukstack::unwind {
namespace {

namespace fs = std::filesystem;

// The file's GNU build-id, read through libdw's own reader (not the code tested).
std::vector<unsigned char> build_id_of(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  elf_version(EV_CURRENT);
  UniqueElf elf(elf_begin(fd.get(), ELF_C_READ, nullptr));
  const void* bits = nullptr;
  const ssize_t size = elf ? dwelf_elf_gnu_build_id(elf.get(), &bits) : -1;
  if (size <= 0) return {};
  const auto* bytes = static_cast<const unsigned char*>(bits);
  return {bytes, bytes + size};
}

TEST(SysrootFiles, PathsOfTheCrashedMachineMapUnderTheRoot) {
  SysrootFiles files("/srv/root/");
  EXPECT_EQ(files.path_for("/usr/lib/x/libfoo.so"), "/srv/root/usr/lib/x/libfoo.so");
  EXPECT_EQ(files.path_for("/opt/app/bin/app (deleted)"), "/srv/root/opt/app/bin/app");
  EXPECT_EQ(files.path_for("[vdso]"), std::nullopt);
  EXPECT_EQ(files.path_for("/proc/1/exe"), std::nullopt);
  EXPECT_EQ(files.path_for("libfoo.so"), std::nullopt);
}

TEST(SysrootFiles, ARelativeRootIsMadeAbsolute) {
  // libdw looks for build-id debug files in absolute directories only.
  SysrootFiles files("crashed-root");
  EXPECT_EQ(files.root(), (std::filesystem::current_path() / "crashed-root").string());
}

class SysrootTree : public ::testing::Test {
 protected:
  void SetUp() override {
    library_ = std::string(UKSTACK_FIXTURE_DIR) + "/libdeleted_library.so";
    build_id_ = build_id_of(library_);
    if (build_id_.empty()) GTEST_SKIP() << "the fixture library has no build-id";
    fs::create_directories(dir_.path() / "usr/lib");
    fs::copy_file(library_, dir_.path() / "usr/lib/libfoo.so");
  }
  test::TempDir dir_;
  std::string library_;
  std::vector<unsigned char> build_id_;
};

TEST_F(SysrootTree, TheSameBuildIsOpened) {
  SysrootFiles files(dir_.path().string());
  EXPECT_TRUE(files.open_module("/usr/lib/libfoo.so", build_id_).valid());
  EXPECT_EQ(files.problem("/usr/lib/libfoo.so"), std::nullopt);
}

TEST_F(SysrootTree, AnotherBuildIsRefusedSayingSo) {
  SysrootFiles files(dir_.path().string());
  std::vector<unsigned char> other = build_id_;
  other.back() ^= 0xff;
  EXPECT_FALSE(files.open_module("/usr/lib/libfoo.so", other).valid());
  auto why = files.problem("/usr/lib/libfoo.so");
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("another build"), std::string::npos) << *why;
}

TEST_F(SysrootTree, AMissingFileIsSaid) {
  SysrootFiles files(dir_.path().string());
  EXPECT_FALSE(files.open_module("/usr/lib/libbar.so", build_id_).valid());
  auto why = files.problem("/usr/lib/libbar.so");
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("no file"), std::string::npos) << *why;
}

}  // namespace
}  // namespace ukstack::unwind
