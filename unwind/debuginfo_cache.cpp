#include "unwind/debuginfo_cache.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "base/unique_elf.h"

namespace ukstack::unwind {

namespace {

using BuildId = std::vector<unsigned char>;

Error elf_error(const std::string& what) { return Error{0, what + ": " + elf_errmsg(-1)}; }

void init_libelf() {
  static const bool ready = elf_version(EV_CURRENT) != EV_NONE;
  (void)ready;
}

BuildId build_id(Elf* elf) {
  const void* bits = nullptr;
  ssize_t size = dwelf_elf_gnu_build_id(elf, &bits);
  if (size <= 0) return {};
  const auto* bytes = static_cast<const unsigned char*>(bits);
  return BuildId(bytes, bytes + size);
}

std::string to_hex(const BuildId& id) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(id.size() * 2);
  for (unsigned char byte : id) {
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 0xf];
  }
  return hex;
}

struct Sections {
  bool compressed = false;  // some section is SHF_COMPRESSED or a GNU ".zdebug*"
  bool altlink = false;     // has .gnu_debugaltlink (dwz)
};

Sections classify_sections(Elf* elf) {
  Sections found;
  std::size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) return found;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type == SHT_NOBITS) continue;
    if ((shdr.sh_flags & SHF_COMPRESSED) != 0) found.compressed = true;
    const char* name = elf_strptr(elf, shstrndx, shdr.sh_name);
    if (name == nullptr) continue;
    const std::string_view view(name);
    if (view.starts_with(".zdebug")) found.compressed = true;
    if (view == ".gnu_debugaltlink") found.altlink = true;
  }
  return found;
}

// The file may be used: a regular file (or directory) of the effective user that
// nobody else can write.
bool trusted(const struct stat& st) {
  return st.st_uid == ::geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

// `path` if it is a trusted, uncompressed ELF file with this build-id.
UniqueFd open_verified(const std::string& path, const BuildId& id) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return {};
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || !trusted(st)) return {};
  UniqueElf elf(elf_begin(fd.get(), ELF_C_READ_MMAP, nullptr));
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF) return {};
  if (build_id(elf.get()) != id) return {};
  const Sections sections = classify_sections(elf.get());
  if (sections.compressed || sections.altlink) return {};
  return fd;
}

// mkdir -p, then insist the leaf is ours and private enough to trust.
Status make_directory(const std::string& directory) {
  mode_t mode = directory.starts_with("/var/cache/") ? 0755 : 0700;
  for (std::size_t slash = directory.find('/', 1);; slash = directory.find('/', slash + 1)) {
    std::string prefix = directory.substr(0, slash);
    if (::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
      return Error::from_errno(errno, "cannot create " + prefix);
    }
    if (slash == std::string::npos) break;
  }
  struct stat st;
  if (::lstat(directory.c_str(), &st) != 0)
    return Error::from_errno(errno, "cannot stat " + directory);
  if (!S_ISDIR(st.st_mode) || !trusted(st)) {
    return Error{0, directory + " is not a private directory of this user; not caching there"};
  }
  return {};
}

// Writes `in` to `out_fd` with every compressed section expanded. `in`'s sections
// are decompressed in memory (libelf's elf_compress / elf_compress_gnu); section
// order and indices are kept, so sh_link / sh_info stay right; libelf lays the
// file out anew. A ".zdebug_x" name becomes ".debug_x" in place in a copy of the
// section-name table (one byte shorter, padded with a NUL).
Status write_uncompressed(Elf* in, int out_fd) {
  GElf_Ehdr ehdr;
  std::size_t shstrndx = 0;
  std::size_t phnum = 0;
  if (gelf_getehdr(in, &ehdr) == nullptr || elf_getshdrstrndx(in, &shstrndx) != 0 ||
      elf_getphdrnum(in, &phnum) != 0) {
    return elf_error("cannot read the ELF header");
  }
  if (shstrndx >= SHN_LORESERVE) return Error{0, "too many sections to copy"};

  std::vector<GElf_Word> renamed;  // sh_name offsets of .zdebug sections
  for (Elf_Scn* scn = elf_nextscn(in, nullptr); scn != nullptr; scn = elf_nextscn(in, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr) return elf_error("cannot read a section header");
    if (shdr.sh_type == SHT_NOBITS) continue;
    const char* name = elf_strptr(in, shstrndx, shdr.sh_name);
    if ((shdr.sh_flags & SHF_COMPRESSED) != 0) {
      if (elf_compress(scn, 0, 0) < 0) return elf_error("cannot decompress a section");
    } else if (name != nullptr && std::string_view(name).starts_with(".zdebug")) {
      if (elf_compress_gnu(scn, 0, 0) < 0) return elf_error("cannot decompress a .zdebug section");
      renamed.push_back(shdr.sh_name);
    }
  }

  std::vector<char> names;  // the section-name table, when names change
  if (!renamed.empty()) {
    Elf_Data* data = elf_getdata(elf_getscn(in, shstrndx), nullptr);
    if (data == nullptr || data->d_buf == nullptr) return elf_error("cannot read section names");
    const char* begin = static_cast<const char*>(data->d_buf);
    names.assign(begin, begin + data->d_size);
    for (GElf_Word offset : renamed) {
      if (offset + 1 >= names.size()) return Error{0, "bad section name offset"};
      char* name = names.data() + offset;
      std::size_t length = ::strnlen(name, names.size() - offset);
      std::memmove(name + 1, name + 2, length - 2);  // ".zdebug_x" -> ".debug_x"
      name[length - 1] = '\0';
    }
  }

  UniqueElf out(elf_begin(out_fd, ELF_C_WRITE, nullptr));
  if (!out || gelf_newehdr(out.get(), gelf_getclass(in)) == nullptr) {
    return elf_error("cannot start the copy");
  }
  if (phnum > 0) {
    if (gelf_newphdr(out.get(), phnum) == nullptr) return elf_error("cannot copy program headers");
    for (std::size_t i = 0; i < phnum; ++i) {
      GElf_Phdr phdr;
      if (gelf_getphdr(in, static_cast<int>(i), &phdr) == nullptr ||
          gelf_update_phdr(out.get(), static_cast<int>(i), &phdr) == 0) {
        return elf_error("cannot copy program headers");
      }
    }
  }
  for (Elf_Scn* scn = elf_nextscn(in, nullptr); scn != nullptr; scn = elf_nextscn(in, scn)) {
    Elf_Scn* copy = elf_newscn(out.get());
    GElf_Shdr shdr;
    if (copy == nullptr || gelf_getshdr(scn, &shdr) == nullptr)
      return elf_error("cannot copy a section");
    if (Elf_Data* data = elf_getdata(scn, nullptr); data != nullptr) {
      Elf_Data* copied = elf_newdata(copy);
      if (copied == nullptr) return elf_error("cannot copy section data");
      *copied = *data;
      if (elf_ndxscn(scn) == shstrndx && !names.empty()) copied->d_buf = names.data();
    }
    if (gelf_update_shdr(copy, &shdr) == 0) return elf_error("cannot copy a section header");
  }
  GElf_Ehdr out_ehdr;
  if (gelf_getehdr(out.get(), &out_ehdr) == nullptr) return elf_error("cannot copy the ELF header");
  std::memcpy(out_ehdr.e_ident, ehdr.e_ident, EI_NIDENT);
  out_ehdr.e_type = ehdr.e_type;
  out_ehdr.e_machine = ehdr.e_machine;
  out_ehdr.e_version = ehdr.e_version;
  out_ehdr.e_entry = ehdr.e_entry;
  out_ehdr.e_flags = ehdr.e_flags;
  out_ehdr.e_shstrndx = static_cast<GElf_Half>(shstrndx);
  if (gelf_update_ehdr(out.get(), &out_ehdr) == 0) return elf_error("cannot copy the ELF header");
  if (elf_update(out.get(), ELF_C_WRITE) < 0) return elf_error("cannot write the copy");
  return {};
}

}  // namespace

std::optional<std::string> DebuginfoCache::default_directory() {
  if (const char* off = std::getenv("UKSTACK_NO_DEBUGINFO_CACHE");
      off != nullptr && *off != '\0' && std::strcmp(off, "0") != 0) {
    return std::nullopt;
  }
  if (::geteuid() == 0) return std::string("/var/cache/ukstack/debuginfo");
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] == '/') {
    return std::string(xdg) + "/ukstack/debuginfo";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] == '/') {
    return std::string(home) + "/.cache/ukstack/debuginfo";
  }
  return std::nullopt;
}

DebuginfoCache::DebuginfoCache(std::string directory) : directory_(std::move(directory)) {
  while (directory_.size() > 1 && directory_.back() == '/') directory_.pop_back();
}

static std::string entry_path(const std::string& directory, const BuildId& id) {
  return directory + "/" + to_hex(id) + ".debug";
}

UniqueFd DebuginfoCache::lookup(std::span<const unsigned char> build_id) const {
  init_libelf();
  last_outcome_ = Outcome::NotNeeded;
  if (build_id.empty()) return {};
  const BuildId id(build_id.begin(), build_id.end());
  UniqueFd cached = open_verified(entry_path(directory_, id), id);
  last_outcome_ = cached.valid() ? Outcome::Hit : Outcome::Miss;
  return cached;
}

Result<UniqueFd> DebuginfoCache::uncompressed(int fd) const {
  init_libelf();
  last_outcome_ = Outcome::Failed;
  UniqueElf in(elf_begin(fd, ELF_C_READ_MMAP, nullptr));
  if (!in || elf_kind(in.get()) != ELF_K_ELF) return elf_error("cannot read the debug file");
  const BuildId id = build_id(in.get());
  const Sections sections = classify_sections(in.get());
  if (id.empty() || !sections.compressed || sections.altlink) {
    last_outcome_ = Outcome::NotNeeded;
    return UniqueFd();
  }
  const std::string path = entry_path(directory_, id);
  if (UniqueFd cached = open_verified(path, id); cached.valid()) {
    last_outcome_ = Outcome::Hit;
    return cached;
  }

  // Miss (or an entry that fails verification): write a new one beside it and
  // rename it over the old, so concurrent runs only ever see whole files.
  if (auto made = make_directory(directory_); !made) return made.error();
  std::string temp = path + ".XXXXXX";
  UniqueFd out(::mkostemp(temp.data(), O_CLOEXEC));
  if (!out.valid()) return Error::from_errno(errno, "cannot create " + temp);
  auto written = write_uncompressed(in.get(), out.get());
  if (written && ::rename(temp.c_str(), path.c_str()) != 0) {
    written = Error::from_errno(errno, "cannot rename " + temp + " to " + path);
  }
  if (!written) {
    (void)::unlink(temp.c_str());
    return written.error();
  }
  out.reset();
  UniqueFd cached = open_verified(path, id);
  if (!cached.valid()) return Error{0, "the copy written to " + path + " does not verify"};
  last_outcome_ = Outcome::Written;
  return cached;
}

namespace {

const DebuginfoCache* process_cache() {
  static const std::optional<DebuginfoCache> cache = [] {
    auto directory = DebuginfoCache::default_directory();
    return directory ? std::optional<DebuginfoCache>(std::in_place, *directory) : std::nullopt;
  }();
  return cache ? &*cache : nullptr;
}

}  // namespace

int find_debuginfo_with_cache(Dwfl_Module* mod, void** userdata, const char* modname,
                              Dwarf_Addr base, const char* file_name, const char* debuglink_file,
                              GElf_Word debuglink_crc, char** debuginfo_file_name) {
  auto standard = [&] {
    return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                        debuglink_crc, debuginfo_file_name);
  };
  const DebuginfoCache* cache = process_cache();
  if (cache == nullptr) return standard();
  // The search for the module's own debug file passes its main file's name;
  // anything else (the dwz alternate file) is not ours to answer.
  const char* main_file = nullptr;
  (void)dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, &main_file, nullptr);
  if (main_file == nullptr || file_name != main_file) return standard();

  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  const int length = dwfl_module_build_id(mod, &bits, &vaddr);
  if (length > 0) {
    UniqueFd hit =
        cache->lookup(std::span<const unsigned char>(bits, static_cast<std::size_t>(length)));
    if (hit.valid()) {
      const BuildId id(bits, bits + length);
      if (debuginfo_file_name != nullptr) {
        std::free(*debuginfo_file_name);
        *debuginfo_file_name = ::strdup(entry_path(cache->directory(), id).c_str());
      }
      return hit.release();
    }
  }
  const int fd = standard();
  // For the next run; libdw already holds its own Elf of `fd` for this one.
  if (fd >= 0) (void)cache->uncompressed(fd);
  return fd;
}

}  // namespace ukstack::unwind
