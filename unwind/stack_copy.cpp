#include "unwind/stack_copy.h"

#include <cstring>
#include <span>

namespace ukstack::unwind {

bool StackCopy::read_word(RemoteAddr addr, std::uint64_t& word) const {
  if (!contains(addr, sizeof word)) return false;
  std::memcpy(&word, bytes.data() + (addr - base), sizeof word);
  return true;
}

Result<StackCopy> copy_stack(const AddressSpace& memory, RemoteAddr sp, std::size_t max_bytes,
                             ByteBuffer buffer) {
  StackCopy copy;
  copy.base = sp;
  copy.bytes = std::move(buffer);
  copy.bytes.resize(max_bytes);  // not zeroed (ByteBuffer): the read fills what is used
  auto got = memory.read(sp, std::span<std::byte>(copy.bytes.data(), copy.bytes.size()));
  if (!got) return got.error();
  copy.bytes.resize(*got);  // shrinks: no copy, no fill
  return copy;
}

}  // namespace ukstack::unwind
