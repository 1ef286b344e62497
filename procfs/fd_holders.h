// Which processes hold given pipes, sockets or FIFOs open: one pass over every
// process's /proc/<pid>/fd. That is a scan of the whole system, so a capture runs
// it once, and only when some thread waits on such an object.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "procfs/fd_info.h"
#include "procfs/source.h"

namespace ukstack::procfs {

struct OpenFile {
  int pid = 0;
  int fd = -1;
  AccessMode access = AccessMode::ReadWrite;  // from fdinfo: which end of a pipe
};

struct FdHolderQuery {
  std::set<std::string> links;                // link texts: "pipe:[123]", "socket:[456]"
  std::map<std::string, FileIdentity> fifos;  // a FIFO's path as links show it, and its identity
  bool empty() const { return links.empty() && fifos.empty(); }
};

struct FdHolders {
  std::map<std::string, std::vector<OpenFile>> by_link;  // keyed as asked (link or FIFO path)
  // Processes whose descriptors could not be read (not permitted, a race): any of
  // them may hold what was asked for.
  std::vector<int> uninspected;
  int processes = 0;  // how many processes were scanned
};

FdHolders find_fd_holders(const ProcSource& source, const FdHolderQuery& query);

}  // namespace ukstack::procfs
