// Go's function table in an ELF file: the section, and the .text address a Go 1.18+
// table without a textStart of its own is relative to.
#pragma once

#include <optional>

#include "unwind/go_pclntab.h"

typedef struct Elf Elf;

namespace ukstack::unwind {

// The table of `elf` (borrowed from its section data: valid while `elf` is open),
// or none when it has no Go table or one this reader does not understand.
std::optional<GoPclntab> read_go_pclntab(Elf* elf);

}  // namespace ukstack::unwind
