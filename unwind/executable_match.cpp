#include "unwind/executable_match.h"

#include <gelf.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/format.h"

namespace ukstack::unwind {

namespace {

constexpr std::uint64_t page_size = 4096;  // the granule of NT_FILE mappings on x86-64

std::uint64_t page_down(std::uint64_t value) { return value & ~(page_size - 1); }
std::uint64_t page_up(std::uint64_t value) { return page_down(value + page_size - 1); }

std::vector<GElf_Phdr> program_headers(Elf* elf) {
  std::vector<GElf_Phdr> headers;
  std::size_t count = 0;
  if (elf_getphdrnum(elf, &count) != 0) return headers;
  for (std::size_t i = 0; i < count; ++i) {
    GElf_Phdr header;
    if (gelf_getphdr(elf, static_cast<int>(i), &header) != nullptr) headers.push_back(header);
  }
  return headers;
}

const CoreFileMapping* mapping_at(const CoreNotes& notes, std::uint64_t addr) {
  for (const CoreFileMapping& mapping : notes.files) {
    if (mapping.start <= addr && addr < mapping.end) return &mapping;
  }
  return nullptr;
}

// The file offset NT_FILE says is mapped at `addr` (page granular), if it maps a file there.
std::optional<std::uint64_t> mapped_offset(const CoreNotes& notes, std::uint64_t addr) {
  const CoreFileMapping* mapping = mapping_at(notes, addr);
  if (mapping == nullptr) return std::nullopt;
  return mapping->file_offset + (page_down(addr) - mapping->start);
}

// A load segment's file part must be mapped where the executable puts it, from the
// same file offsets, at its first and at its last page (the kernel may split a
// segment's mapping, e.g. at RELRO, but never shifts its offsets).
std::optional<std::string> segment_difference(const GElf_Phdr& load, std::uint64_t bias,
                                              const CoreNotes& notes) {
  const std::uint64_t first = page_down(load.p_vaddr + bias);
  const std::uint64_t last = page_up(load.p_vaddr + bias + load.p_filesz) - page_size;
  for (std::uint64_t page : {first, last}) {
    std::uint64_t expected = page_down(load.p_offset) + (page - first);
    std::optional<std::uint64_t> offset = mapped_offset(notes, page);
    if (offset != expected) {
      return "its segment at file offset " + hex(load.p_offset) + " (" +
             std::to_string(load.p_filesz) + " bytes) is not mapped at " + hex(page) +
             " in the core" + (offset ? " (offset " + hex(*offset) + " is)" : "");
    }
  }
  return std::nullopt;
}

// Bytes of the file at [offset, offset + size) against the core's own copy at addr,
// when the core holds every one of them (bytes it left out would be read from the file
// NT_FILE names, which proves nothing).
std::optional<std::string> bytes_difference(Elf* exe, std::uint64_t offset, std::uint64_t size,
                                            std::uint64_t addr, const CoreAddressSpace& memory,
                                            const std::string& what) {
  if (size == 0 || !memory.in_core(RemoteAddr(addr)) ||
      !memory.in_core(RemoteAddr(addr + size - 1))) {
    return std::nullopt;
  }
  Elf_Data* file = elf_getdata_rawchunk(exe, static_cast<int64_t>(offset), size, ELF_T_BYTE);
  if (file == nullptr || file->d_size != size) return std::nullopt;
  std::vector<std::byte> core(size);
  if (!memory.read_exact(RemoteAddr(addr), core)) return std::nullopt;
  if (std::memcmp(core.data(), file->d_buf, size) == 0) return std::nullopt;
  return "its " + what + " differ from the core's copy at " + hex(addr);
}

}  // namespace

Status match_executable_with_core(Elf* exe, std::uint64_t load_start, const CoreNotes& notes,
                                  const CoreAddressSpace& memory) {
  GElf_Ehdr ehdr;
  if (gelf_getehdr(exe, &ehdr) == nullptr) return Error{0, "its ELF header cannot be read"};
  std::vector<GElf_Phdr> headers = program_headers(exe);
  std::vector<GElf_Phdr> loads;
  std::ranges::copy_if(headers, std::back_inserter(loads),
                       [](const GElf_Phdr& h) { return h.p_type == PT_LOAD; });
  if (loads.empty()) return Error{0, "it has no load segments"};
  const std::uint64_t first_vaddr =
      page_down(std::ranges::min(loads, {}, &GElf_Phdr::p_vaddr).p_vaddr);
  const std::uint64_t bias = load_start - first_vaddr;
  if (ehdr.e_type == ET_EXEC && bias != 0) {
    return Error{
        0, "it loads at " + hex(first_vaddr) + ", the core's executable at " + hex(load_start)};
  }
  if (notes.entry && *notes.entry != ehdr.e_entry + bias) {
    return Error{0, "its entry point " + hex(ehdr.e_entry + bias) + " is not the core's " +
                        hex(*notes.entry) + " (AT_ENTRY)"};
  }
  // A core without NT_FILE (or one that lists no file at the executable's start)
  // has no mappings to compare.
  if (mapping_at(notes, load_start) != nullptr) {
    for (const GElf_Phdr& load : loads) {
      if (load.p_filesz == 0) continue;
      if (auto difference = segment_difference(load, bias, notes)) return Error{0, *difference};
    }
  }
  // The first load segment maps the file from offset 0: its ELF and program headers.
  const GElf_Phdr& first = std::ranges::min(loads, {}, &GElf_Phdr::p_offset);
  if (first.p_offset == 0) {
    const std::uint64_t headers_end = ehdr.e_phoff + std::uint64_t{ehdr.e_phnum} * ehdr.e_phentsize;
    if (headers_end <= first.p_filesz) {
      if (auto difference = bytes_difference(exe, 0, headers_end, first.p_vaddr + bias, memory,
                                             "ELF and program headers"))
        return Error{0, *difference};
    }
  }
  for (const GElf_Phdr& note : headers) {
    if (note.p_type != PT_NOTE) continue;
    if (auto difference = bytes_difference(exe, note.p_offset, note.p_filesz, note.p_vaddr + bias,
                                           memory, "ELF notes (the build id)"))
      return Error{0, *difference};
  }
  return {};
}

}  // namespace ukstack::unwind
