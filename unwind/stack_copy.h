// The copy of a stopped thread's stack that the unwind later reads from, and the
// buffer it lives in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "base/remote_addr.h"
#include "base/result.h"
#include "unwind/address_space.h"

namespace ukstack::unwind {

// An allocator whose value-initialisation (vector::resize) leaves trivial
// elements uninitialised: a buffer about to be filled by a read is not zeroed first.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  using std::allocator<T>::allocator;
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// Bytes that resize() does not zero.
using ByteBuffer = std::vector<std::byte, DefaultInitAllocator<std::byte>>;

// The live part of a thread's stack, copied while it was stopped.
struct StackCopy {
  RemoteAddr base;   // the SP it was copied from
  ByteBuffer bytes;  // [base, base + bytes.size())

  bool contains(RemoteAddr addr, std::size_t len) const {
    return addr >= base && addr.value() + len <= base.value() + bytes.size();
  }
  bool read_word(RemoteAddr addr, std::uint64_t& word) const;
};

// Copies [sp, sp + max_bytes), or less where the stack's mapping ends first, into
// `buffer` (reused when it has the capacity: no allocation while a thread is stopped).
Result<StackCopy> copy_stack(const AddressSpace& memory, RemoteAddr sp, std::size_t max_bytes,
                             ByteBuffer buffer = {});

}  // namespace ukstack::unwind
