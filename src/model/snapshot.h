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
enum class StackMethod { None, Procfs, Bpf, Nostop, Libdw, Libunwind };

// The names the JSON schema and the text output use, and back (nullopt: unknown).
std::string_view to_string(SnapshotSource source);
std::string_view to_string(StackMethod method);
std::optional<SnapshotSource> parse_snapshot_source(std::string_view text);
std::optional<StackMethod> parse_stack_method(std::string_view text);

// What a user frame is: machine code of a native module, a Python function read
// from the interpreter's own frames (issue 14), or JIT-compiled code named from
// the program's perf map.
enum class FrameLanguage { Native, Python, Jit };
std::string_view to_string(FrameLanguage language);  // "native", "python", "jit"
std::optional<FrameLanguage> parse_frame_language(std::string_view text);

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
  // User frames in an ELF module, so another machine can name them (--resymbolize):
  // the module's GNU build-id in lower-case hex, and the pc in the ELF file's own
  // address space (pc minus the module's load bias: what `eu-addr2line -e MODULE`
  // takes, for PIE, non-PIE and shared libraries alike). Inlined frames share their
  // physical frame's. None when the module or its build-id is not known.
  std::optional<std::string> build_id;
  std::optional<std::uint64_t> module_offset;
  // Python frames have no pc and no module: function is the code object's
  // qualified name, file and line its source. JIT frames have a pc and the
  // perf map's name in function, no module.
  FrameLanguage language = FrameLanguage::Native;
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

// What a blocked thread waits for (issue 10, part 3), read from the target at
// capture time: a lock's owner from its memory, the other end of a pipe or socket
// from /proc, children from /proc, file-lock holders from /proc/locks.
enum class WaitKind { Mutex, Rwlock, Pipe, Fifo, Socket, Child, FileLock, Gil };
// "mutex", "rwlock", "pipe", "fifo", "socket", "child", "file_lock", "gil"
std::string_view to_string(WaitKind kind);
std::optional<WaitKind> parse_wait_kind(std::string_view text);

// Who holds what a thread waits for: a thread (tid set: a mutex's owner, an rwlock's
// writer) or a process (tid unset: the other end of a pipe, a socket's peer, a child,
// a file lock's holder). Tids and pids are the host's (the capture's PID namespace),
// so holders in other captured processes join one graph.
struct WaitHolder {
  int pid = 0;
  std::optional<int> tid;
  std::string name;   // the thread's or process's name (from the target: escape)
  std::string state;  // one letter as in /proc; empty when unknown
  // The system call a holder process was blocked in ("nanosleep"; its main thread's),
  // read with the holder: a process that is not captured is seen through this alone.
  std::optional<std::string> syscall;
};

struct Wait {
  WaitKind kind = WaitKind::Mutex;
  std::optional<std::uint64_t> address;  // a lock's address in the target
  // The resource in words, with its identity, the same for every waiter on it:
  // "mutex 0x55d0a0c0e040", "pipe:[81234]", "unix socket:[5678]", "children of 812",
  // "flock /var/lib/app/lock (inode 1234)".
  std::string description;
  // Any one holder moving lets the waiter on (the other end of a pipe may be held
  // by several processes). Empty: the holder is unknown, and `reason` says why.
  std::vector<WaitHolder> holders;
  std::optional<std::string> reason;
};

// stuck: the same combined stack in every sample and no CPU time or context
// switch in between; waking: the same stack, but it ran in between (a poll loop
// with a timeout); moving: its stack changed (issue 10, part 5).
enum class Progress { Stuck, Waking, Moving };
std::string_view to_string(Progress progress);
std::optional<Progress> parse_progress(std::string_view text);

// What a live capture read of a thread's scheduling, to tell stuck from waking
// across samples. Not part of the JSON: progress is what it is used for. The
// switches are read (from status) only where the kernel keeps no schedstat, and
// are 0 otherwise: schedstat's times_run already counts every switch.
struct ThreadActivity {
  std::uint64_t cpu_ns = 0;     // schedstat's time on a CPU
  std::uint64_t times_run = 0;  // schedstat's count of times it was put on a CPU
  std::uint64_t voluntary_switches = 0;
  std::uint64_t involuntary_switches = 0;
  bool operator==(const ThreadActivity&) const = default;
};

struct Thread {
  int tid = 0;
  std::string name;
  std::string state;  // one letter as in /proc ("S", "D", ...), "X" when it exited
  std::string wchan;
  std::optional<SyscallInfo> syscall;
  Stack kernel;
  Stack user;
  std::vector<Wait> waits_for;
  std::optional<Progress> progress;
  std::optional<ThreadActivity> activity;  // live captures only; not in the JSON
  // Go programs: set for a thread the Go runtime made (an M). Its goroutine id,
  // or nullopt inside when it runs none (idle in the scheduler).
  std::optional<std::optional<std::uint64_t>> go_goroutine;
  std::vector<std::string> notes;
};

// One goroutine of a Go program (issue 11), from the runtime's own data.
struct Goroutine {
  std::uint64_t goid = 0;
  std::string status;       // as Go's traceback names it: "waiting", "running", "syscall"...
  std::string wait_reason;  // "IO wait", "chan receive"; empty when none
  // runtime nanotime() when its wait began, where the runtime recorded it (a GC
  // records it), and how long it had waited at the capture (live only).
  std::optional<std::int64_t> wait_since;
  std::optional<std::int64_t> waited_ns;
  std::optional<Frame> created_by;  // the function whose go statement made it
  std::optional<int> tid;           // the thread it runs on (running, in a system call)
  Stack stack;                      // its frames, innermost first (user only)
  std::vector<std::string> notes;
};

// Goroutines with the same stack, status and wait reason: 10,000 on one channel
// are one entry.
struct GoroutineGroup {
  std::vector<std::uint64_t> goids;  // in the snapshot's order
};

// How the goroutines were read: the instant they show.
enum class GoroutineRead {
  Stopped,        // --stop all: while every thread was stopped
  CheckedNoStop,  // without a stop, and read again after: what changed was re-read or marked
  Core,           // from a core file
};
std::string_view to_string(GoroutineRead read);
std::optional<GoroutineRead> parse_goroutine_read(std::string_view text);

// Threads with the same combined stack (analysis/groups.h): one story, told once.
struct ThreadGroup {
  std::vector<int> tids;  // in the snapshot's order
};

// A cycle in the wait graph (analysis/deadlocks.h): every thread in it waits for
// something held by the next, and none of them can move. May span processes.
struct Deadlock {
  std::vector<int> tids;               // in the order of the cycle
  std::vector<std::string> resources;  // the Wait descriptions, resources[i] held by tids[i+1]
};

// Several captures of one process through one session (--samples N --interval MS);
// the snapshot shows the last, with each thread's progress across all of them.
struct SampleInfo {
  int count = 0;
  int interval_ms = 0;
};

// A Python program's interpreter (issue 14), as the capture read it.
struct PythonInfo {
  std::string version;            // "3.11.2"
  std::string layouts_from;       // "debug info", "_Py_DebugOffsets", "built-in table"
  std::optional<int> gil_holder;  // the thread holding the GIL; none when none does
  // Where the holder is: "zlib_compress_impl, called from compressor (app.py:80)".
  std::string gil_holder_in;
  std::vector<std::string> notes;  // what could not be read
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
  // "procfs" (the /proc and ptrace engine), "bpf" (later), empty for a core.
  std::string engine;
  std::vector<Thread> threads;
  // Filled by the analysis (group_threads, find_deadlocks), not by a capture.
  std::vector<ThreadGroup> groups;
  std::vector<Deadlock> deadlocks;
  std::optional<SampleInfo> samples;
  // Go programs (issue 11); all empty for others.
  std::vector<Goroutine> goroutines;
  std::vector<GoroutineGroup> goroutine_groups;  // filled by the analysis
  std::optional<GoroutineRead> goroutines_read;  // set when the goroutines were read
  std::vector<std::string> goroutine_notes;      // why they could not be read, or only in part
  // Python programs (issue 14): set when the interpreter was found.
  std::optional<PythonInfo> python;
};

}  // namespace ukstack
