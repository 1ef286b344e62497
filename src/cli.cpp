#include "src/cli.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

namespace ukstack {

namespace {

constexpr const char* kExamples = R"(Examples:
  ukstack 4242                     every thread of process 4242: kernel and user stacks
  ukstack --tid 4250 4242          only thread 4250
  ukstack --format json 4242       the snapshot as JSON (schema ukstack.snapshot/1)
  ukstack -o hang.json 4242        print the text and keep the snapshot for later

Exit status: 0 all stacks captured; 1 some half of some thread missing or cut short;
2 nothing captured (no such process, not permitted, already traced); 64 bad usage.
Needs root or CAP_SYS_PTRACE to stop threads, and CAP_SYS_ADMIN to read kernel stacks.)";

}  // namespace

ParsedCommandLine parse_command_line(int argc, char** argv) {
  CliOptions options;
  CLI::App app{"ukstack: kernel and user stacks of every thread of a live process, joined at "
               "the system call each is blocked in.",
               "ukstack"};
  app.footer(kExamples);
  app.set_version_flag("--version", "ukstack " UKSTACK_VERSION);
  app.add_option("PID", options.pid, "process to capture")->required()->check(CLI::PositiveNumber);
  app.add_option("--format", options.format, "output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--tid", options.capture.tids, "only this thread (repeatable)")
      ->check(CLI::PositiveNumber)
      ->take_all()
      ->allow_extra_args(false);
  long timeout_ms = options.capture.timeout.count();
  app.add_option("--timeout", timeout_ms, "per-thread stop deadline in milliseconds")
      ->check(CLI::Range(1L, 60'000L))
      ->capture_default_str();
  app.add_option("-o,--output", options.output_file, "also write the snapshot (JSON) to this file");
  app.add_option("--debug-dir", options.capture.unwind.debug_dirs,
                 "another directory to search for separate debug info (repeatable)");
  app.add_option("--color", options.color, "colour in text output (never with NO_COLOR)")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return {std::nullopt, kExitComplete};
  } catch (const CLI::CallForVersion&) {
    std::cout << app.version() << "\n";
    return {std::nullopt, kExitComplete};
  } catch (const CLI::ParseError& error) {
    std::cerr << "ukstack: " << error.what() << " (see ukstack --help)\n";
    return {std::nullopt, kExitUsage};
  }
  options.capture.timeout = std::chrono::milliseconds(timeout_ms);
  return {std::move(options), kExitComplete};
}

}  // namespace ukstack
