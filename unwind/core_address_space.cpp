#include "unwind/core_address_space.h"

#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/format.h"
#include "unwind/elf_file.h"

namespace ukstack::unwind {

namespace {
constexpr std::uint64_t kPageSize = 4096;  // x86-64
}  // namespace

Result<CoreAddressSpace> CoreAddressSpace::from_elf(Elf* core, const std::string& sysroot) {
  CoreAddressSpace space;
  space.sysroot_ = sysroot;
  if (auto loaded = space.load(core); !loaded) return loaded.error();
  return space;
}

Result<CoreAddressSpace> CoreAddressSpace::open(const CorePath& path, const std::string& sysroot) {
  CoreAddressSpace space;
  space.sysroot_ = sysroot;
  auto elf = open_elf(path.open, "core file", space.core_fd_, path.shown);
  if (!elf) return elf.error();
  space.core_elf_ = std::move(*elf);
  if (auto loaded = space.load(space.core_elf_.get()); !loaded) {
    return Error{loaded.error().errnum, path.shown + ": " + loaded.error().message};
  }
  return space;
}

Status CoreAddressSpace::load(Elf* core) {
  GElf_Ehdr ehdr;
  if (core == nullptr || gelf_getehdr(core, &ehdr) == nullptr || ehdr.e_type != ET_CORE) {
    return Error{0, "not a core file"};
  }
  std::size_t count = 0;
  if (elf_getphdrnum(core, &count) != 0) {
    return Error{0, std::string("cannot read the core's program headers: ") + elf_errmsg(-1)};
  }
  // The whole core as libelf holds it (mapped), each segment checked against its
  // size: an elf_getdata_rawchunk per segment would search libelf's list of chunks
  // (0.188) each time, quadratic in the segments (2 per thread's stack).
  std::size_t core_size = 0;
  const char* image = elf_rawfile(core, &core_size);
  for (std::size_t i = 0; i < count; ++i) {
    GElf_Phdr phdr;
    if (gelf_getphdr(core, static_cast<int>(i), &phdr) == nullptr || phdr.p_type != PT_LOAD ||
        phdr.p_memsz == 0) {
      continue;
    }
    Segment segment{phdr.p_vaddr, std::min(phdr.p_filesz, phdr.p_memsz), phdr.p_memsz, nullptr};
    if (segment.filesz > 0) {
      // A segment cut off by a truncated core counts as left out.
      if (image != nullptr && phdr.p_offset <= core_size &&
          segment.filesz <= core_size - phdr.p_offset) {
        segment.bytes = reinterpret_cast<const std::byte*>(image + phdr.p_offset);
      } else {
        segment.filesz = 0;
      }
    }
    segments_.push_back(segment);
  }
  std::ranges::sort(segments_, {}, &Segment::vaddr);
  files_ = read_core_notes(core).files;
  std::ranges::sort(files_, {}, &CoreFileMapping::start);
  return {};
}

const CoreAddressSpace::Segment* CoreAddressSpace::segment_at(std::uint64_t addr) const {
  auto after = std::ranges::upper_bound(segments_, addr, {}, &Segment::vaddr);
  if (after == segments_.begin()) return nullptr;
  const Segment& segment = *std::prev(after);
  return addr - segment.vaddr < segment.memsz ? &segment : nullptr;
}

const CoreFileMapping* CoreAddressSpace::file_at(std::uint64_t addr) const {
  auto after = std::ranges::upper_bound(files_, addr, {}, &CoreFileMapping::start);
  if (after == files_.begin()) return nullptr;
  const CoreFileMapping& mapping = *std::prev(after);
  return addr < mapping.end ? &mapping : nullptr;
}

std::uint64_t CoreAddressSpace::gap_end(std::uint64_t addr) const {
  if (const Segment* segment = segment_at(addr)) return segment->vaddr + segment->memsz;
  auto after = std::ranges::upper_bound(segments_, addr, {}, &Segment::vaddr);
  return after == segments_.end() ? UINT64_MAX : after->vaddr;
}

bool CoreAddressSpace::in_core(RemoteAddr addr) const {
  const Segment* segment = segment_at(addr.value());
  return segment != nullptr && addr.value() - segment->vaddr < segment->filesz;
}

const UniqueFd& CoreAddressSpace::file(const std::string& path, int& open_errno) const {
  auto [it, inserted] = open_files_.try_emplace(path);
  if (inserted) {
    const std::string where = sysroot_.empty() || !path.starts_with('/') ? path : sysroot_ + path;
    it->second.fd = UniqueFd(::open(where.c_str(), O_RDONLY | O_CLOEXEC));
    if (!it->second.fd.valid()) it->second.open_errno = errno;
  }
  open_errno = it->second.open_errno;
  return it->second.fd;
}

Result<std::size_t> CoreAddressSpace::read_from_file(std::uint64_t addr,
                                                     std::span<std::byte> out) const {
  const CoreFileMapping* mapping = file_at(addr);
  if (mapping == nullptr) return std::size_t{0};
  int open_errno = 0;
  const UniqueFd& fd = file(mapping->path, open_errno);
  if (!fd.valid()) {
    return Error::from_errno(open_errno, "the core left out the page at " + hex(addr) +
                                             " and its file " + mapping->path +
                                             " cannot be opened");
  }
  const std::size_t want = static_cast<std::size_t>(
      std::min<std::uint64_t>({out.size(), mapping->end - addr, gap_end(addr) - addr}));
  const std::uint64_t offset = mapping->file_offset + (addr - mapping->start);
  std::size_t got = 0;
  while (got < want) {
    ssize_t n = ::pread(fd.get(), out.data() + got, want - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (got > 0) break;
      return Error::from_errno(errno, "cannot read " + mapping->path + " for the page at " +
                                          hex(addr) + " that the core left out");
    }
    if (n == 0) {
      // End of file: the rest of the file's last page reads as zeros in the process.
      const std::uint64_t eof = offset + got;
      const std::uint64_t page_end = (eof + kPageSize - 1) / kPageSize * kPageSize;
      const std::size_t zeros =
          static_cast<std::size_t>(std::min<std::uint64_t>(want - got, page_end - eof));
      std::memset(out.data() + got, 0, zeros);
      got += zeros;
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  return got;
}

Result<std::size_t> CoreAddressSpace::read(RemoteAddr addr, std::span<std::byte> out) const {
  std::size_t done = 0;
  while (done < out.size()) {
    const std::uint64_t at = addr.value() + done;
    if (at < addr.value()) break;  // wrapped past the top of the address space
    std::span<std::byte> rest = out.subspan(done);
    if (const Segment* segment = segment_at(at);
        segment != nullptr && at - segment->vaddr < segment->filesz) {
      const std::size_t n = static_cast<std::size_t>(
          std::min<std::uint64_t>(rest.size(), segment->filesz - (at - segment->vaddr)));
      std::memcpy(rest.data(), segment->bytes + (at - segment->vaddr), n);
      done += n;
      continue;
    }
    auto got = read_from_file(at, rest);
    if (!got) {
      if (done > 0) break;
      return got.error();
    }
    if (*got == 0) break;
    done += *got;
  }
  if (done == 0 && !out.empty()) {
    return Error{EFAULT, "the core holds no memory at " + hex(addr.value()) +
                             " (neither in its segments nor in a file it maps there)"};
  }
  return done;
}

}  // namespace ukstack::unwind
