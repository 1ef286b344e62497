// What `cmake --install` and `cpack -G DEB` give: exactly the files a user of ukstack
// needs (the binary, its man page, completions, the JSON Schemas, copyright and
// changelog), the package's Depends from the libraries it links, and a binary that
// runs from the unpacked package.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "tests/cli/help_options.h"
#include "tests/support/fixture_process.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

// Relative to the prefix. The schemas are every src/model/*.schema.json.
std::set<std::string> expected_files() {
  std::set<std::string> files{"bin/ukstack",
                              "share/man/man1/ukstack.1.gz",
                              "share/bash-completion/completions/ukstack",
                              "share/zsh/vendor-completions/_ukstack",
                              "share/doc/ukstack/copyright",
                              "share/doc/ukstack/changelog.gz"};
  for (const auto& entry : fs::directory_iterator(fs::path(UKSTACK_SOURCE_DIR) / "src/model")) {
    const std::string name = entry.path().filename();
    if (name.ends_with(".schema.json")) files.insert("share/ukstack/" + name);
  }
  return files;
}

std::set<std::string> files_under(const fs::path& root) {
  std::set<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_directory()) files.insert(fs::relative(entry.path(), root));
  }
  return files;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// The --version line of the binary the build made.
std::string built_version() {
  return first_line(run_command({UKSTACK_BINARY, "--version"}, seconds(30)).out);
}

TEST(Install, PutsEachFileWhereItsUserLooksAndNothingElse) {
  TempDir prefix;
  CommandResult install = run_command(
      {"cmake", "--install", UKSTACK_BUILD_DIR, "--prefix", prefix.path()}, seconds(120));
  ASSERT_EQ(install.exit_code, 0) << install.out << install.err;
  EXPECT_EQ(files_under(prefix.path()), expected_files());

  CommandResult version = run_command({prefix.path() / "bin/ukstack", "--version"}, seconds(30));
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(first_line(version.out), built_version());
  // man reads the gzipped page as installed, without a warning.
  CommandResult man = run_command({"env", "MANWIDTH=80", "man", "--warnings", "-l",
                                   prefix.path() / "share/man/man1/ukstack.1.gz"},
                                  seconds(30));
  EXPECT_EQ(man.exit_code, 0);
  EXPECT_EQ(man.err, "");
  EXPECT_NE(man.out.find("SYNOPSIS"), std::string::npos);
}

class Package : public ::testing::Test {
 protected:
  // One package for the tests of this suite: cpack takes seconds (strip, dpkg-shlibdeps).
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    CommandResult cpack =
        run_command({"cpack", "-G", "DEB", "--config",
                     std::string(UKSTACK_BUILD_DIR) + "/CPackConfig.cmake", "-B", dir_->path()},
                    seconds(300));
    cpack_output_ = cpack.out + cpack.err;
    if (cpack.exit_code != 0) return;
    const std::string architecture =
        first_line(run_command({"dpkg", "--print-architecture"}, seconds(30)).out);
    deb_ = dir_->path() /
           ("ukstack_" + std::string(UKSTACK_PROJECT_VERSION) + "_" + architecture + ".deb");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(fs::exists(deb_)) << deb_ << " not made:\n" << cpack_output_;
  }

  static std::string field(const std::string& name) {
    CommandResult shown = run_command({"dpkg-deb", "-f", deb_, name}, seconds(30));
    EXPECT_EQ(shown.exit_code, 0) << shown.err;
    return first_line(shown.out);
  }

  static TempDir* dir_;
  static std::string cpack_output_;
  static fs::path deb_;
};
TempDir* Package::dir_ = nullptr;
std::string Package::cpack_output_;
fs::path Package::deb_;

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
  const fs::path root = dir_->path() / "root";
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
