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

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The first whitespace-separated word of `s` (a status value).
std::string_view first_word(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  std::size_t end = i;
  while (end < s.size() && !is_space(s[end])) ++end;
  return s.substr(i, end - i);
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

  // Fields after the name, starting at field 3 (state); only the first seven are
  // needed, so split just those (no vector of all ~50).
  std::string_view fields[7];
  std::size_t count = 0;
  {
    std::string_view rest = stat_text.substr(close + 1);
    std::size_t i = 0;
    while (count < 7) {
      while (i < rest.size() && is_space(rest[i])) ++i;
      if (i == rest.size()) break;
      const std::size_t start = i;
      while (i < rest.size() && !is_space(rest[i])) ++i;
      fields[count++] = rest.substr(start, i - start);
    }
  }
  if (count < 7) return bad_stat(stat_text, "too few fields");
  if (fields[0].size() != 1) return bad_stat(stat_text, "bad state");
  stat.state = fields[0][0];
  if (!to_int(fields[1], stat.ppid)) return bad_stat(stat_text, "bad ppid");
  if (!to_int(fields[2], stat.pgrp)) return bad_stat(stat_text, "bad pgrp");
  auto flags = text::parse_u64(fields[6]);
  if (!flags) return bad_stat(stat_text, "bad flags");
  stat.flags = static_cast<unsigned long>(*flags);
  return stat;
}

// "Key:\tvalue" lines; only the keys TaskStatus holds are read, the rest skipped
// by their first letter without being split into words. Stops after the last of
// them (nonvoluntary_ctxt_switches ends the file on current kernels).
Result<TaskStatus> parse_status(std::string_view status_text) {
  TaskStatus status;
  bool seen_any = false;
  int seen = 0;  // bit per key: TracerPid, Uid, voluntary, nonvoluntary, Tgid
  std::string_view rest = status_text;
  while (!rest.empty() && seen != 0x1f) {
    const auto nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    const char first = line.empty() ? '\0' : line[0];
    if (first != 'T' && first != 'U' && first != 'v' && first != 'n' && first != 'N') continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    const std::string_view value = line.substr(colon + 1);
    auto bad = [&] {
      return Error{0, "cannot parse status field " + std::string(key) + ": " + text::quote(line)};
    };
    if (key == "TracerPid") {
      if (!to_int(first_word(value), status.tracer_pid)) return bad();
      seen |= 1;
    } else if (key == "Tgid") {
      if (!to_int(first_word(value), status.tgid)) return bad();
      seen |= 0x10;
    } else if (key == "NStgid") {
      // One PID per namespace level, the outermost first.
      const auto levels = text::words(value);
      if (levels.empty() || !to_int(levels.back(), status.ns_tgid)) return bad();
    } else if (key == "voluntary_ctxt_switches" || key == "nonvoluntary_ctxt_switches") {
      auto parsed = text::parse_u64(first_word(value));
      if (!parsed) return bad();
      (key[0] == 'v' ? status.voluntary_ctxt_switches : status.nonvoluntary_ctxt_switches) =
          *parsed;
      seen |= key[0] == 'v' ? 4 : 8;
    } else if (key == "Uid") {
      // real, effective, saved, filesystem
      const std::string_view real = first_word(value);
      const std::string_view after = value.substr(real.data() + real.size() - value.data());
      if (!to_int(real, status.uid_real) || !to_int(first_word(after), status.uid_effective)) {
        return bad();
      }
      seen |= 2;
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

Result<SchedStat> parse_schedstat(std::string_view schedstat_text) {
  SchedStat stat;
  std::string_view rest = text::trim(schedstat_text);
  std::uint64_t* fields[] = {&stat.cpu_ns, &stat.wait_ns, &stat.times_run};
  for (std::uint64_t* field : fields) {
    const std::string_view word = first_word(rest);
    auto value = text::parse_u64(word);
    if (!value)
      return Error{0, "cannot parse schedstat: " + text::quote(text::trim(schedstat_text))};
    *field = *value;
    rest = text::trim(rest.substr(word.data() + word.size() - rest.data()));
  }
  if (!rest.empty()) {
    return Error{0, "cannot parse schedstat: " + text::quote(text::trim(schedstat_text))};
  }
  return stat;
}

std::string parse_wchan(std::string_view wchan_text) {
  std::string_view symbol = text::trim(wchan_text);
  if (symbol == "0") return {};
  return std::string(symbol);
}

}  // namespace ukstack::procfs
