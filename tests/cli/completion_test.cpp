// The bash and zsh completions: they load in their shells, complete every option of
// --help and the values --help lists for each, files and directories where those
// are asked for, and running processes by PID and name.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "tests/cli/help_options.h"
#include "tests/support/fixture_process.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

const std::string kCompletions = std::string(UKSTACK_SOURCE_DIR) + "/src/cli/completions";

// Runs bash's completion of `ukstack WORDS...` (the last word is the one being
// completed) as bash-completion would: the words in COMP_WORDS, then the function
// `complete -p ukstack` names. Returns the candidates, one per line.
std::set<std::string> bash_complete(const std::vector<std::string>& words) {
  const std::string script = R"(
source /usr/share/bash-completion/bash_completion || exit 90
source "$1" || exit 91
shift
spec=$(complete -p ukstack) || exit 92
function=${spec#*-F }; function=${function%% *}
COMP_WORDS=(ukstack "$@"); COMP_CWORD=$#
COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
"$function" ukstack "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
)";
  std::vector<std::string> argv{"bash", "-c", script, "bash", kCompletions + "/ukstack.bash"};
  argv.insert(argv.end(), words.begin(), words.end());
  CommandResult run = run_command(argv, seconds(30));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  std::set<std::string> candidates;
  for (const std::string& line : lines_of(run.out))
    if (!line.empty()) candidates.insert(line);
  return candidates;
}

// Runs `code` in zsh after compinit with the completions directory on fpath and
// _ukstack loaded (autoload +X reads the file: a syntax error fails here).
CommandResult zsh_run(const std::string& code) {
  const std::string script =
      "fpath=(\"$1\" $fpath); autoload -Uz compinit && compinit -u -D || exit 90\n"
      "autoload +X _ukstack || exit 91\n" +
      code;
  return run_command({"zsh", "-f", "-c", script, "zsh", kCompletions}, seconds(30));
}

TEST(BashCompletion, LoadsAndCompletesOptionsAndTheirValues) {
  EXPECT_EQ(bash_complete({"--stop", ""}), (std::set<std::string>{"auto", "each", "all", "none"}));
  EXPECT_EQ(bash_complete({"--for"}), std::set<std::string>{"--format"});
  EXPECT_EQ(bash_complete({"--no-i"}), std::set<std::string>{"--no-inlines"});
}

TEST(BashCompletion, OffersEveryOptionAndEveryValueOfHelp) {
  const std::string help = help_text();
  const std::set<std::string> offered = bash_complete({"-"});
  for (const std::string& option : help_options(help))
    EXPECT_TRUE(offered.contains(option)) << option << " is in --help but not completed";
  for (const auto& [option, values] : help_choices(help)) {
    // Every value --help accepts is offered (a newer --help may list more).
    const std::set<std::string> completed = bash_complete({option, ""});
    for (const std::string& value : values)
      EXPECT_TRUE(completed.contains(value)) << option << " " << value;
  }
}

TEST(BashCompletion, FilesForFilesAndDirectoriesForDirectories) {
  TempDir dir;
  fs::create_directory(dir.path() / "debug");
  std::ofstream(dir.path() / "debug.core") << "x";
  const std::string prefix = (dir.path() / "deb").string();
  EXPECT_EQ(bash_complete({"--core", prefix}),
            (std::set<std::string>{prefix + "ug", prefix + "ug.core"}));
  EXPECT_EQ(bash_complete({"--debug-dir", prefix}), std::set<std::string>{prefix + "ug"});
  EXPECT_EQ(bash_complete({"--sysroot", prefix}), std::set<std::string>{prefix + "ug"});
}

TEST(BashCompletion, RunningProcessesByPidAndByName) {
  auto target = FixtureProcess::start({std::string(UKSTACK_FIXTURE_DIR) + "/accept_server", "0"});
  const std::string pid = std::to_string(target.pid());
  EXPECT_TRUE(bash_complete({pid.substr(0, pid.size() - 1)}).contains(pid));
  EXPECT_TRUE(bash_complete({"-p", pid.substr(0, 1)}).contains(pid));
  EXPECT_TRUE(bash_complete({"accept_s"}).contains("accept_server"));
}

TEST(ZshCompletion, LoadsWithCompinitAndDefinesUkstack) {
  CommandResult run = zsh_run("print -r -- $_comps[ukstack]; whence -w _ukstack");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(run.out, "_ukstack\n_ukstack: function\n");
}

// _arguments and _describe replaced by functions that print what they are given:
// the option specs, and the processes as "pid:name".
TEST(ZshCompletion, SpecifiesEveryOptionOfHelp) {
  CommandResult run = zsh_run("_arguments() { print -rl -- \"$@\" }\n_ukstack");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // A spec: an optional exclusion list "(...)", an optional "*", then the option
  // name up to "[", "=", "+" or ":".
  std::set<std::string> specified;
  for (std::string spec : lines_of(run.out)) {
    if (spec.starts_with('(')) spec.erase(0, spec.find(')') + 1);
    if (spec.starts_with('*')) spec.erase(0, 1);
    if (spec.starts_with('-')) specified.insert(spec.substr(0, spec.find_first_of("[=+:")));
  }
  for (const std::string& option : help_options(help_text()))
    EXPECT_TRUE(specified.contains(option)) << option << " is in --help but not in _ukstack";
}

TEST(ZshCompletion, DescribesProcessesWithTheirNames) {
  auto target = FixtureProcess::start({std::string(UKSTACK_FIXTURE_DIR) + "/accept_server", "0"});
  CommandResult run = zsh_run(
      "_arguments() { : }\n_ukstack\n_describe() { print -rl -- \"${(@P)4}\" "
      "}\n_ukstack_processes");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = lines_of(run.out);
  // Every entry is "pid:name", short pids (ps pads them with blanks) as well as long.
  ASSERT_FALSE(lines.empty());
  for (const std::string& line : lines)
    EXPECT_TRUE(std::regex_match(line, std::regex("[1-9][0-9]*:.+"))) << line;
  EXPECT_NE(std::find(lines.begin(), lines.end(), std::to_string(target.pid()) + ":accept_server"),
            lines.end())
      << run.out;
}

}  // namespace
}  // namespace ukstack::test
