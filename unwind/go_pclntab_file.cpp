#include "unwind/go_pclntab_file.h"

#include "unwind/elf_file.h"

namespace ukstack::unwind {

std::optional<GoPclntab> read_go_pclntab(Elf* elf) {
  auto text = find_elf_section(elf, ".text");
  for (std::string_view name : kGoPclntabSections) {
    if (auto section = find_elf_section(elf, name)) {
      return GoPclntab::parse(section->bytes, text ? text->address : 0);
    }
  }
  return std::nullopt;
}

}  // namespace ukstack::unwind
