#include "unwind/address_space.h"

#include <cerrno>
#include <string>

#include "base/format.h"

namespace ukstack::unwind {

Status AddressSpace::read_exact(RemoteAddr addr, std::span<std::byte> out) const {
  auto got = read(addr, out);
  if (!got) return got.error();
  if (*got != out.size()) {
    return Error{EFAULT, "only " + std::to_string(*got) + " of " + std::to_string(out.size()) +
                             " bytes at " + hex(addr.value()) + " are readable"};
  }
  return {};
}

void AddressSpace::read_each(std::span<ReadRequest> requests) const {
  for (ReadRequest& request : requests) {
    auto got = read(request.addr, request.out);
    request.got = got ? *got : 0;
  }
}

}  // namespace ukstack::unwind
