// `ukstack --version`: the version of project(VERSION), the checkout it was built
// from, and the libraries it was built with, as pkg-config gave them to the build.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <regex>

#include "tests/cli/help_options.h"
#include "tests/support/fixture_process.h"

namespace ukstack::test {
namespace {

// "0.188" from pkg-config, "0.188" from the headers; libbpf's headers have no patch
// level ("1.1.0" from pkg-config is "1.1").
bool same_release(const std::string& shown, const std::string& pkg_config) {
  return pkg_config == shown || pkg_config.starts_with(shown + ".");
}

TEST(Version, NamesTheProjectVersionTheCheckoutAndTheLibraries) {
  CommandResult version = run_command({UKSTACK_BINARY, "--version"}, std::chrono::seconds(30));
  ASSERT_EQ(version.exit_code, 0) << version.err;
  const std::vector<std::string> lines = lines_of(version.out);
  ASSERT_FALSE(lines.empty());

  std::smatch match;
  ASSERT_TRUE(std::regex_match(
      lines[0], match,
      std::regex(R"(ukstack ([0-9]+\.[0-9]+\.[0-9]+)(?: \(git ([0-9A-Za-z._-]+)\))?)")))
      << lines[0];
  EXPECT_EQ(match[1], UKSTACK_PROJECT_VERSION);
  // Built from a checkout (this one is), so the description is there.
  CommandResult head = run_command(
      {"git", "-C", UKSTACK_SOURCE_DIR, "rev-parse", "--short", "HEAD"}, std::chrono::seconds(30));
  if (head.exit_code == 0 && std::filesystem::exists(std::string(UKSTACK_SOURCE_DIR) + "/.git")) {
    ASSERT_TRUE(match[2].matched) << lines[0];
    const std::string commit = head.out.substr(0, head.out.find('\n'));
    EXPECT_NE(match[2].str().find(commit.substr(0, 7)), std::string::npos)
        << lines[0] << " is not HEAD " << commit;
  }

  std::map<std::string, std::string> libraries;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    ASSERT_TRUE(std::regex_match(lines[i], match, std::regex(R"((\S+) ([0-9.]+)(?: \(.*\))?)")))
        << lines[i];
    libraries[match[1]] = match[2];
  }
  ASSERT_TRUE(libraries.contains("libdw")) << version.out;
  EXPECT_TRUE(same_release(libraries["libdw"], UKSTACK_LIBDW_VERSION)) << libraries["libdw"];
#ifdef UKSTACK_LIBUNWIND_VERSION
  ASSERT_TRUE(libraries.contains("libunwind")) << version.out;
  EXPECT_TRUE(same_release(libraries["libunwind"], UKSTACK_LIBUNWIND_VERSION));
#else
  EXPECT_FALSE(libraries.contains("libunwind")) << version.out;
#endif
#ifdef UKSTACK_LIBBPF_VERSION
  ASSERT_TRUE(libraries.contains("libbpf")) << version.out;
  EXPECT_TRUE(same_release(libraries["libbpf"], UKSTACK_LIBBPF_VERSION)) << libraries["libbpf"];
#else
  EXPECT_FALSE(libraries.contains("libbpf")) << version.out;
#endif
}

}  // namespace
}  // namespace ukstack::test
