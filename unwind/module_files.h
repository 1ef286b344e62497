// Finding the file behind a mapped module of a live process when the path in
// /proc/<pid>/maps does not name it on our side: the process runs in its own mount
// namespace (a container), or the file was deleted (or replaced) after it was
// mapped. In that order:
//   1. /proc/<pid>/map_files/<start>-<end>: the very file mapped (needs
//      CAP_SYS_ADMIN);
//   2. /proc/<pid>/exe when the mapping is of the executable (the same name and
//      inode): the very file too, for anyone who may ptrace the process, deleted
//      or not;
//   3. the path inside the process's root (/proc/<pid>/root), resolved with
//      openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): an absolute symlink planted
//      by the target resolves inside its root, never to a file of ours;
//   4. the path as we see it, only when it is the same inode as the mapped file.
// Only regular files are opened (a mapped device could block on open).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "procfs/maps.h"

namespace ukstack::unwind {

// `path` (absolute or relative) resolved inside the directory `root_fd` as if it
// were "/": "..", absolute paths and absolute symlinks stay inside it, and magic
// links (/proc/self/...) are refused. Only a regular file is opened, O_RDONLY.
// Invalid fd (errno set) when there is none.
UniqueFd open_in_root(int root_fd, const std::string& path);

class ModuleFiles {
 public:
  // The process's mappings as the caller read them; opens its root (O_PATH), which
  // may fail (not permitted, process gone): the ways that need it are then skipped.
  ModuleFiles(int pid, std::vector<procfs::Mapping> mappings);

  // An fd for the module that maps `path` (as /proc/<pid>/maps names it, with or
  // without " (deleted)") starting at `base`; invalid when none of the ways works.
  UniqueFd open_module(const std::string& path, std::uint64_t base) const;

  int pid() const { return pid_; }
  const std::vector<procfs::Mapping>& mappings() const { return maps_; }

 private:
  const procfs::Mapping* mapping_for(const std::string& path, std::uint64_t base) const;

  int pid_;
  std::vector<procfs::Mapping> maps_;
  UniqueFd root_;
};

}  // namespace ukstack::unwind
