#include "procfs/fd_holders.h"

#include <cerrno>
#include <cstdint>
#include <optional>

#include "procfs/text.h"

namespace ukstack::procfs {

namespace {

// A directory entry that is a pid or an fd number.
std::optional<int> as_number(const std::string& name) {
  auto value = text::parse_u64(name);
  if (!value || *value > INT32_MAX) return std::nullopt;
  return static_cast<int>(*value);
}

// The one match of a link against the query: the key it is held under, or null.
const std::string* match(const ProcSource& source, const FdHolderQuery& query,
                         const std::string& fd_path, const std::string& link) {
  if (auto it = query.links.find(link); it != query.links.end()) return &*it;
  if (query.fifos.empty() || !link.starts_with('/')) return nullptr;
  auto fifo = query.fifos.find(link);
  if (fifo == query.fifos.end()) return nullptr;
  // Same path, but the same file? (another mount namespace may show another one.)
  auto identity = source.identify(fd_path);
  if (!identity || !(*identity == fifo->second)) return nullptr;
  return &fifo->first;
}

}  // namespace

FdHolders find_fd_holders(const ProcSource& source, const FdHolderQuery& query) {
  FdHolders out;
  if (query.empty()) return out;
  auto entries = source.list_dir("");
  if (!entries) return out;
  for (const std::string& entry : *entries) {
    const auto pid = as_number(entry);
    if (!pid) continue;
    ++out.processes;
    const std::string fd_dir = entry + "/fd";
    auto fds = source.list_dir(fd_dir);
    if (!fds) {
      // ENOENT: the process has exited since the listing; nothing is held.
      if (fds.error().errnum != ENOENT) out.uninspected.push_back(*pid);
      continue;
    }
    bool uninspected = false;
    for (const std::string& fd : *fds) {
      const auto fd_number = as_number(fd);
      if (!fd_number) continue;
      const std::string fd_path = fd_dir + "/" + fd;
      auto link = source.read_link(fd_path);
      if (!link) continue;  // closed since the listing
      const std::string* key = match(source, query, fd_path, *link);
      if (key == nullptr) continue;
      // Which end it is: without fdinfo, this one cannot be told (ENOENT: closed since).
      auto info = source.read_file(entry + "/fdinfo/" + fd);
      if (!info) {
        uninspected = uninspected || info.error().errnum != ENOENT;
        continue;
      }
      auto parsed = parse_fdinfo(*info);
      if (!parsed) {
        uninspected = true;
        continue;
      }
      out.by_link[*key].push_back(
          OpenFile{.pid = *pid, .fd = *fd_number, .access = parsed->access()});
    }
    if (uninspected) out.uninspected.push_back(*pid);
  }
  return out;
}

}  // namespace ukstack::procfs
