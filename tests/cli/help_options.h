// What the built ukstack's --help lists, parsed from its real output: the man page,
// the completions and the package are checked against it.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace ukstack::test {

// The output of `ukstack --help` (the binary the build made).
std::string help_text();

// Every option --help lists ("-h", "--help", "-p", "--pid", "--stop", ...).
std::set<std::string> help_options(const std::string& help);

// The options whose values are a closed set, and the set as --help shows it
// ("--stop TEXT:{auto,each,all,none}=auto": {"auto", "each", "all", "none"}).
std::map<std::string, std::set<std::string>> help_choices(const std::string& help);

// The lines of a text, without their newlines.
std::vector<std::string> lines_of(const std::string& text);

}  // namespace ukstack::test
