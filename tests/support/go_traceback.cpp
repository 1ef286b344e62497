// Go's own tracebacks as an oracle: runtime.Stack(buf, true), panics, GOTRACEBACK=crash.
// A goroutine is a block ended by a blank line:
//   goroutine 20 [semacquire, 3 minutes]:          ("gp=... m=..." before '[' in newer Go)
//   sync.(*Mutex).lockSlow(0xc0000b2020)
//   	/usr/lib/go-1.19/src/sync/mutex.go:171 +0x165 fp=0xc... sp=0xc... pc=0x465b25
//   sync.(*Mutex).Lock(...)                         (inlined: no +0x offset)
//   	/usr/lib/go-1.19/src/sync/mutex.go:90
//   created by main.main                            ("... in goroutine 1" in Go >= 1.21)
//   	/work/fixtures/go_goroutines/main.go:153 +0x2aa
#include <algorithm>

#include "tests/support/go_oracle.h"
#include "tests/support/go_oracle_text.h"

namespace ukstack::test {
namespace {

using go_text::next_line;
using go_text::trim;

// "main.f(0x1, {0x2, 0x3})" -> "main.f": the argument list is the parenthesised group
// that ends the line, so names with parentheses ("sync.(*Mutex).Lock(...)") keep them.
std::string_view without_arguments(std::string_view call) {
  if (!call.ends_with(')')) return call;
  int depth = 0;
  for (size_t i = call.size(); i-- > 0;) {
    if (call[i] == ')') ++depth;
    if (call[i] == '(' && --depth == 0) return call.substr(0, i);
  }
  return call;
}

// "goroutine 20 [semacquire, 3 minutes, locked to thread]:" -> a goroutine with its
// id and status; nullopt for any other line.
std::optional<OracleGoroutine> goroutine_header(std::string_view line) {
  constexpr std::string_view kPrefix = "goroutine ";
  if (!line.starts_with(kPrefix) || !line.ends_with("]:")) return std::nullopt;
  std::string_view rest = line.substr(kPrefix.size());
  std::optional<long> goid = go_text::whole_number<long>(rest.substr(0, rest.find(' ')));
  const size_t open = rest.find('[');
  if (!goid || open == std::string_view::npos) return std::nullopt;
  std::string_view status = rest.substr(open + 1, rest.size() - open - 3);

  OracleGoroutine goroutine;
  goroutine.goid = *goid;
  size_t comma = status.find(", ");
  goroutine.state = std::string(status.substr(0, comma));
  while (comma != std::string_view::npos) {
    status.remove_prefix(comma + 2);
    comma = status.find(", ");
    std::string_view extra = status.substr(0, comma);
    if (extra == "locked to thread") {
      goroutine.locked_to_thread = true;
    } else if (extra.ends_with(" minutes")) {
      goroutine.wait_minutes = go_text::whole_number<long>(extra.substr(0, extra.find(' ')));
    }
  }
  return goroutine;
}

}  // namespace

std::vector<std::string> OracleGoroutine::functions() const {
  std::vector<std::string> names;
  names.reserve(frames.size());
  for (const OracleFrame& frame : frames) names.push_back(frame.function);
  return names;
}

bool is_runtime_goroutine(const OracleGoroutine& goroutine) {
  return !goroutine.frames.empty() &&
         std::ranges::all_of(goroutine.frames, [](const OracleFrame& frame) {
           return frame.function.starts_with("runtime.");
         });
}

std::vector<OracleGoroutine> parse_go_traceback(std::string_view text) {
  std::vector<OracleGoroutine> goroutines;
  OracleGoroutine* current = nullptr;  // the block being read
  bool location_is_frames = false;     // the next indented line locates the last frame
  while (!text.empty()) {
    std::string_view line = next_line(text);
    if (trim(line).empty()) {
      current = nullptr;
      continue;
    }
    if (std::optional<OracleGoroutine> header = goroutine_header(line)) {
      current = &goroutines.emplace_back(std::move(*header));
      location_is_frames = false;
      continue;
    }
    if (current == nullptr) continue;
    if (line.starts_with('\t') || line.starts_with(' ')) {
      if (!location_is_frames || current->frames.empty()) continue;
      location_is_frames = false;
      std::string_view where = trim(line);
      where = where.substr(0, std::min(where.find(" +0x"), where.find(" fp=")));
      if (auto at = go_text::location(where)) {
        current->frames.back().file = std::string(at->first);
        current->frames.back().line = at->second;
      }
      continue;
    }
    location_is_frames = false;
    if (line.starts_with("created by ")) {
      std::string_view creator = line.substr(11);
      current->created_by = std::string(creator.substr(0, creator.find(" in goroutine ")));
    } else if (!line.starts_with("...") && !line.starts_with('[') &&
               !line.starts_with("goroutine running on other thread")) {
      current->frames.push_back(
          {.function = std::string(without_arguments(line)), .file = {}, .line = 0});
      location_is_frames = true;
    }
  }
  return goroutines;
}

}  // namespace ukstack::test
