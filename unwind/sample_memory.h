// The target's memory as an unwinder sees it for one thread: the stack copy taken
// while the thread was stopped, then the address space (a live process: one page at
// a time, cached) beyond it. Shared by the libdw and libunwind backends.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "unwind/address_space.h"
#include "unwind/stack_copy.h"

namespace ukstack::unwind {

class SampleMemory {
 public:
  // Borrows `memory`, which must outlive this object.
  explicit SampleMemory(const AddressSpace& memory) : memory_(&memory) {}

  // Starts a thread: reads come from `stack` first. Drops the pages read for the
  // previous thread (a live process has moved on since).
  void begin(const StackCopy* stack);
  void end() { stack_ = nullptr; }

  bool read_word(std::uint64_t addr, std::uint64_t& word);
  // Whether this thread's unwind read memory beyond its stack copy (then the
  // result is of the moment of those reads, not only of the copy's).
  bool read_beyond_copy() const { return !pages_.empty(); }

 private:
  static constexpr std::uint64_t kPageSize = 4096;
  const AddressSpace* memory_;
  const StackCopy* stack_ = nullptr;
  std::unordered_map<std::uint64_t, std::array<std::byte, kPageSize>> pages_;
};

}  // namespace ukstack::unwind
