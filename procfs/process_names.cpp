#include "procfs/process_names.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "procfs/text.h"

namespace ukstack::procfs {

namespace {

// A /proc entry that is a pid.
std::optional<int> pid_of(const std::string& entry) {
  const auto value = text::parse_u64(entry);
  if (!value || *value == 0 || *value > INT32_MAX) return std::nullopt;
  return static_cast<int>(*value);
}

// argv[0] without its directories: the text before the first NUL, after its last '/'.
std::string_view program_name(std::string_view cmdline) {
  std::string_view argv0 = cmdline.substr(0, cmdline.find('\0'));
  if (const auto slash = argv0.rfind('/'); slash != std::string_view::npos)
    argv0.remove_prefix(slash + 1);
  return argv0;
}

}  // namespace

std::vector<NamedProcess> processes_named(const ProcSource& source, std::string_view name) {
  std::vector<NamedProcess> found;
  auto entries = source.list_dir("");
  if (!entries || name.empty()) return found;
  for (const std::string& entry : *entries) {
    const auto pid = pid_of(entry);
    if (!pid) continue;
    auto comm = source.read_file(entry + "/comm");
    if (!comm) continue;  // exited since the listing
    if (!comm->empty() && comm->back() == '\n') comm->pop_back();
    bool named = *comm == name;
    if (!named) {
      // Kernel threads have an empty cmdline; a process may not let us read its own.
      auto cmdline = source.read_file(entry + "/cmdline");
      named = cmdline && program_name(*cmdline) == name;
    }
    if (named) found.push_back({*pid, std::move(*comm)});
  }
  std::ranges::sort(found, {}, &NamedProcess::pid);
  return found;
}

}  // namespace ukstack::procfs
