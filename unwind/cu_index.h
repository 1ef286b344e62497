// The compilation unit that covers an address, also in modules whose DWARF has no
// .debug_aranges. libdw (before 0.191) finds a CU only through .debug_aranges, and
// Go's linker does not write that section: every dwfl_module_addrdie and
// dwfl_module_getsrc on a Go binary fails, so Go frames had names (from the ELF
// symbol table) but no file:line. Here the CUs' own DW_AT_low_pc/high_pc/ranges are
// indexed once per module when libdw's lookup fails, as gdb and binutils do.
#pragma once

#include <elfutils/libdw.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

typedef struct Dwfl_Module Dwfl_Module;

namespace ukstack::unwind {

struct SourceLine {
  std::string file;
  int line = 0;
  std::uint64_t address = 0;  // absolute address where the line's record begins
};

class CuIndex {
 public:
  // The CU DIE covering `address` (absolute) in `die`, and the module's bias in
  // `bias`. False when the module has no DWARF for the address.
  bool cu_at(Dwfl_Module* module, std::uint64_t address, Dwarf_Die* die, Dwarf_Addr* bias);

  // The line record for `address` (absolute); false when there is none.
  bool source_line(Dwfl_Module* module, std::uint64_t address, SourceLine& out);

 private:
  struct Range {
    Dwarf_Addr low = 0;   // module-relative (before bias)
    Dwarf_Addr high = 0;  // exclusive
    Dwarf_Off cu_offset = 0;
  };
  struct ModuleIndex {
    Dwarf* dwarf = nullptr;
    Dwarf_Addr bias = 0;
    std::vector<Range> ranges;  // sorted by low
  };
  const ModuleIndex& index_for(Dwfl_Module* module);

  std::unordered_map<Dwfl_Module*, ModuleIndex> modules_;
};

}  // namespace ukstack::unwind
