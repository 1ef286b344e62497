// An address space of byte regions placed at addresses, for tests of what reads
// through an AddressSpace (unwinders, runtime readers) without a process or a core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "unwind/address_space.h"

namespace ukstack::unwind {

class FakeAddressSpace final : public AddressSpace {
 public:
  // Places `bytes` at addr. Regions must not overlap; adjacent ones read as one.
  void add(RemoteAddr addr, std::vector<std::byte> bytes);
  // A value's bytes at addr, as the target would store it.
  template <class T>
  void add_value(RemoteAddr addr, const T& value) {
    auto bytes = std::as_bytes(std::span<const T, 1>(&value, 1));
    add(addr, std::vector<std::byte>(bytes.begin(), bytes.end()));
  }

  Result<std::size_t> read(RemoteAddr addr, std::span<std::byte> out) const override;

 private:
  std::map<std::uint64_t, std::vector<std::byte>> regions_;  // by start address
};

}  // namespace ukstack::unwind
