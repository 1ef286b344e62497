// What a core file's notes say about the process (NT_PRPSINFO, NT_PRSTATUS,
// NT_AUXV, NT_FILE), read with libelf's note API. A core is untrusted input: a note too
// short for its type, or of another architecture's layout, is skipped.
#pragma once

#include <libelf.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "procfs/syscall.h"
#include "unwind/registers.h"

namespace ukstack::unwind {

struct CoreThreadNote {
  int tid = 0;
  int signal = 0;  // pr_cursig: the signal being delivered when the core was written
  // From the saved registers (pr_reg): in a system call when orig_rax is a number
  // (its arguments in rdi rsi rdx r10 r8 r9), else not; sp and pc either way.
  procfs::SyscallState syscall;
  RegisterSet registers;  // pr_reg: every register, the thread's innermost frame
};

// One file-backed mapping of NT_FILE: [start, end) maps the file from file_offset.
struct CoreFileMapping {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  std::uint64_t file_offset = 0;  // in bytes
  std::string path;               // as the kernel (or gdb) named it when the core was written
};

struct CoreNotes {
  int pid = 0;                // pr_pid of NT_PRPSINFO
  std::string name;           // pr_fname (the kernel's comm, 15 bytes at most)
  std::string arguments;      // pr_psargs: the command line joined by spaces, cut at 80 bytes
  std::optional<char> state;  // pr_sname of the process ('R', 'S', ...)
  std::vector<CoreThreadNote> threads;  // in NT_PRSTATUS order
  std::optional<std::uint64_t> entry;   // AT_ENTRY: the executable's entry point
  std::vector<CoreFileMapping> files;   // NT_FILE, in the note's order
};

// Notes of an x86-64 core; empty fields for what is missing or unreadable.
CoreNotes read_core_notes(Elf* core);

}  // namespace ukstack::unwind
