#include "unwind/live_address_space.h"

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>

namespace ukstack::unwind {

namespace {
constexpr std::uint64_t kPageSize = 4096;
constexpr std::size_t kMaxIovecs = 256;  // well under IOV_MAX
}  // namespace

Result<std::size_t> LiveAddressSpace::read(RemoteAddr addr, std::span<std::byte> out) const {
  // process_vm_readv never splits one remote iovec on a fault, so give it one iovec
  // per page: a range that runs into an unmapped page still returns the pages before.
  std::size_t total = 0;
  while (total < out.size()) {
    iovec local{out.data() + total, out.size() - total};
    iovec remote[kMaxIovecs];
    std::size_t count = 0;
    std::uint64_t cursor = addr.value() + total;
    std::size_t left = out.size() - total;
    while (left > 0 && count < kMaxIovecs) {
      std::uint64_t page_end = (cursor / kPageSize + 1) * kPageSize;
      std::size_t chunk =
          static_cast<std::size_t>(std::min<std::uint64_t>(page_end - cursor, left));
      remote[count++] = iovec{reinterpret_cast<void*>(cursor), chunk};
      cursor += chunk;
      left -= chunk;
    }
    ssize_t got = process_vm_readv(pid_, &local, 1, remote, count, 0);
    if (got < 0) {
      if (total > 0) break;
      return Error::from_errno(errno, "cannot read memory of process " + std::to_string(pid_));
    }
    total += static_cast<std::size_t>(got);
    if (got == 0 || cursor != addr.value() + total) break;  // stopped early: unmapped page
  }
  return total;
}

}  // namespace ukstack::unwind
