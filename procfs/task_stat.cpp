#include "procfs/task_stat.h"

#include <limits>
#include <string>

#include "procfs/text.h"

namespace ukstack::procfs {

namespace {

Error bad_stat(std::string_view stat_text, std::string_view why) {
  return Error{
      0, "cannot parse stat (" + std::string(why) + "): " + text::quote(text::trim(stat_text))};
}

template <class T>
bool to_int(std::string_view s, T& out) {
  auto value = text::parse_i64(s);
  if (!value || *value < std::numeric_limits<T>::min() || *value > std::numeric_limits<T>::max()) {
    return false;
  }
  out = static_cast<T>(*value);
  return true;
}

}  // namespace

// "tid (comm) state ppid pgrp session tty_nr tpgid flags ..."
Result<TaskStat> parse_stat(std::string_view stat_text) {
  auto open = stat_text.find('(');
  auto close = stat_text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return bad_stat(stat_text, "no '(name)'");
  }
  TaskStat stat;
  if (!to_int(text::trim(stat_text.substr(0, open)), stat.tid)) {
    return bad_stat(stat_text, "bad tid");
  }
  stat.name = std::string(stat_text.substr(open + 1, close - open - 1));

  // Fields after the name, starting at field 3 (state).
  auto fields = text::words(stat_text.substr(close + 1));
  if (fields.size() < 7) return bad_stat(stat_text, "too few fields");
  if (fields[0].size() != 1) return bad_stat(stat_text, "bad state");
  stat.state = fields[0][0];
  if (!to_int(fields[1], stat.ppid)) return bad_stat(stat_text, "bad ppid");
  auto flags = text::parse_u64(fields[6]);
  if (!flags) return bad_stat(stat_text, "bad flags");
  stat.flags = static_cast<unsigned long>(*flags);
  return stat;
}

// "Key:\tvalue" lines; only the keys TaskStatus holds are read, the rest ignored.
Result<TaskStatus> parse_status(std::string_view status_text) {
  TaskStatus status;
  bool seen_any = false;
  for (std::string_view line : text::lines(status_text)) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    auto values = text::words(line.substr(colon + 1));
    auto bad = [&] {
      return Error{0, "cannot parse status field " + std::string(key) + ": " + text::quote(line)};
    };
    if (key == "TracerPid") {
      if (values.empty() || !to_int(values[0], status.tracer_pid)) return bad();
    } else if (key == "voluntary_ctxt_switches" || key == "nonvoluntary_ctxt_switches") {
      auto value = values.empty() ? std::nullopt : text::parse_u64(values[0]);
      if (!value) return bad();
      (key[0] == 'v' ? status.voluntary_ctxt_switches : status.nonvoluntary_ctxt_switches) = *value;
    } else if (key == "Uid") {
      // real, effective, saved, filesystem
      if (values.size() < 2 || !to_int(values[0], status.uid_real) ||
          !to_int(values[1], status.uid_effective)) {
        return bad();
      }
    } else {
      continue;
    }
    seen_any = true;
  }
  if (!seen_any) {
    return Error{0, "cannot parse status: no TracerPid, Uid or ctxt_switches line"};
  }
  return status;
}

std::string parse_wchan(std::string_view wchan_text) {
  std::string_view symbol = text::trim(wchan_text);
  if (symbol == "0") return {};
  return std::string(symbol);
}

std::string_view describe_state(char state) {
  switch (state) {
    case 'R':
      return "running";
    case 'S':
      return "sleeping";
    case 'D':
      return "disk sleep";
    case 'T':
      return "stopped";
    case 't':
      return "tracing stop";
    case 'Z':
      return "zombie";
    case 'X':
      return "dead";
    case 'x':
      return "dead";
    case 'I':
      return "idle";
    case 'P':
      return "parked";
    case 'K':
      return "wakekill";
    case 'W':
      return "waking";
    default:
      return "unknown";
  }
}

}  // namespace ukstack::procfs
