#include "unwind/core_threads.h"

#include <cstdint>
#include <utility>

#include "unwind/dwfl_session.h"

namespace ukstack::unwind {

Result<std::unique_ptr<CoreThreads>> CoreThreads::read(Elf* core, const std::string& sysroot) {
  auto memory = CoreAddressSpace::from_elf(core, sysroot);
  if (!memory) return memory.error();
  CoreNotes notes = read_core_notes(core);
  // As dwfl_core_file_attach: the process note names the process libdw unwinds.
  // read_core_notes reads x86-64 cores only.
  if (notes.pid <= 0) return Error{0, "no process note (NT_PRPSINFO) of an x86-64 core"};
  return std::unique_ptr<CoreThreads>(new CoreThreads(std::move(notes), std::move(*memory)));
}

Status CoreThreads::attach(Dwfl* dwfl, Elf* core) {
  static const Dwfl_Thread_Callbacks kCallbacks = {
      .next_thread = &CoreThreads::next_thread,
      .get_thread = &CoreThreads::get_thread,
      .memory_read = &CoreThreads::memory_read,
      .set_initial_registers = &CoreThreads::set_initial_registers,
      .detach = nullptr,
      .thread_detach = nullptr,
  };
  if (!dwfl_attach_state(dwfl, core, notes_.pid, &kCallbacks, this)) return Error{0, libdw_error()};
  return {};
}

pid_t CoreThreads::next_thread(Dwfl*, void* self, void** thread_arg) {
  auto* threads = static_cast<CoreThreads*>(self);
  if (threads->next_ >= threads->notes_.threads.size()) {
    threads->next_ = 0;  // a later dwfl_getthreads starts again from the first
    return 0;
  }
  CoreThreadNote& note = threads->notes_.threads[threads->next_++];
  *thread_arg = &note;
  return note.tid;
}

bool CoreThreads::get_thread(Dwfl*, pid_t tid, void* self, void** thread_arg) {
  for (CoreThreadNote& note : static_cast<CoreThreads*>(self)->notes_.threads) {
    if (note.tid != tid) continue;
    *thread_arg = &note;
    return true;
  }
  return false;
}

bool CoreThreads::memory_read(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* self) {
  auto word = static_cast<CoreThreads*>(self)->memory_.read_value<std::uint64_t>(RemoteAddr(addr));
  if (!word) return false;
  *result = *word;
  return true;
}

bool CoreThreads::set_initial_registers(Dwfl_Thread* thread, void* thread_arg) {
  const RegisterSet& registers = static_cast<CoreThreadNote*>(thread_arg)->registers;
  // Register 16 (rip) is the return-address column libdw takes the pc from.
  return dwfl_thread_state_registers(thread, 0, kDwarfRegisterCount, registers.values.data());
}

}  // namespace ukstack::unwind
