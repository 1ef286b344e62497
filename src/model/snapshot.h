// The snapshot model: what one capture saw. Renderers take a Snapshot and nothing
// else, so a saved snapshot re-renders exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/found_by.h"

namespace ukstack {

// Where a snapshot came from.
enum class SnapshotSource { Live, Core };

// How a half was had: the kernel half from /proc (procfs); the user half unwound
// by libdw or libunwind after a stop, or without any stop (nostop); none when
// there is no half (a kernel thread's user half, a core's kernel half).
enum class StackMethod { None, Procfs, Nostop, Libdw, Libunwind };

// The names the JSON schema and the text output use, and back (nullopt: unknown).
std::string_view to_string(SnapshotSource source);
std::string_view to_string(StackMethod method);
std::optional<SnapshotSource> parse_snapshot_source(std::string_view text);
std::optional<StackMethod> parse_stack_method(std::string_view text);

struct Frame {
  std::optional<std::uint64_t> pc;    // user frames; kernel frames only when the kernel shows it
  std::string function;               // demangled; empty when unknown
  std::uint64_t offset = 0;           // from the start of `function`
  std::optional<std::uint64_t> size;  // kernel frames: the function's size
  std::optional<std::string> module;  // path of the ELF for user frames; kernel module name or null
  std::optional<std::string> file;
  std::optional<int> line;
  bool inlined = false;
  std::optional<FoundBy> found_by;  // user frames; none for kernel frames and older snapshots
};

struct Stack {
  std::vector<Frame> frames;
  std::optional<std::string> error;  // why the half is missing or cut short
  StackMethod method = StackMethod::None;
};

struct FdDescription {
  int arg = 0;  // index of the argument
  int fd = -1;
  std::string target;       // readlink text: "socket:[81234]"
  std::string description;  // "tcp 127.0.0.1:1337 LISTEN"
};

struct SyscallInfo {
  long nr = -1;
  std::string name;                 // "accept"; empty when unknown
  std::vector<std::uint64_t> args;  // six on x86-64
  std::vector<FdDescription> fds;
};

struct Thread {
  int tid = 0;
  std::string name;
  std::string state;  // one letter as in /proc ("S", "D", ...), "X" when it exited
  std::string wchan;
  std::optional<SyscallInfo> syscall;
  Stack kernel;
  Stack user;
  std::vector<std::string> notes;
};

// Threads with the same combined stack (analysis/groups.h): one story, told once.
struct ThreadGroup {
  std::vector<int> tids;  // in the snapshot's order
};

struct ProcessInfo {
  int pid = 0;
  std::string exe;
  std::vector<std::string> cmdline;
  std::string name;
};

struct Snapshot {
  SnapshotSource source = SnapshotSource::Live;
  std::optional<std::string> core_file;  // the core file's path, for source "core"
  std::string captured_at;               // RFC 3339, UTC
  std::string kernel;                    // uname -r
  std::string arch;                      // uname -m
  ProcessInfo process;
  std::vector<Thread> threads;
  // Filled by the analysis (group_threads), not by a capture; not in the JSON of
  // schema ukstack.snapshot/1.
  std::vector<ThreadGroup> groups;
  // goroutines: later issue; rendered as [] until then.
};

}  // namespace ukstack
