#include "unwind/sample_memory.h"

#include <algorithm>
#include <cstring>

namespace ukstack::unwind {

void SampleMemory::begin(const StackCopy* stack) {
  stack_ = stack;
  pages_.clear();
}

bool SampleMemory::read_word(std::uint64_t addr, std::uint64_t& word) {
  if (stack_ != nullptr && stack_->read_word(RemoteAddr(addr), word)) return true;
  // A word may straddle two pages; read it byte range by byte range through the cache.
  std::byte bytes[sizeof word];
  for (std::size_t done = 0; done < sizeof word;) {
    std::uint64_t at = addr + done;
    std::uint64_t page = at & ~(kPageSize - 1);
    auto it = pages_.find(page);
    if (it == pages_.end()) {
      std::array<std::byte, kPageSize> buffer;
      auto got = memory_->read(RemoteAddr(page), buffer);
      if (!got || *got != kPageSize) return false;
      it = pages_.emplace(page, buffer).first;
    }
    std::size_t in_page = std::min<std::size_t>(sizeof word - done, page + kPageSize - at);
    std::memcpy(bytes + done, it->second.data() + (at - page), in_page);
    done += in_page;
  }
  std::memcpy(&word, bytes, sizeof word);
  return true;
}

}  // namespace ukstack::unwind
