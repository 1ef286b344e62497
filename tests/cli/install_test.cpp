// `cmake --install` into a temporary prefix: exactly the files a user of ukstack needs
// (the binary, its man page, completions, the JSON Schemas, copyright and changelog).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "tests/cli/installed_files.h"
#include "tests/support/fixture_process.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

std::set<std::string> files_under(const fs::path& root) {
  std::set<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_directory()) files.insert(fs::relative(entry.path(), root));
  }
  return files;
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

}  // namespace
}  // namespace ukstack::test
