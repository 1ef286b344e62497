// The man page ukstack(1): every option --help lists is defined in it, and man
// renders it without a warning.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>

#include "tests/cli/help_options.h"
#include "tests/support/fixture_process.h"

namespace ukstack::test {
namespace {

// The page as man shows it, in plain ASCII, wide enough that no definition wraps.
std::string rendered_man_page() {
  CommandResult man = run_command(
      {"env", "LC_ALL=C", "MANWIDTH=200", "man", "-l", UKSTACK_MAN_PAGE}, std::chrono::seconds(30));
  EXPECT_EQ(man.exit_code, 0) << man.err;
  return man.out;
}

// The options the page defines: those on the term lines of its definition lists
// ("       -o FILE, --output FILE"), not those merely mentioned in a sentence.
std::set<std::string> defined_options(const std::string& page) {
  static const std::regex term_line(R"(^       -)");
  static const std::regex option(R"((?:^|[ ,])(-{1,2}[A-Za-z0-9][-A-Za-z0-9]*))");
  std::set<std::string> options;
  for (const std::string& line : lines_of(page)) {
    if (!std::regex_search(line, term_line)) continue;
    for (auto it = std::sregex_iterator(line.begin(), line.end(), option);
         it != std::sregex_iterator(); ++it)
      options.insert((*it)[1].str());
  }
  return options;
}

TEST(ManPage, DefinesEveryOptionOfHelp) {
  const std::set<std::string> in_help = help_options(help_text());
  ASSERT_GE(in_help.size(), 20u);  // the parse found the options
  ASSERT_TRUE(in_help.contains("--no-inlines"));
  const std::set<std::string> in_page = defined_options(rendered_man_page());
  for (const std::string& option : in_help)
    EXPECT_TRUE(in_page.contains(option)) << option << " is in --help but not in ukstack(1)";
}

TEST(ManPage, HasTheSectionsAUserLooksFor) {
  const std::string page = rendered_man_page();
  for (const char* heading : {"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "STOP MODES",
                              "EXIT STATUS", "PERMISSIONS", "ENVIRONMENT", "EXAMPLES", "SEE ALSO"})
    EXPECT_TRUE(std::regex_search(page, std::regex(std::string("\n") + heading + "\n"))) << heading;
  for (const char* word : {"CAP_SYS_PTRACE", "CAP_SYS_ADMIN", "CAP_BPF", "CAP_PERFMON",
                           "ptrace_scope", "DEBUGINFOD_URLS", "NO_COLOR", "eu-stack(1)"})
    EXPECT_NE(page.find(word), std::string::npos) << word;
}

TEST(ManPage, RendersWithoutWarnings) {
  CommandResult man =
      run_command({"env", "MANWIDTH=80", "man", "--warnings", "-l", UKSTACK_MAN_PAGE},
                  std::chrono::seconds(30));
  EXPECT_EQ(man.exit_code, 0);
  EXPECT_EQ(man.err, "");
  EXPECT_NE(man.out.find("ukstack"), std::string::npos);
}

}  // namespace
}  // namespace ukstack::test
