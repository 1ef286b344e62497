// Postmortem: the user stacks of every thread of a core file, unwound with libdw
// as eu-stack --core does (dwfl_core_file_report; the threads of the core's
// NT_PRSTATUS notes attached by CoreThreads, then dwfl_getthreads in their order),
// symbolized like a live capture.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "unwind/core_notes.h"
#include "unwind/core_path.h"
#include "unwind/unwinder.h"

namespace ukstack::unwind {

struct CoreThreadStack {
  int tid = 0;
  int signal = 0;  // the signal being delivered when the core was written, 0 if none
  // The system call its saved registers show; nullopt when the core has no
  // NT_PRSTATUS for it.
  std::optional<procfs::SyscallState> syscall;
  UnwoundStack stack;
};

struct CoreDump {
  int pid = 0;       // libdw's (dwfl_pid), else NT_PRPSINFO's
  CoreNotes notes;   // name, command line, state
  std::string exe;   // --exe, else the path of the module holding the entry point
  std::string arch;  // "x86_64", from the core's e_machine
  std::vector<CoreThreadStack> threads;  // in the core's order
};

// An Error when nothing can be read: the core cannot be opened or is not an ELF
// core, or `exe_path` (may be empty) is not the core's executable. `tids`, when not
// empty, selects threads. options.backend is not used: cores are read with libdw;
// options.sysroot, when set, is where the modules' files are looked up.
Result<CoreDump> unwind_core(const CorePath& core_path, const std::string& exe_path,
                             const UnwindOptions& options, const std::vector<int>& tids);

}  // namespace ukstack::unwind
