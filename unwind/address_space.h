// The target's memory, whoever holds it: a live process (LiveAddressSpace), a core
// file (CoreAddressSpace), or a test's fake. The unwinders and the readers of
// runtime structures (a mutex's owner, Go's goroutines) read through this and never
// ask which it is.
#pragma once

#include <cstddef>
#include <span>
#include <type_traits>

#include "base/remote_addr.h"
#include "base/result.h"

namespace ukstack::unwind {

// One read of a batch (AddressSpace::read_each): `got` is set to the bytes read,
// as read() would give them (0 when none could be).
struct ReadRequest {
  RemoteAddr addr;
  std::span<std::byte> out;
  std::size_t got = 0;
};

class AddressSpace {
 public:
  virtual ~AddressSpace() = default;

  // Reads up to out.size() bytes at addr. Returns how many were read: fewer when the
  // range runs into memory this space does not have (the read stops there). An
  // Error only when nothing could be read.
  virtual Result<std::size_t> read(RemoteAddr addr, std::span<std::byte> out) const = 0;

  // Every request, each as read() would do it. A live process reads a batch in
  // a few system calls instead of one each (10,000 goroutines: 10,000 reads).
  virtual void read_each(std::span<ReadRequest> requests) const;

  // All of out.size() bytes, or an Error (EFAULT when only part was there).
  Status read_exact(RemoteAddr addr, std::span<std::byte> out) const;

  // One value of a trivially copyable type, read as the target stores it (same
  // architecture: no byte swapping).
  template <class T>
  Result<T> read_value(RemoteAddr addr) const {
    static_assert(std::is_trivially_copyable_v<T>, "read_value copies bytes into a T");
    T value;
    auto bytes = std::as_writable_bytes(std::span<T, 1>(&value, 1));
    if (auto done = read_exact(addr, bytes); !done) return done.error();
    return value;
  }

 protected:
  AddressSpace() = default;
  AddressSpace(const AddressSpace&) = default;
  AddressSpace& operator=(const AddressSpace&) = default;
};

}  // namespace ukstack::unwind
