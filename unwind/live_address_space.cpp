#include "unwind/live_address_space.h"

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

namespace ukstack::unwind {

namespace {
constexpr std::uint64_t kPageSize = 4096;
constexpr std::size_t kMaxIovecs = 256;        // well under IOV_MAX
constexpr std::size_t kMaxBatchIovecs = 1024;  // IOV_MAX
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

void LiveAddressSpace::read_each(std::span<ReadRequest> requests) const {
  std::vector<iovec> local;
  std::vector<iovec> remote;
  for (std::size_t first = 0; first < requests.size();) {
    // As many whole requests as fit in one call, their remote ranges split at pages.
    local.clear();
    remote.clear();
    std::size_t last = first;
    for (; last < requests.size(); ++last) {
      const ReadRequest& request = requests[last];
      const std::size_t pages = request.out.size() / kPageSize + 2;
      if (last > first && remote.size() + pages > kMaxBatchIovecs) break;
      local.push_back(iovec{request.out.data(), request.out.size()});
      std::uint64_t cursor = request.addr.value();
      for (std::size_t left = request.out.size(); left > 0;) {
        const std::uint64_t page_end = (cursor / kPageSize + 1) * kPageSize;
        const auto chunk =
            static_cast<std::size_t>(std::min<std::uint64_t>(page_end - cursor, left));
        remote.push_back(iovec{reinterpret_cast<void*>(cursor), chunk});
        cursor += chunk;
        left -= chunk;
      }
    }
    if (remote.size() > kMaxBatchIovecs || local.size() > kMaxBatchIovecs) {
      // One request too large for a batch: read alone.
      auto got = read(requests[first].addr, requests[first].out);
      requests[first].got = got ? *got : 0;
      ++first;
      continue;
    }
    const ssize_t got =
        process_vm_readv(pid_, local.data(), local.size(), remote.data(), remote.size(), 0);
    // The transfer stops at the first page it cannot read: the requests before it
    // are whole, that one has what came before the page, the rest go in the next call.
    std::size_t left = got > 0 ? static_cast<std::size_t>(got) : 0;
    std::size_t i = first;
    for (; i < last; ++i) {
      requests[i].got = std::min(left, requests[i].out.size());
      left -= requests[i].got;
      if (requests[i].got < requests[i].out.size()) break;
    }
    first = i < last ? i + 1 : last;
  }
}

}  // namespace ukstack::unwind
