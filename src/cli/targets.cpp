#include "cli/targets.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "procfs/process_names.h"
#include "procfs/text.h"
#include "render/escape.h"

namespace ukstack {

ResolvedTarget resolve_target(std::string_view word, const procfs::ProcSource& proc, int self_pid) {
  const std::string shown = "'" + escape_for_terminal(word) + "'";
  if (!word.empty() && std::ranges::all_of(word, [](unsigned char c) { return std::isdigit(c); })) {
    const auto pid = procfs::text::parse_u64(word);
    if (pid && *pid > 0 && *pid <= INT32_MAX) return {static_cast<int>(*pid), {}};
    return {0, shown + " is not a process id"};
  }
  auto named = procfs::processes_named(proc, word);
  std::erase_if(named, [self_pid](const procfs::NamedProcess& p) { return p.pid == self_pid; });
  if (named.empty()) return {0, shown + " is not a process id, nor the name of a running process"};
  if (named.size() == 1) return {named.front().pid, {}};
  std::string problem =
      shown + " is the name of " + std::to_string(named.size()) + " processes; give one PID:";
  for (const procfs::NamedProcess& process : named)
    problem += "\n  " + std::to_string(process.pid) + "  " + escape_for_terminal(process.name);
  return {0, std::move(problem)};
}

}  // namespace ukstack
