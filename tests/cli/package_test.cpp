// The Debian package cpack made (the ctest fixture cli.package.build, into
// UKSTACK_PACKAGE_DIR): the installed files under /usr, Depends from the libraries
// ukstack links, a binary that runs unpacked, and lintian's verdict.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "tests/cli/help_options.h"
#include "tests/cli/installed_files.h"
#include "tests/support/fixture_process.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

class Package : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string architecture =
        first_line(run_command({"dpkg", "--print-architecture"}, seconds(30)).out);
    deb_ = fs::path(UKSTACK_PACKAGE_DIR) /
           ("ukstack_" + std::string(UKSTACK_PROJECT_VERSION) + "_" + architecture + ".deb");
    ASSERT_TRUE(fs::exists(deb_)) << deb_ << " not made (see the test cli.package.build)";
  }

  std::string field(const std::string& name) const {
    CommandResult shown = run_command({"dpkg-deb", "-f", deb_, name}, seconds(30));
    EXPECT_EQ(shown.exit_code, 0) << shown.err;
    return first_line(shown.out);
  }

  fs::path deb_;
};

TEST_F(Package, HoldsTheInstalledFilesUnderUsr) {
  CommandResult listing = run_command({"dpkg-deb", "-c", deb_}, seconds(30));
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  // "-rwxr-xr-x root/root 123 2026-12-02 03:00 ./usr/bin/ukstack": files only, owned by root.
  std::set<std::string> files;
  for (const std::string& line : lines_of(listing.out)) {
    EXPECT_NE(line.find(" root/root "), std::string::npos) << line;
    if (line.starts_with('-')) files.insert(line.substr(line.find("./usr/") + 6));
  }
  EXPECT_EQ(files, expected_files());
}

TEST_F(Package, NamesVersionAndTheLibrariesItLinksAsDepends) {
  EXPECT_EQ(field("Package"), "ukstack");
  EXPECT_EQ(field("Version"), UKSTACK_PROJECT_VERSION);
  EXPECT_EQ(field("Section"), "devel");
  EXPECT_NE(field("Maintainer").find('@'), std::string::npos);
  const std::string depends = field("Depends");
  std::vector<std::string> libraries{"libdw1", "libelf1", "libc6"};
#ifdef UKSTACK_LIBUNWIND_VERSION
  libraries.push_back("libunwind8");
#endif
#ifdef UKSTACK_LIBBPF_VERSION
  libraries.push_back("libbpf1");
#endif
  for (const std::string& library : libraries)
    EXPECT_NE(depends.find(library), std::string::npos) << library << " not in: " << depends;
}

TEST_F(Package, UnpackedItRunsAndItsChangelogIsOfThisVersion) {
  TempDir dir;
  const fs::path root = dir.path() / "root";
  ASSERT_EQ(run_command({"dpkg-deb", "-x", deb_, root}, seconds(60)).exit_code, 0);
  CommandResult version = run_command({root / "usr/bin/ukstack", "--version"}, seconds(30));
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_EQ(first_line(version.out), built_version());
  // Stripped (lintian: no debug sections in a binary package).
  CommandResult sections =
      run_command({"readelf", "-S", "-W", root / "usr/bin/ukstack"}, seconds(30));
  EXPECT_EQ(sections.out.find(".debug_info"), std::string::npos);

  CommandResult changelog =
      run_command({"gzip", "-dc", root / "usr/share/doc/ukstack/changelog.gz"}, seconds(30));
  EXPECT_EQ(
      first_line(changelog.out).rfind(std::string("ukstack (") + UKSTACK_PROJECT_VERSION + ")", 0),
      0u)
      << first_line(changelog.out);
}

// Debian's own checks of a package (6 s). Information tags are allowed; what remains
// of them is hardening-no-bindnow and hardening-no-fortify-functions (a build without
// dpkg-buildflags), binary-has-unneeded-section .comment, and a "spelling error" that
// is two string literals the linker merged.
TEST_F(Package, LintianFindsNoErrorAndNoWarning) {
  CommandResult lintian =
      run_command({"lintian", "--fail-on", "error,warning", deb_}, seconds(300));
  EXPECT_EQ(lintian.exit_code, 0) << lintian.out << lintian.err;
  for (const std::string& line : lines_of(lintian.out))
    EXPECT_FALSE(line.starts_with("E: ") || line.starts_with("W: ")) << line;
}

}  // namespace
}  // namespace ukstack::test
