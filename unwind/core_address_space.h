// A core file's memory: the bytes of its PT_LOAD segments, and, where the core left
// a page out (gcore and the kernel skip unmodified file-backed pages such as code:
// a segment with p_filesz < p_memsz, often 0), the bytes of the file NT_FILE says
// was mapped there, at the mapping's file offset.
//
// The mapped files are opened by the paths the core names, on this machine or under
// the sysroot (--sysroot) when one is given: a file replaced since the core was
// written gives its new bytes (no build-id check yet).
#pragma once

#include <libelf.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "base/unique_elf.h"
#include "base/unique_fd.h"
#include "unwind/address_space.h"
#include "unwind/core_notes.h"
#include "unwind/core_path.h"

namespace ukstack::unwind {

class CoreAddressSpace final : public AddressSpace {
 public:
  // Over a core already open (e.g. DwflSession::core_elf()); borrows `core`, which
  // must outlive this object.
  static Result<CoreAddressSpace> from_elf(Elf* core, const std::string& sysroot = {});
  // Opens the core file at `path` and owns it.
  static Result<CoreAddressSpace> open(const CorePath& path, const std::string& sysroot = {});

  // Core bytes first; then the mapped file where the core has none. Stops where
  // neither has the next byte.
  Result<std::size_t> read(RemoteAddr addr, std::span<std::byte> out) const override;

  // Whether the core file itself holds the byte at addr (not a mapped file).
  bool in_core(RemoteAddr addr) const;
  const std::vector<CoreFileMapping>& files() const { return files_; }

 private:
  struct Segment {
    std::uint64_t vaddr = 0;
    std::uint64_t filesz = 0;          // bytes present in the core, from vaddr
    std::uint64_t memsz = 0;           // the mapping's size in the process
    const std::byte* bytes = nullptr;  // filesz bytes, inside the core's Elf (mmap)
  };

  CoreAddressSpace() = default;
  Status load(Elf* core);
  const Segment* segment_at(std::uint64_t addr) const;
  const CoreFileMapping* file_at(std::uint64_t addr) const;
  // Where the bytes the core left out around addr end: the segment's end, or the
  // next segment's start when addr is in none.
  std::uint64_t gap_end(std::uint64_t addr) const;
  Result<std::size_t> read_from_file(std::uint64_t addr, std::span<std::byte> out) const;
  // The open file of a mapping, opened at its first use; an invalid fd (and the
  // errno saved) when it cannot be opened.
  const UniqueFd& file(const std::string& path, int& open_errno) const;

  std::string sysroot_;  // prefixed to the mapped files' paths; empty: this machine's
  UniqueFd core_fd_;     // only when opened by path
  UniqueElf core_elf_;
  std::vector<Segment> segments_;       // sorted by vaddr
  std::vector<CoreFileMapping> files_;  // sorted by start
  struct OpenFile {
    UniqueFd fd;
    int open_errno = 0;
  };
  // Opened lazily by the const reads; ukstack reads from one thread.
  mutable std::map<std::string, OpenFile> open_files_;
};

}  // namespace ukstack::unwind
