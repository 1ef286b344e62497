// Oracles for goroutines (issue 11): what Go's own runtime and what delve say the
// goroutines of a Go process are, in one shape, to compare ukstack's goroutines with.
//   parse_go_traceback      the text of runtime.Stack(buf, true), of a panic or a
//                           GOTRACEBACK=crash traceback on stderr, of SIGQUIT's dump
//   read_delve_goroutines   `dlv attach PID` + `goroutines -t`, then detached: the
//                           target runs on (delve stops it while it reads, by design)
// Neither is what ukstack does: both are independent views of the same goroutines.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ukstack::test {

struct OracleFrame {
  std::string function;  // "main.waitOnChannel", "sync.(*Mutex).Lock", "C.__libc_read"
  std::string file;      // as printed; "" when no location was printed
  int line = 0;
};

struct OracleGoroutine {
  long goid = 0;
  // The runtime's bracketed status without its extras: "chan receive", "semacquire",
  // "sleep", "syscall", "running", "runnable", "select (no cases)". From delve: the
  // wait reason of a waiting goroutine, "" for the others (delve shows them no status).
  std::string state;
  std::optional<long> wait_minutes;  // runtime: "[chan receive, 12 minutes]"
  // delve 1.20: the number after the wait reason, the runtime's g.waitsince (its
  // nanotime, CLOCK_MONOTONIC in ns), set only once a GC ran during the wait.
  std::optional<long long> wait_since;
  bool locked_to_thread = false;    // runtime: "[syscall, locked to thread]"
  std::optional<int> tid;           // delve: "(thread T)": running on T, or in a system call there
  std::vector<OracleFrame> frames;  // innermost first, the outermost last
  std::string created_by;           // runtime: "created by F" -> F; delve: ""

  // The frames' function names, innermost first.
  std::vector<std::string> functions() const;
};

// Goroutine blocks ("goroutine N [STATE]:", frame lines, "created by", a blank line)
// of a Go traceback, in the order printed; anything else ("panic: ...", register
// dumps, "runtime stack:" sections of no goroutine) is skipped.
std::vector<OracleGoroutine> parse_go_traceback(std::string_view text);

// The goroutines of the output of delve's `goroutines -t` (terminal client, 1.20),
// prompts included. Goroutines delve could not read ("Goroutine (unreadable ...)")
// are left out.
std::vector<OracleGoroutine> parse_delve_goroutines(std::string_view output);

// True when `dlv` runs here (`dlv version`).
bool have_delve();

// `dlv attach PID --allow-non-terminal-interactive=true` reading `goroutines -t 100`,
// `exit` and `n` (no, do not kill the process) from a file as its stdin: delve stops
// the process, lists every goroutine with up to 100 frames, detaches and leaves it
// running. Throws std::runtime_error (with delve's words) if dlv cannot run, fails,
// or lists fewer goroutines than its "[N goroutines]" line says; at the deadline dlv
// is killed (the kernel detaches it) and the target continued (SIGCONT) if it was
// left stopped, then this throws.
std::vector<OracleGoroutine> read_delve_goroutines(
    int pid, std::chrono::seconds deadline = std::chrono::seconds(120));

// True when every frame is the runtime's own ("runtime.*"): the runtime's goroutines
// (GC workers, the finalizer, forcegc) that runtime.Stack(buf, true) leaves out.
bool is_runtime_goroutine(const OracleGoroutine& goroutine);

}  // namespace ukstack::test
