#include "unwind/cfi_rules.h"

namespace ukstack::unwind {

OwnedDwarfFrame cfi_frame_at(Dwfl* dwfl, Dwarf_Addr address) {
  OwnedDwarfFrame none(nullptr, &std::free);
  Dwfl_Module* module = dwfl_addrmodule(dwfl, address);
  if (module == nullptr) return none;
  Dwarf_Addr bias = 0;
  Dwarf_Frame* frame = nullptr;
  Dwarf_CFI* cfi = dwfl_module_eh_cfi(module, &bias);
  if (cfi == nullptr || dwarf_cfi_addrframe(cfi, address - bias, &frame) != 0) {
    cfi = dwfl_module_dwarf_cfi(module, &bias);
    if (cfi == nullptr || dwarf_cfi_addrframe(cfi, address - bias, &frame) != 0) return none;
  }
  return OwnedDwarfFrame(frame, &std::free);
}

FoundBy CfiProvenance::caller_found_by(Dwarf_Addr callee_lookup_address) {
  auto [it, inserted] = has_cfi_.try_emplace(callee_lookup_address, false);
  if (inserted) it->second = cfi_frame_at(dwfl_, callee_lookup_address) != nullptr;
  return it->second ? FoundBy::Cfi : FoundBy::FramePointer;
}

}  // namespace ukstack::unwind
