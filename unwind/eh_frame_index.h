// The search table of a module's .eh_frame, for a module linked without an
// .eh_frame_hdr: gcc links -static programs without one (its spec passes
// --eh-frame-hdr only to dynamic links), and libunwind finds an FDE only through
// that table. Built from the section with libdw's CFI reader (dwarf_next_cfi), in
// the layout the linker writes into .eh_frame_hdr: (initial location, FDE address)
// pairs sorted by location, each a signed 32-bit offset from one base.
#pragma once

#include <libelf.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace ukstack::unwind {

struct EhFrameIndex {
  // The offsets' base: where .eh_frame is in the process (its address plus the
  // module's bias).
  std::uint64_t base = 0;
  // location, FDE, location, FDE, ...: each minus `base`; sorted by location.
  std::vector<std::int32_t> entries;

  std::size_t size() const { return entries.size() / 2; }
};

// nullopt when the file has no .eh_frame or no FDE this reading understands (an
// FDE whose CIE uses a pointer encoding other than absolute or pc-relative
// fixed-size values is left out: libunwind then finds no unwind info there).
std::optional<EhFrameIndex> eh_frame_index(Elf* elf, std::uint64_t bias);

}  // namespace ukstack::unwind
