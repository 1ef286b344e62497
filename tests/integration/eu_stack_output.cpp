#include "tests/integration/eu_stack_output.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <sstream>

namespace ukstack::test {

namespace {

std::string_view trim_left(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  return text;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// "#3  0x00000000004006c8 foo" (modules: "foo - /path", or "- /path" without a name).
EuStackFrame parse_frame(std::string_view line, bool modules) {
  EuStackFrame frame;
  std::string_view rest = trim_left(line.substr(line.find(' ')));
  std::size_t pc_end = rest.find(' ');
  frame.pc = std::strtoull(std::string(rest.substr(0, pc_end)).c_str(), nullptr, 16);
  rest = pc_end == std::string_view::npos ? std::string_view() : rest.substr(pc_end + 1);
  if (modules) {
    if (rest.starts_with("- ")) {
      frame.module = std::string(rest.substr(2));
      rest = {};
    } else if (auto dash = rest.find(" - "); dash != std::string_view::npos) {
      frame.module = std::string(rest.substr(dash + 3));
      rest = rest.substr(0, dash);
    }
  }
  frame.function = std::string(rest);
  return frame;
}

// "file.c:57:12" -> "file.c:57": ukstack shows no columns.
std::string without_column(std::string source) {
  auto last = source.rfind(':');
  if (last == std::string::npos || last + 1 == source.size()) return source;
  auto before = source.rfind(':', last - 1);
  auto all_digits = [](std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  };
  std::string_view view(source);
  if (before != std::string::npos && all_digits(view.substr(last + 1)) &&
      all_digits(view.substr(before + 1, last - before - 1))) {
    source.resize(last);
  }
  return source;
}

}  // namespace

std::string demangled(const std::string& name) {
  if (!name.starts_with("_Z")) return name;
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> out(
      abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status), &std::free);
  return status == 0 && out ? std::string(out.get()) : name;
}

EuStackOutput parse_eu_stack(std::string_view text, bool modules) {
  EuStackOutput output;
  for (const std::string& line : split_lines(text)) {
    if (line.starts_with("TID ")) {
      output.threads.push_back({std::atoi(line.c_str() + 4), {}});
    } else if (line.starts_with("#") && !output.threads.empty()) {
      output.threads.back().frames.push_back(parse_frame(line, modules));
    } else if (line.starts_with("    ") && !output.threads.empty() &&
               !output.threads.back().frames.empty()) {
      output.threads.back().frames.back().source = without_column(std::string(trim_left(line)));
    } else if (line.starts_with("eu-stack: ")) {
      if (line.find("shown max number of frames") != std::string::npos)
        output.cut_at_max_frames = true;
      if (line.find("dwfl_thread_getframes") != std::string::npos) output.unwind_failed = true;
    }
  }
  return output;
}

std::vector<ExpectedRun> parse_expected_md(std::string_view markdown) {
  std::vector<ExpectedRun> runs;
  std::vector<std::string> lines = split_lines(markdown);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].starts_with("## eu-stack ")) continue;
    ExpectedRun run;
    std::istringstream words(lines[i].substr(12));
    for (std::string word; words >> word;) run.args.push_back(word);
    for (std::size_t a = 0; a < run.args.size(); ++a) {
      const std::string& arg = run.args[a];
      bool has_value = a + 1 < run.args.size();
      if (arg == "-e" && has_value) run.exe = run.args[a + 1];
      if (arg == "--core" && has_value) run.core = run.args[a + 1];
      if (arg == "-r") run.raw = true;
      if (arg == "-i") run.inlines = true;
      if (arg == "-s") run.source = true;
      if (arg == "-m") run.modules = true;
    }
    // The fenced block that follows: eu-stack's output, then "(exit N)".
    std::size_t open = i + 1;
    while (open < lines.size() && !lines[open].starts_with("```")) ++open;
    std::string block;
    std::size_t close = open + 1;
    for (; close < lines.size() && !lines[close].starts_with("```"); ++close) {
      if (lines[close].starts_with("(exit ")) {
        run.exit_code = std::atoi(lines[close].c_str() + 6);
      } else {
        block += lines[close] + "\n";
      }
    }
    run.output = parse_eu_stack(block, run.modules);
    runs.push_back(std::move(run));
    i = close;
  }
  return runs;
}

}  // namespace ukstack::test
