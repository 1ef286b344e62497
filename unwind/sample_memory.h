// The target's memory as an unwinder sees it for one thread: the stack copy taken
// while the thread was stopped, then the live process (process_vm_readv, one page
// at a time, cached) beyond it. Shared by the libdw and libunwind backends.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "unwind/remote_memory.h"

namespace ukstack::unwind {

class SampleMemory {
 public:
  explicit SampleMemory(int pid) : live_(pid) {}

  // Starts a thread: reads come from `stack` first. Drops the pages read live for
  // the previous thread (the process has moved on since).
  void begin(const StackCopy* stack);
  void end() { stack_ = nullptr; }

  bool read_word(std::uint64_t addr, std::uint64_t& word);

 private:
  static constexpr std::uint64_t kPageSize = 4096;
  RemoteMemory live_;
  const StackCopy* stack_ = nullptr;
  std::unordered_map<std::uint64_t, std::array<std::byte, kPageSize>> live_pages_;
};

}  // namespace ukstack::unwind
