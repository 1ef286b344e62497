// A core file's threads for libdw's unwinder, attached with dwfl_attach_state in
// place of dwfl_core_file_attach: each NT_PRSTATUS note is a thread, in the notes'
// order, its saved registers the innermost frame; memory is read through
// CoreAddressSpace. libdw's own callbacks read every word of stack through
// elf_getdata_rawchunk, whose cache libelf (0.188) searches linearly: quadratic in
// the words read, 80% of the time on a core of 1,000 threads.
#pragma once

#include <elfutils/libdwfl.h>
#include <libelf.h>

#include <cstddef>
#include <memory>
#include <string>

#include "base/result.h"
#include "unwind/core_address_space.h"
#include "unwind/core_notes.h"

namespace ukstack::unwind {

class CoreThreads {
 public:
  // The threads of `core` (borrowed: it must outlive this object), its left-out
  // pages read from the mapped files, under `sysroot` when not empty.
  static Result<std::unique_ptr<CoreThreads>> read(Elf* core, const std::string& sysroot);
  // Gives libdw the threads of `dwfl`, whose modules were reported from the same
  // core. This object must outlive the Dwfl.
  Status attach(Dwfl* dwfl, Elf* core);

  CoreThreads(const CoreThreads&) = delete;
  CoreThreads& operator=(const CoreThreads&) = delete;

 private:
  CoreThreads(CoreNotes notes, CoreAddressSpace memory)
      : notes_(std::move(notes)), memory_(std::move(memory)) {}

  // libdw's C callbacks; they never throw. A thread's argument is its note.
  static pid_t next_thread(Dwfl*, void* self, void** thread_arg);
  static bool get_thread(Dwfl*, pid_t tid, void* self, void** thread_arg);
  static bool memory_read(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* self);
  static bool set_initial_registers(Dwfl_Thread* thread, void* thread_arg);

  CoreNotes notes_;
  CoreAddressSpace memory_;
  std::size_t next_ = 0;  // the note next_thread gives next
};

}  // namespace ukstack::unwind
