// Which processes go by a name: for `ukstack NAME`, as pidof and pgrep do. One pass
// over /proc/*/comm and /proc/*/cmdline.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "procfs/source.h"

namespace ukstack::procfs {

struct NamedProcess {
  int pid = 0;
  std::string name;  // its comm, as ps and top show it
};

// The processes whose comm is `name`, or whose argv[0] ends in "/name" or is `name`
// (comm is cut to 15 bytes; argv[0] is whole), lowest pid first. Processes that exit
// during the scan, or whose files cannot be read, are left out.
std::vector<NamedProcess> processes_named(const ProcSource& source, std::string_view name);

}  // namespace ukstack::procfs
