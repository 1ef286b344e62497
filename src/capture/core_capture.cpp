#include "capture/core_capture.h"

#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <sstream>

#include "base/format.h"
#include "capture/goroutines.h"
#include "capture/thread_builder.h"
#include "capture/waits.h"
#include "procfs/syscall_names.h"
#include "unwind/core_address_space.h"
#include "unwind/core_unwinder.h"

namespace ukstack {

namespace {

// When the core was written: the file's modification time (a core records no
// wall-clock time of its own). RFC 3339, UTC.
std::string written_at(const std::string& path) {
  struct stat info {};
  std::time_t when = stat(path.c_str(), &info) == 0 ? info.st_mtim.tv_sec : std::time(nullptr);
  return rfc3339_utc(when);
}

// pr_psargs is the command line joined by spaces (and cut at 80 bytes): its words
// are what can be had back.
std::vector<std::string> words(const std::string& joined) {
  std::vector<std::string> out;
  std::istringstream in(joined);
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

// The kernel writes the thread that took the fatal signal first, and the signal in
// every thread's NT_PRSTATUS: it is said once, on that first thread.
std::string signal_note(int signal) {
  const char* abbreviation = sigabbrev_np(signal);
  std::string name = abbreviation != nullptr ? std::string("SIG") + abbreviation : "signal";
  return name + " (" + std::to_string(signal) + ") was being delivered when the core was written";
}

// The system call the saved registers show. No file descriptors are described: what
// they were open on is not in a core.
std::optional<SyscallInfo> core_syscall(const std::optional<procfs::SyscallState>& state) {
  if (!state || state->kind != procfs::SyscallState::Kind::InSyscall) return std::nullopt;
  SyscallInfo info;
  info.nr = state->nr;
  info.name = std::string(procfs::syscall_name(state->nr));
  info.args.assign(state->args.begin(), state->args.end());
  return info;
}

// A Go program's goroutines, read from the core's memory by the same code as live
// and unwound over the core's modules: one instant, the one the core was written.
void add_core_goroutines(Snapshot& snapshot, const std::string& core_path,
                         const std::string& exe_path, const unwind::AddressSpace* memory,
                         const CaptureOptions& options) {
  auto layout = unwind::load_core_go_runtime_layout(core_path, exe_path);
  if (!layout || memory == nullptr) {
    add_goroutine_note(snapshot, GoProgram{std::nullopt, layout ? "the core's memory cannot be read"
                                                                : layout.error().message});
    return;
  }
  auto unwinder = unwind::open_core_stack_unwinder(core_path, exe_path, *memory, options.unwind);
  GoroutineCapture capture = read_goroutine_stacks(*memory, *layout);
  if (!unwinder) {
    capture.notes.push_back("the goroutines cannot be unwound: " + unwinder.error().message);
  }
  add_goroutines(snapshot, std::move(capture), unwinder ? unwinder->get() : nullptr,
                 GoroutineRead::Core, std::nullopt);
}

}  // namespace

Result<Snapshot> capture_core(const std::string& core_path, const std::string& exe_path,
                              const CaptureOptions& options) {
  auto dump = unwind::unwind_core(core_path, exe_path, options.unwind, options.tids);
  if (!dump) return dump.error();
  for (int tid : options.tids) {
    if (std::ranges::none_of(dump->threads, [tid](const auto& t) { return t.tid == tid; })) {
      return Error{ESRCH, "no thread " + std::to_string(tid) + " in core file " + core_path};
    }
  }

  Snapshot snapshot;
  snapshot.source = SnapshotSource::Core;
  snapshot.core_file = core_path;
  snapshot.captured_at = written_at(core_path);
  snapshot.arch = dump->arch;  // the kernel's release is not in a core: left empty
  snapshot.process.pid = dump->pid;
  snapshot.process.exe = dump->exe;
  snapshot.process.name = dump->notes.name;
  snapshot.process.cmdline = words(dump->notes.arguments);
  for (auto& core_thread : dump->threads) {
    Thread thread;
    thread.tid = core_thread.tid;
    thread.name = dump->notes.name;  // cores have no per-thread names
    thread.kernel.method = StackMethod::None;
    thread.user.method = StackMethod::Libdw;
    thread.syscall = core_syscall(core_thread.syscall);
    for (auto& frame : core_thread.stack.frames)
      thread.user.frames.push_back(to_frame(std::move(frame)));
    thread.user.error = std::move(core_thread.stack.error);
    const bool first_in_core =
        !dump->notes.threads.empty() && dump->notes.threads.front().tid == thread.tid;
    if (first_in_core && core_thread.signal != 0) {
      thread.notes.push_back(signal_note(core_thread.signal));
    }
    snapshot.threads.push_back(std::move(thread));
  }
  // Lock owners from the core's memory, read by the same code as live; no /proc.
  // A core whose memory cannot be opened again keeps its stacks without waits.
  auto memory = unwind::CoreAddressSpace::open(core_path);
  find_waits(snapshot, WaitSources{.proc = nullptr, .memory = memory ? &*memory : nullptr});
  if (!dump->exe.empty() && unwind::is_go_executable(dump->exe)) {
    add_core_goroutines(snapshot, core_path, exe_path, memory ? &*memory : nullptr, options);
  }
  return snapshot;
}

}  // namespace ukstack
