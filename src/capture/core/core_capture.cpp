#include "capture/core/core_capture.h"

#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <sstream>

#include "base/format.h"
#include "capture/core/core_input.h"
#include "capture/goroutines.h"
#include "capture/python_threads.h"
#include "capture/thread_builder.h"
#include "capture/waits/waits.h"
#include "procfs/syscall_names.h"
#include "unwind/core_address_space.h"
#include "unwind/core_unwinder.h"
#include "unwind/dwfl_session.h"
#include "unwind/sysroot_files.h"

namespace ukstack {

namespace {

// When the core was written: the file's modification time (a core records no
// wall-clock time of its own; a compressed core's file was written with it). A
// core read from standard input has no file: the time it was read. RFC 3339, UTC.
std::string written_at(const CoreInput& core) {
  struct stat info {};
  const bool has_file = !core.from_stdin() && stat(core.path().shown.c_str(), &info) == 0;
  return rfc3339_utc(has_file ? info.st_mtim.tv_sec : std::time(nullptr));
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
void add_core_goroutines(Snapshot& snapshot, const unwind::CorePath& core_path,
                         const std::string& exe_path, const unwind::AddressSpace* memory,
                         const CaptureOptions& options) {
  auto layout = unwind::load_core_go_runtime_layout(core_path, exe_path, options.unwind.sysroot);
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

// A Python program's frames, read from the core's memory by the same code as live,
// its interpreter found through the core's modules (as they were when it was
// written). Looked for only when the core maps an interpreter's file.
void add_core_python(Snapshot& snapshot, const unwind::CorePath& core_path,
                     const std::string& exe_path, const unwind::CoreNotes& notes,
                     const unwind::AddressSpace* memory, const CaptureOptions& options) {
  if (std::ranges::none_of(notes.files, [](const unwind::CoreFileMapping& file) {
        return unwind::may_hold_python(file.path);
      })) {
    return;
  }
  if (memory == nullptr) {
    add_python_note(snapshot, Error{0, "the core's memory cannot be read"});
    return;
  }
  auto session = unwind::DwflSession::open_core(core_path, exe_path, options.unwind.debug_dirs,
                                                std::chrono::milliseconds(0),
                                                /*attach_threads=*/false, options.unwind.sysroot);
  if (!session) {
    add_python_note(snapshot, session.error());
    return;
  }
  auto program = unwind::find_python_program((*session)->get(), *memory);
  if (!program) {
    add_python_note(snapshot, program.error());
  } else if (*program) {
    add_python_frames(snapshot, **program, read_python(*memory, **program, PythonRead::Core));
  }
}

// The executable's file on this machine, to tell whether it is a Go program: --exe,
// else the core's path for it, under the sysroot when there is one.
std::string executable_file(const std::string& exe_path, const std::string& core_exe,
                            const std::string& sysroot) {
  if (!exe_path.empty() || sysroot.empty()) return exe_path.empty() ? core_exe : exe_path;
  auto under_sysroot = unwind::SysrootFiles(sysroot).path_for(core_exe);
  return under_sysroot ? *under_sysroot : core_exe;
}

}  // namespace

Result<Snapshot> capture_core(const std::string& core_name, const std::string& exe_path,
                              const CaptureOptions& options) {
  auto core = CoreInput::open(core_name);
  if (!core) return core.error();
  const unwind::CorePath& core_path = core->path();
  auto dump = unwind::unwind_core(core_path, exe_path, options.unwind, options.tids);
  if (!dump) return dump.error();
  for (int tid : options.tids) {
    if (std::ranges::none_of(dump->threads, [tid](const auto& t) { return t.tid == tid; })) {
      return Error{ESRCH, "no thread " + std::to_string(tid) + " in core file " + core_path.shown};
    }
  }

  Snapshot snapshot;
  snapshot.source = SnapshotSource::Core;
  snapshot.core_file = core_name;  // as the user gave it: a path, or "-"
  snapshot.captured_at = written_at(*core);
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
  auto memory = unwind::CoreAddressSpace::open(core_path, options.unwind.sysroot);
  add_core_python(snapshot, core_path, exe_path, dump->notes, memory ? &*memory : nullptr, options);
  find_waits(snapshot, WaitSources{.proc = nullptr, .memory = memory ? &*memory : nullptr});
  if (!dump->exe.empty() &&
      unwind::is_go_executable(executable_file(exe_path, dump->exe, options.unwind.sysroot))) {
    add_core_goroutines(snapshot, core_path, exe_path, memory ? &*memory : nullptr, options);
  }
  return snapshot;
}

}  // namespace ukstack
