#include "unwind/module_files.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <string_view>

#include "procfs/process_reader.h"
#include "procfs/source.h"

namespace ukstack::unwind {

namespace {

constexpr std::string_view kDeleted = " (deleted)";

// An O_PATH fd turned into a readable one, if it is a regular file.
UniqueFd reopen_regular(int path_fd) {
  struct stat st {};
  if (fstat(path_fd, &st) != 0) return UniqueFd();
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return UniqueFd();
  }
  char proc_path[64];
  std::snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", path_fd);
  return UniqueFd(::open(proc_path, O_RDONLY | O_CLOEXEC));
}

// Whether the symlink `link` names `path`, deleted or not.
bool link_names(const std::string& link, const std::string& path) {
  char target[PATH_MAX];
  ssize_t length = ::readlink(link.c_str(), target, sizeof target);
  if (length <= 0 || static_cast<std::size_t>(length) == sizeof target) return false;
  std::string_view name(target, static_cast<std::size_t>(length));
  if (name.ends_with(kDeleted)) name.remove_suffix(kDeleted.size());
  return name == path;
}

// Whether the file behind `path_fd` is the one mapped (maps shows its inode).
bool same_inode(int path_fd, const procfs::Mapping& mapping) {
  struct stat st {};
  return fstat(path_fd, &st) == 0 && st.st_ino == mapping.inode;
}

}  // namespace

UniqueFd open_in_root(int root_fd, const std::string& path) {
  struct open_how how {};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  // RESOLVE_IN_ROOT treats a leading '/' as the root itself.
  long fd = syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how);
  if (fd < 0) return UniqueFd();
  UniqueFd path_fd(static_cast<int>(fd));
  return reopen_regular(path_fd.get());
}

ModuleFiles::ModuleFiles(int pid, std::vector<procfs::Mapping> mappings)
    : pid_(pid), maps_(std::move(mappings)) {
  std::string root = "/proc/" + std::to_string(pid) + "/root";
  root_.reset(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
}

const procfs::Mapping* ModuleFiles::mapping_for(const std::string& path, std::uint64_t base) const {
  std::string_view name = path;
  if (name.ends_with(kDeleted)) name.remove_suffix(kDeleted.size());
  const procfs::Mapping* first = nullptr;
  for (const auto& mapping : maps_) {
    if (mapping.path != name) continue;
    if (mapping.start.value() == base) return &mapping;
    if (first == nullptr) first = &mapping;
  }
  return first;
}

UniqueFd ModuleFiles::open_module(const std::string& path, std::uint64_t base) const {
  const procfs::Mapping* mapping = mapping_for(path, base);
  if (mapping == nullptr) return UniqueFd();

  // 1. The mapped file itself.
  char map_file[96];
  std::snprintf(map_file, sizeof map_file, "/proc/%d/map_files/%llx-%llx", pid_,
                static_cast<unsigned long long>(mapping->start.value()),
                static_cast<unsigned long long>(mapping->end.value()));
  {
    UniqueFd path_fd(::open(map_file, O_PATH | O_CLOEXEC));
    if (path_fd.valid()) {
      if (UniqueFd fd = reopen_regular(path_fd.get()); fd.valid()) return fd;
    }
  }
  // 2. The executable, through the link the kernel keeps to it: the same name
  // (both as seen from our root) and the same inode.
  if (std::string exe = "/proc/" + std::to_string(pid_) + "/exe"; link_names(exe, mapping->path)) {
    UniqueFd path_fd(::open(exe.c_str(), O_PATH | O_CLOEXEC));
    if (path_fd.valid() && same_inode(path_fd.get(), *mapping)) {
      if (UniqueFd fd = reopen_regular(path_fd.get()); fd.valid()) return fd;
    }
  }
  if (mapping->deleted) return UniqueFd();  // no name leads to it any more

  // 3. The same path inside the process's root: what the process itself sees.
  if (root_.valid()) {
    if (UniqueFd fd = open_in_root(root_.get(), mapping->path); fd.valid()) return fd;
  }
  // 4. The path as we see it, only if it is the file that was mapped (same
  // inode): in another mount namespace the same path may be another file.
  UniqueFd host_path(::open(mapping->path.c_str(), O_PATH | O_CLOEXEC));
  if (host_path.valid() && same_inode(host_path.get(), *mapping)) {
    return reopen_regular(host_path.get());
  }
  return UniqueFd();
}

}  // namespace ukstack::unwind
