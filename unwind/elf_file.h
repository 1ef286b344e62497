// Opening an ELF file by path (the fd and the libelf handle, both owned), and finding
// a section of it by name.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/unique_elf.h"
#include "base/unique_fd.h"

namespace ukstack::unwind {

// The file at `path` as an ELF handle (mmapped; `fd` keeps the file open for as long
// as the handle lives), or an error naming the file by its `role` ("core file",
// "executable") when it cannot be opened or is not ELF.
Result<UniqueElf> open_elf(const std::string& path, const std::string& role, UniqueFd& fd);
// The same, with the errors naming the file `shown_as` (a core decompressed into a
// memory file is opened as /proc/self/fd/N but named as the user gave it).
Result<UniqueElf> open_elf(const std::string& path, const std::string& role, UniqueFd& fd,
                           const std::string& shown_as);

struct ElfSection {
  std::span<const std::uint8_t> bytes;  // borrowed from the handle: valid while it lives
  std::uint64_t address = 0;            // where the file links it (sh_addr)
};

// The section called `name`, with its bytes as the file holds them; none when there
// is no such section or it has no bytes in the file (SHT_NOBITS, compressed).
std::optional<ElfSection> find_elf_section(Elf* elf, std::string_view name);

}  // namespace ukstack::unwind
