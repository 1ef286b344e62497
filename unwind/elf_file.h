// Opening an ELF file by path: the fd and the libelf handle, both owned.
#pragma once

#include <string>

#include "base/result.h"
#include "base/unique_elf.h"
#include "base/unique_fd.h"

namespace ukstack::unwind {

// The file at `path` as an ELF handle (mmapped; `fd` keeps the file open for as long
// as the handle lives), or an error naming the file by its `role` ("core file",
// "executable") when it cannot be opened or is not ELF.
Result<UniqueElf> open_elf(const std::string& path, const std::string& role, UniqueFd& fd);

}  // namespace ukstack::unwind
