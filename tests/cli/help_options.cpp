#include "tests/cli/help_options.h"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <sstream>

#include "tests/support/fixture_process.h"

namespace ukstack::test {

std::string help_text() {
  CommandResult help = run_command({UKSTACK_BINARY, "--help"}, std::chrono::seconds(30));
  EXPECT_EQ(help.exit_code, 0) << help.err;
  return help.out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// An option line of CLI11's help: two spaces, then the names joined by commas
// ("  -o,--output TEXT  also write...").
std::set<std::string> help_options(const std::string& help) {
  static const std::regex option_line(R"(^  (-[-A-Za-z0-9,]+))");
  static const std::regex name(R"(-{1,2}[A-Za-z0-9][-A-Za-z0-9]*)");
  std::set<std::string> options;
  for (const std::string& line : lines_of(help)) {
    std::smatch match;
    if (!std::regex_search(line, match, option_line)) continue;
    const std::string names = match[1];
    for (auto it = std::sregex_iterator(names.begin(), names.end(), name);
         it != std::sregex_iterator(); ++it)
      options.insert(it->str());
  }
  return options;
}

std::map<std::string, std::set<std::string>> help_choices(const std::string& help) {
  static const std::regex choice_line(R"(^  (?:-[-A-Za-z0-9]+,)*(--[-A-Za-z0-9]+) \S*\{([^}]*)\})");
  std::map<std::string, std::set<std::string>> choices;
  for (const std::string& line : lines_of(help)) {
    std::smatch match;
    if (!std::regex_search(line, match, choice_line)) continue;
    std::istringstream words(match[2]);
    for (std::string word; std::getline(words, word, ',');) choices[match[1]].insert(word);
  }
  return choices;
}

}  // namespace ukstack::test
