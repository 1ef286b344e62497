// Whether an executable named by --exe is the one a core file was written from, when
// there is no GNU build-id to compare (a Go binary carries only Go's own
// `.note.go.buildid`). libdw takes such an executable on trust; delve too. We compare
// it with what the core recorded of the executable it ran: the entry point (AT_ENTRY),
// the file mappings of its load segments (NT_FILE start, file offset, extent), and the
// bytes the core holds of its ELF header, program headers and notes (where a Go
// binary's build id lives).
#pragma once

#include <libelf.h>

#include <cstdint>

#include "base/result.h"
#include "unwind/core_address_space.h"
#include "unwind/core_notes.h"

namespace ukstack::unwind {

// `load_start` is where the core's executable module begins (libdw's module start).
// Ok when nothing the core recorded differs from `exe` (also when it recorded
// nothing to compare); else an error whose message says, in one clause, what differs.
Status match_executable_with_core(Elf* exe, std::uint64_t load_start, const CoreNotes& notes,
                                  const CoreAddressSpace& memory);

}  // namespace ukstack::unwind
