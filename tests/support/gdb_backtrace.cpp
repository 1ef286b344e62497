// gdb as the reference: run `thread apply all bt` and keep, per LWP, the names of
// the frames. Frame lines look like
//   #0  0x00007f... in epoll_wait (epfd=3, ...) at ../sysdeps/.../epoll_wait.c:30
//   #1  __GI___libc_read (fd=6, ...) at ../sysdeps/.../read.c:24      (no address)
//   #3  0x... in foo () from /lib/x86_64-linux-gnu/libc.so.6
// and thread headers like
//   Thread 2 (Thread 0x7f... (LWP 1235) "cond-waiter"):   (libthread_db)
//   Thread 1 (LWP 4483 "accept_server_g"):                 (static Go binary)
#include <charconv>
#include <stdexcept>

#include "tests/support/fixture_process.h"

namespace ukstack::test {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

std::optional<int> number_after(std::string_view line, std::string_view marker) {
  size_t pos = line.find(marker);
  if (pos == std::string_view::npos) return std::nullopt;
  const char* first = line.data() + pos + marker.size();
  int value = 0;
  auto [end, ec] = std::from_chars(first, line.data() + line.size(), value);
  if (ec != std::errc()) return std::nullopt;
  return value;
}

// "#N  [0xADDR in ]NAME (ARGS)[ at FILE:LINE | from LIB]" -> NAME. The argument
// list is the parenthesised group that ends at the line's last ')', so names that
// hold parentheses themselves ("net.(*TCPListener).Accept",
// "(anonymous namespace)::f", "f<void (*)()>") keep them.
std::string frame_function(std::string_view line) {
  size_t pos = line.find_first_of(" \t");
  if (pos == std::string_view::npos) return {};
  std::string_view rest = trim(line.substr(pos));
  if (rest.starts_with("0x")) {
    size_t in = rest.find(" in ");
    if (in == std::string_view::npos) return std::string(rest.substr(0, rest.find(' ')));
    rest = trim(rest.substr(in + 4));
  }
  size_t close = rest.rfind(')');
  if (close == std::string_view::npos) return std::string(rest.substr(0, rest.find(' ')));
  int depth = 0;
  for (size_t i = close + 1; i-- > 0;) {
    if (rest[i] == ')') ++depth;
    if (rest[i] == '(' && --depth == 0) return std::string(trim(rest.substr(0, i)));
  }
  return std::string(rest.substr(0, rest.find(' ')));
}

}  // namespace

Backtraces parse_gdb_backtraces(std::string_view gdb_output) {
  Backtraces result;
  std::vector<std::string>* frames = nullptr;  // the current thread's list
  while (!gdb_output.empty()) {
    size_t end = gdb_output.find('\n');
    std::string_view line = gdb_output.substr(0, end);
    gdb_output.remove_prefix(end == std::string_view::npos ? gdb_output.size() : end + 1);

    if (line.starts_with("Thread ")) {
      std::optional<int> lwp = number_after(line, "(LWP ");
      if (!lwp) lwp = number_after(line, "(process ");
      frames = lwp ? &result[*lwp] : nullptr;
    } else if (line.starts_with("#") && frames != nullptr) {
      frames->push_back(frame_function(line));
    } else if (trim(line).empty()) {
      frames = nullptr;  // a blank line ends a thread's backtrace
    }
  }
  return result;
}

Backtraces gdb_backtraces(int pid) {
  CommandResult gdb =
      run_command({"gdb", "-batch", "-nx", "-iex", "set debuginfod enabled off", "-p",
                   std::to_string(pid), "-ex", "set pagination off", "-ex", "thread apply all bt"},
                  std::chrono::seconds(60));
  if (gdb.timed_out) throw std::runtime_error("gdb -p " + std::to_string(pid) + " timed out");
  Backtraces result = parse_gdb_backtraces(gdb.out);
  if (result.empty())
    throw std::runtime_error("gdb -p " + std::to_string(pid) + " showed no thread (exit " +
                             std::to_string(gdb.exit_code) + "): " + gdb.err);
  return result;
}

}  // namespace ukstack::test
