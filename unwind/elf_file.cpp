#include "unwind/elf_file.h"

#include <fcntl.h>
#include <gelf.h>

#include <cerrno>

namespace ukstack::unwind {

Result<UniqueElf> open_elf(const std::string& path, const std::string& role, UniqueFd& fd) {
  return open_elf(path, role, fd, path);
}

Result<UniqueElf> open_elf(const std::string& path, const std::string& role, UniqueFd& fd,
                           const std::string& shown_as) {
  fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Error::from_errno(errno, "cannot open " + role + " " + shown_as);
  elf_version(EV_CURRENT);
  UniqueElf elf(elf_begin(fd.get(), ELF_C_READ_MMAP, nullptr));
  GElf_Ehdr ehdr;
  if (elf == nullptr || elf_kind(elf.get()) != ELF_K_ELF ||
      gelf_getehdr(elf.get(), &ehdr) == nullptr) {
    return Error{0, role + " " + shown_as + " is not an ELF file"};
  }
  return elf;
}

std::optional<ElfSection> find_elf_section(Elf* elf, std::string_view name) {
  std::size_t names = 0;
  if (elf == nullptr || elf_getshdrstrndx(elf, &names) != 0) return std::nullopt;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr header;
    if (gelf_getshdr(scn, &header) == nullptr) continue;
    const char* section_name = elf_strptr(elf, names, header.sh_name);
    if (section_name == nullptr || name != section_name) continue;
    if (header.sh_type == SHT_NOBITS || (header.sh_flags & SHF_COMPRESSED) != 0) {
      return std::nullopt;
    }
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr || data->d_buf == nullptr) return std::nullopt;
    return ElfSection{{static_cast<const std::uint8_t*>(data->d_buf), data->d_size},
                      header.sh_addr};
  }
  return std::nullopt;
}

}  // namespace ukstack::unwind
