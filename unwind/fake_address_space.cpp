#include "unwind/fake_address_space.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/format.h"

namespace ukstack::unwind {

void FakeAddressSpace::add(RemoteAddr addr, std::vector<std::byte> bytes) {
  regions_[addr.value()] = std::move(bytes);
}

Result<std::size_t> FakeAddressSpace::read(RemoteAddr addr, std::span<std::byte> out) const {
  std::size_t done = 0;
  while (done < out.size()) {
    const std::uint64_t at = addr.value() + done;
    auto after = regions_.upper_bound(at);
    if (after == regions_.begin()) break;
    const auto& [start, bytes] = *std::prev(after);
    if (at - start >= bytes.size()) break;
    const std::size_t n = std::min(out.size() - done, bytes.size() - (at - start));
    std::memcpy(out.data() + done, bytes.data() + (at - start), n);
    done += n;
  }
  if (done == 0 && !out.empty()) {
    return Error{EFAULT, "no memory at " + hex(addr.value()) + " in the fake address space"};
  }
  return done;
}

}  // namespace ukstack::unwind
