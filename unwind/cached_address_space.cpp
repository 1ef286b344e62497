#include "unwind/cached_address_space.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ukstack::unwind {

const CachedAddressSpace::Page& CachedAddressSpace::page(std::uint64_t start) const {
  auto [entry, inserted] = pages_.try_emplace(start);
  if (inserted) {
    entry->second = std::make_unique<Page>();
    auto read = memory_.read(RemoteAddr(start), entry->second->bytes);
    entry->second->readable = read ? *read : 0;
  }
  return *entry->second;
}

Result<std::size_t> CachedAddressSpace::read(RemoteAddr addr, std::span<std::byte> out) const {
  std::size_t done = 0;
  while (done < out.size()) {
    const std::uint64_t at = addr.value() + done;
    const std::uint64_t start = at & ~(kPageSize - 1);
    const Page& cached = page(start);
    const std::size_t offset = at - start;
    if (offset >= cached.readable) {
      // Not in the page as read from its start: ask the memory itself.
      auto direct = memory_.read(RemoteAddr(at), out.subspan(done));
      if (direct) done += *direct;
      break;
    }
    const std::size_t count = std::min(cached.readable - offset, out.size() - done);
    std::memcpy(out.data() + done, cached.bytes.data() + offset, count);
    done += count;
  }
  if (done == 0) return Error{EFAULT, "cannot read the target's memory"};
  return done;
}

}  // namespace ukstack::unwind
