// Inlined calls at one address, from DWARF alone: given a module and an address in
// it, the chain of DW_TAG_inlined_subroutine scopes that contain the address, each
// with the source position of its call. Works on any Dwfl_Module (a live process, a
// core file or a file on disk): nothing here reads process memory.
#pragma once

#include <elfutils/libdw.h>

#include <cstdint>
#include <string>
#include <vector>

typedef struct Dwfl_Module Dwfl_Module;

namespace ukstack::unwind {

struct InlinedCall {
  std::string function;   // the inlined function, demangled
  std::string call_file;  // where it was called from (in the next outer function)
  int call_line = 0;
};

// Innermost first. Empty when the address is in no inlined call, or the module has
// no DWARF for it. `address` is absolute (as in the process), not module-relative.
std::vector<InlinedCall> inlined_calls(Dwfl_Module* module, std::uint64_t address);

// The same, in an already found CU (`bias`: the module's, as libdw gives it).
std::vector<InlinedCall> inlined_calls(Dwarf_Die* cu, std::uint64_t bias, std::uint64_t address);

}  // namespace ukstack::unwind
