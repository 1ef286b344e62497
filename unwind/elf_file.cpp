#include "unwind/elf_file.h"

#include <fcntl.h>
#include <gelf.h>

#include <cerrno>

namespace ukstack::unwind {

Result<UniqueElf> open_elf(const std::string& path, const std::string& role, UniqueFd& fd) {
  fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Error::from_errno(errno, "cannot open " + role + " " + path);
  elf_version(EV_CURRENT);
  UniqueElf elf(elf_begin(fd.get(), ELF_C_READ_MMAP, nullptr));
  GElf_Ehdr ehdr;
  if (elf == nullptr || elf_kind(elf.get()) != ELF_K_ELF ||
      gelf_getehdr(elf.get(), &ehdr) == nullptr) {
    return Error{0, role + " " + path + " is not an ELF file"};
  }
  return elf;
}

}  // namespace ukstack::unwind
