// UniqueElf: owns one libelf handle (elf_begin), ended once with elf_end. Header
// only, so the targets that never open an ELF file do not link libelf.
#pragma once

#include <libelf.h>

#include <memory>

namespace ukstack {

struct ElfEnd {
  void operator()(Elf* elf) const { (void)elf_end(elf); }
};
using UniqueElf = std::unique_ptr<Elf, ElfEnd>;

}  // namespace ukstack
