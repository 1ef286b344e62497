#include "tests/cli/installed_files.h"

#include <chrono>
#include <filesystem>

#include "tests/support/fixture_process.h"

namespace ukstack::test {

std::set<std::string> expected_files() {
  std::set<std::string> files{"bin/ukstack",
                              "share/man/man1/ukstack.1.gz",
                              "share/bash-completion/completions/ukstack",
                              "share/zsh/vendor-completions/_ukstack",
                              "share/doc/ukstack/copyright",
                              "share/doc/ukstack/changelog.gz"};
  namespace fs = std::filesystem;
  for (const auto& entry : fs::directory_iterator(fs::path(UKSTACK_SOURCE_DIR) / "src/model")) {
    const std::string name = entry.path().filename();
    if (name.ends_with(".schema.json")) files.insert("share/ukstack/" + name);
  }
  return files;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string built_version() {
  return first_line(run_command({UKSTACK_BINARY, "--version"}, std::chrono::seconds(30)).out);
}

}  // namespace ukstack::test
