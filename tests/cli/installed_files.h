// The files ukstack installs, relative to the prefix: what `cmake --install` and the
// Debian package must hold, and nothing else.
#pragma once

#include <set>
#include <string>

namespace ukstack::test {

// The binary, its man page, the completions, copyright and changelog, and every
// src/model/*.schema.json.
std::set<std::string> expected_files();

// The first line of a text.
std::string first_line(const std::string& text);

// The --version line of the binary the build made.
std::string built_version();

}  // namespace ukstack::test
