// /proc/<pid>/maps lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/remote_addr.h"
#include "base/result.h"

namespace ukstack::procfs {

struct Mapping {
  RemoteAddr start;
  RemoteAddr end;
  std::string perms;  // "r-xp"
  std::uint64_t offset = 0;
  std::uint64_t inode = 0;
  std::string path;      // "" for anonymous; "[stack]", "[anon:name]", "/x" (see deleted)
  bool deleted = false;  // path ended in " (deleted)" (suffix removed from path)

  bool operator==(const Mapping&) const = default;
};

Result<std::vector<Mapping>> parse_maps(std::string_view text);

}  // namespace ukstack::procfs
