// DWARF CFI lookups libdw does not expose itself: the CFI row that covers an
// address (as libdwfl's frame_unwind.c finds it), and from that, how libdw found
// each caller while it walked a stack.
#pragma once

#include <elfutils/libdwfl.h>

#include <cstdlib>
#include <memory>
#include <unordered_map>

#include "unwind/unwinder.h"

namespace ukstack::unwind {

using OwnedDwarfFrame = std::unique_ptr<Dwarf_Frame, decltype(&std::free)>;

// The CFI row for `address` (absolute; already pc - 1 for a caller), from its
// module's .eh_frame, else its .debug_frame; null when neither covers it.
OwnedDwarfFrame cfi_frame_at(Dwfl* dwfl, Dwarf_Addr address);

// libdw says nothing of how it found a frame, but its rule is simple (libdwfl's
// frame_unwind.c, elfutils 0.188): the callee's CFI (.eh_frame, then .debug_frame)
// when some covers the callee's lookup address, else the architecture's frame-
// pointer unwinder (backends/x86_64_unwind.c: return address at rbp + 8).
// Answers are kept by address for the Dwfl's life.
class CfiProvenance {
 public:
  explicit CfiProvenance(Dwfl* dwfl) : dwfl_(dwfl) {}
  FoundBy caller_found_by(Dwarf_Addr callee_lookup_address);

 private:
  Dwfl* dwfl_;
  std::unordered_map<Dwarf_Addr, bool> has_cfi_;
};

}  // namespace ukstack::unwind
