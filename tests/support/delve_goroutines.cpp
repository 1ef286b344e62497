// delve as an oracle of goroutines: `goroutines -t` of delve 1.20's terminal client.
//   (dlv)   Goroutine 19 - User: /src/main.go:61 main.waitOnChannel (0x4b821b) [chan receive
//   19088130874713] 	0  0x0000000000437c16 in runtime.gopark 	    at
//   /usr/lib/go-1.19/src/runtime/proc.go:364
//   * Goroutine 50 - User: read.c:26 C.__libc_read (0x7f8a123bc2ec) (thread 6500)
//   	 0  0x00007f8a123bc2ec in __libc_read
//   	     at ../sysdeps/unix/sysv/linux/read.c:26
//   [10009 goroutines]
// The status in brackets is shown only for waiting goroutines: the wait reason, then
// the runtime's g.waitsince when it is set. "(thread T)" names the thread a goroutine
// runs on or makes its system call on.
#include <signal.h>

#include <fstream>
#include <stdexcept>

#include "tests/support/fixture_process.h"
#include "tests/support/go_oracle.h"
#include "tests/support/go_oracle_text.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

using go_text::next_line;
using go_text::trim;

constexpr int kStackDepth = 100;  // frames per goroutine (delve's default is 10)

struct DelveListing {
  std::vector<OracleGoroutine> goroutines;
  int unreadable = 0;  // "Goroutine (unreadable ...)"
  long announced = 0;  // the sum of the "[N goroutines]" lines
};

// "19 - User: FILE:LINE FUNC (0xPC)[ (thread T)][ [REASON[ SINCE]]]" -> the goroutine.
std::optional<OracleGoroutine> goroutine_header(std::string_view rest) {
  std::optional<long> goid = go_text::whole_number<long>(rest.substr(0, rest.find(" - ")));
  if (!goid) return std::nullopt;
  OracleGoroutine goroutine;
  goroutine.goid = *goid;
  if (rest.ends_with(']')) {
    const size_t open = rest.rfind(" [");
    if (open != std::string_view::npos) {
      std::string_view status = rest.substr(open + 2, rest.size() - open - 3);
      rest = rest.substr(0, open);
      // A trailing number is g.waitsince (delve 1.20); a duration ("5m0s") is how
      // long, in other delve versions: neither is part of the reason.
      const size_t space = status.rfind(' ');
      if (space != std::string_view::npos && space + 1 < status.size() &&
          status[space + 1] >= '0' && status[space + 1] <= '9') {
        goroutine.wait_since = go_text::whole_number<long long>(status.substr(space + 1));
        status = status.substr(0, space);
      }
      goroutine.state = std::string(status);
    }
  }
  constexpr std::string_view kThread = " (thread ";
  const size_t thread = rest.rfind(kThread);
  if (thread != std::string_view::npos && rest.ends_with(')')) {
    const size_t first = thread + kThread.size();
    goroutine.tid = go_text::whole_number<int>(rest.substr(first, rest.size() - 1 - first));
  }
  return goroutine;
}

// "12  0x0000000000437c16 in runtime.gopark" -> "runtime.gopark"; nullopt otherwise.
std::optional<std::string_view> frame_function(std::string_view line) {
  const size_t space = line.find(' ');
  if (space == std::string_view::npos || !go_text::whole_number<int>(line.substr(0, space)))
    return std::nullopt;
  std::string_view rest = trim(line.substr(space));
  const size_t in = rest.find(" in ");
  if (!rest.starts_with("0x") || in == std::string_view::npos) return std::nullopt;
  return rest.substr(in + 4);
}

DelveListing parse_listing(std::string_view output) {
  DelveListing listing;
  OracleGoroutine* current = nullptr;
  while (!output.empty()) {
    std::string_view line = trim(next_line(output));
    while (line.starts_with("(dlv)")) line = trim(line.substr(5));
    if (line.starts_with("* ")) line.remove_prefix(2);  // the selected goroutine

    if (line.starts_with("Goroutine ")) {
      std::string_view rest = line.substr(10);
      current = nullptr;
      if (rest.starts_with("(unreadable")) {
        ++listing.unreadable;
      } else if (auto goroutine = goroutine_header(rest)) {
        current = &listing.goroutines.emplace_back(std::move(*goroutine));
      }
    } else if (line.starts_with('[') && line.ends_with(" goroutines]")) {
      listing.announced +=
          go_text::whole_number<long>(line.substr(1, line.find(' ') - 1)).value_or(0);
      current = nullptr;
    } else if (current == nullptr) {
      continue;
    } else if (auto function = frame_function(line)) {
      current->frames.push_back({.function = std::string(*function), .file = {}, .line = 0});
    } else if (line.starts_with("at ") && !current->frames.empty()) {
      if (auto at = go_text::location(line.substr(3))) {
        current->frames.back().file = std::string(at->first);
        current->frames.back().line = at->second;
      }
    }
  }
  return listing;
}

std::string excerpt(const std::string& text) { return text.substr(0, 600); }

}  // namespace

std::vector<OracleGoroutine> parse_delve_goroutines(std::string_view output) {
  return parse_listing(output).goroutines;
}

bool have_delve() {
  try {
    return run_command({"dlv", "version"}, std::chrono::seconds(10)).exit_code == 0;
  } catch (const std::runtime_error&) {
    return false;
  }
}

std::vector<OracleGoroutine> read_delve_goroutines(int pid, std::chrono::seconds deadline) {
  // The answer to "Would you like to kill the process? [Y/n]" must come from stdin:
  // at end of input delve exits without detaching. `exit -c` needs a headless server.
  TempDir dir;
  const std::string commands = (dir.path() / "commands").string();
  std::ofstream(commands) << "goroutines -t " << kStackDepth << "\nexit\nn\n";
  const std::string what = "dlv attach " + std::to_string(pid);
  CommandResult dlv = run_command(
      {"sh", "-c", "exec dlv attach \"$1\" --allow-non-terminal-interactive=true <\"$2\"", "sh",
       std::to_string(pid), commands},
      deadline);
  if (dlv.timed_out) {
    // Killed while it held the process: its SIGSTOP may leave the process stopped.
    std::optional<char> state = thread_state(pid);
    if (state == 'T' || state == 't') ::kill(pid, SIGCONT);
    throw std::runtime_error(what + " timed out after " + std::to_string(deadline.count()) + " s");
  }
  DelveListing listing = parse_listing(dlv.out);
  const long listed = static_cast<long>(listing.goroutines.size()) + listing.unreadable;
  if (dlv.exit_code != 0 || listing.announced == 0 || listed != listing.announced) {
    throw std::runtime_error(what + ": exit " + std::to_string(dlv.exit_code) + ", listed " +
                             std::to_string(listed) + " of " + std::to_string(listing.announced) +
                             " goroutines: " + excerpt(dlv.err) + " | " + excerpt(dlv.out));
  }
  return std::move(listing.goroutines);
}

}  // namespace ukstack::test
