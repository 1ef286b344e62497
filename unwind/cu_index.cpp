#include "unwind/cu_index.h"

#include <elfutils/libdwfl.h>

#include <algorithm>

namespace ukstack::unwind {

const CuIndex::ModuleIndex& CuIndex::index_for(Dwfl_Module* module) {
  auto it = modules_.find(module);
  if (it != modules_.end()) return it->second;
  ModuleIndex index;
  index.dwarf = dwfl_module_getdwarf(module, &index.bias);
  if (index.dwarf != nullptr) {
    Dwarf_Off offset = 0, next = 0;
    std::size_t header_size = 0;
    while (dwarf_nextcu(index.dwarf, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
      Dwarf_Die cu;
      if (dwarf_offdie(index.dwarf, offset + header_size, &cu) != nullptr) {
        Dwarf_Addr base = 0, low = 0, high = 0;
        std::ptrdiff_t at = 0;
        while ((at = dwarf_ranges(&cu, at, &base, &low, &high)) > 0) {
          if (high > low) index.ranges.push_back({low, high, dwarf_dieoffset(&cu)});
        }
      }
      offset = next;
    }
    std::sort(index.ranges.begin(), index.ranges.end(),
              [](const Range& a, const Range& b) { return a.low < b.low; });
  }
  return modules_.emplace(module, std::move(index)).first->second;
}

bool CuIndex::cu_at(Dwfl_Module* module, std::uint64_t address, Dwarf_Die* die, Dwarf_Addr* bias) {
  if (module == nullptr) return false;
  // libdw's own lookup first (.debug_aranges), when the CU it gives really covers
  // the address: in a cgo binary the aranges are gcc's, for its C units only, and
  // libdw (0.188) answers a Go address with one of those.
  if (Dwarf_Die* found = dwfl_module_addrdie(module, address, bias);
      found != nullptr && dwarf_haspc(found, address - *bias) == 1) {
    *die = *found;
    return true;
  }
  const ModuleIndex& index = index_for(module);
  if (index.dwarf == nullptr || index.ranges.empty()) return false;
  Dwarf_Addr relative = address - index.bias;
  // The last range starting at or before the address.
  auto after =
      std::upper_bound(index.ranges.begin(), index.ranges.end(), relative,
                       [](Dwarf_Addr value, const Range& range) { return value < range.low; });
  if (after == index.ranges.begin()) return false;
  const Range& range = *std::prev(after);
  if (relative >= range.high) return false;
  if (dwarf_offdie(index.dwarf, range.cu_offset, die) == nullptr) return false;
  *bias = index.bias;
  return true;
}

bool CuIndex::source_line(Dwfl_Module* module, std::uint64_t address, SourceLine& out) {
  if (module == nullptr) return false;
  Dwarf_Addr libdw_bias = 0;
  Dwarf_Die* libdw_cu = dwfl_module_addrdie(module, address, &libdw_bias);
  const bool libdw_right = libdw_cu != nullptr && dwarf_haspc(libdw_cu, address - libdw_bias) == 1;
  if (Dwfl_Line* line = libdw_right ? dwfl_module_getsrc(module, address) : nullptr) {
    Dwarf_Addr line_address = 0;
    int line_number = 0;
    const char* file = dwfl_lineinfo(line, &line_address, &line_number, nullptr, nullptr, nullptr);
    if (file == nullptr) return false;
    out = {file, line_number, line_address};
    return true;
  }
  Dwarf_Die cu;
  Dwarf_Addr bias = 0;
  if (!cu_at(module, address, &cu, &bias)) return false;
  Dwarf_Line* line = dwarf_getsrc_die(&cu, address - bias);
  if (line == nullptr) return false;
  const char* file = dwarf_linesrc(line, nullptr, nullptr);
  int line_number = 0;
  Dwarf_Addr line_address = 0;
  if (file == nullptr || dwarf_lineno(line, &line_number) != 0 ||
      dwarf_lineaddr(line, &line_address) != 0) {
    return false;
  }
  out = {file, line_number, line_address + bias};
  return true;
}

}  // namespace ukstack::unwind
