// An address space that reads another one a page at a time and keeps the pages:
// for readers that make many small reads close together (a chain of CPython
// frames on one thread's data stack, the code objects and strings every thread
// shares), one system call per page instead of one per read. For one pass over
// memory that does not move meanwhile (a live process's memory changes under it:
// make a new one for each pass).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>

#include "unwind/address_space.h"

namespace ukstack::unwind {

class CachedAddressSpace final : public AddressSpace {
 public:
  // Borrows `memory`, which must outlive this object.
  explicit CachedAddressSpace(const AddressSpace& memory) : memory_(memory) {}

  // As memory's read(): bytes from the cached pages; where a page could not be
  // read whole from its start (the end of a mapping, a test's unaligned region),
  // the rest is read directly, uncached.
  Result<std::size_t> read(RemoteAddr addr, std::span<std::byte> out) const override;

 private:
  static constexpr std::uint64_t kPageSize = 4096;
  struct Page {
    std::array<std::byte, kPageSize> bytes;
    std::size_t readable = 0;  // bytes read from the page's start
  };
  const Page& page(std::uint64_t start) const;

  const AddressSpace& memory_;
  mutable std::unordered_map<std::uint64_t, std::unique_ptr<Page>> pages_;  // by start address
};

}  // namespace ukstack::unwind
