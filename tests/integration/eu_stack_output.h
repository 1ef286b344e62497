// eu-stack's output read back, as the reference for ukstack --core: the blocks of
// the peer's EXPECTED.md (command, output, exit code) and eu-stack runs of our own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ukstack::test {

struct EuStackFrame {
  std::uint64_t pc = 0;
  std::string function;               // as printed (raw with -r); "" when none
  std::optional<std::string> module;  // with -m
  std::optional<std::string> source;  // with -s: "file:line" (a column, if printed, dropped)
};

struct EuStackThread {
  int tid = 0;
  std::vector<EuStackFrame> frames;
};

struct EuStackOutput {
  std::vector<EuStackThread> threads;
  bool cut_at_max_frames = false;  // "shown max number of frames"
  bool unwind_failed = false;  // "dwfl_thread_getframes ...": a thread's unwind ended in an error
};

// Parses eu-stack's stdout and stderr (any mix of -m, -s, -i, -r). `modules` says
// whether -m was given (then a frame reads "#N 0xPC name - module").
EuStackOutput parse_eu_stack(std::string_view output, bool modules);

// One "## eu-stack ARGS" section of EXPECTED.md: the command and what it printed.
struct ExpectedRun {
  std::vector<std::string> args;                                       // after "eu-stack"
  std::string exe, core;                                               // -e, --core
  bool raw = false, inlines = false, source = false, modules = false;  // -r -i -s -m
  EuStackOutput output;
  int exit_code = -1;  // "(exit N)"
};

std::vector<ExpectedRun> parse_expected_md(std::string_view markdown);

// "_Z2fui" -> "fu(int)"; other names unchanged.
std::string demangled(const std::string& name);

}  // namespace ukstack::test
