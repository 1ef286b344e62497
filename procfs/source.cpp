#include "procfs/source.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <set>

#include "base/unique_fd.h"

namespace ukstack::procfs {

namespace {

struct DirCloser {
  void operator()(DIR* dir) const { (void)::closedir(dir); }
};

std::string display(const std::string& path) { return "/proc/" + path; }

}  // namespace

bool FileIdentity::is_fifo() const { return S_ISFIFO(mode); }

// ---- RealProcSource ------------------------------------------------------------

RealProcSource::RealProcSource(std::string root) : root_(std::move(root)) {}

RealProcSource::~RealProcSource() {
  for (const TaskDir& dir : task_dirs_) (void)::close(dir.fd);
}

namespace {

// Position of the '/' before the file name when `path` is
// "<digits>/task/<digits>/<file>" for one of the whole-file task entries; else npos.
std::size_t task_file_slash(std::string_view path) {
  auto digits = [](std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
  };
  const std::size_t first = path.find('/');
  if (first == std::string_view::npos || !digits(path.substr(0, first)))
    return std::string_view::npos;
  std::string_view rest = path.substr(first + 1);
  if (!rest.starts_with("task/")) return std::string_view::npos;
  rest.remove_prefix(5);
  const std::size_t second = rest.find('/');
  if (second == std::string_view::npos || !digits(rest.substr(0, second))) {
    return std::string_view::npos;
  }
  const std::string_view file = rest.substr(second + 1);
  if (file != "stat" && file != "status" && file != "stack" && file != "syscall" &&
      file != "wchan" && file != "schedstat") {
    return std::string_view::npos;
  }
  return first + 1 + 5 + second;
}

}  // namespace

int RealProcSource::task_dir(std::string_view dir, bool fresh) const {
  for (std::size_t i = 0; i < task_dirs_.size(); ++i) {
    if (task_dirs_[i].path != dir) continue;
    if (fresh) {
      (void)::close(task_dirs_[i].fd);
      task_dirs_.erase(task_dirs_.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
    if (i > 0)
      std::rotate(task_dirs_.begin(), task_dirs_.begin() + static_cast<std::ptrdiff_t>(i),
                  task_dirs_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    return task_dirs_.front().fd;
  }
  std::string full = root_;
  full += '/';
  full += dir;
  const int fd = ::open(full.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  if (task_dirs_.size() == kTaskDirs) {
    (void)::close(task_dirs_.back().fd);
    task_dirs_.pop_back();
  }
  task_dirs_.insert(task_dirs_.begin(), TaskDir{std::string(dir), fd});
  return fd;
}

Result<std::string> RealProcSource::read_task_file(const std::string& path,
                                                   std::size_t slash) const {
  const std::string_view dir = std::string_view(path).substr(0, slash);
  const char* file = path.c_str() + slash + 1;
  int fd = -1;
  for (bool fresh : {false, true}) {
    const int dir_fd = task_dir(dir, fresh);
    if (dir_fd < 0) break;
    fd = ::openat(dir_fd, file, O_RDONLY | O_CLOEXEC);
    // A cached directory of a task that exited (its tid maybe reused since):
    // look the path up again once.
    if (fd >= 0 || (errno != ENOENT && errno != ESRCH)) break;
  }
  if (fd < 0) return Error::from_errno(errno, "cannot open " + root_ + "/" + path);
  UniqueFd owned(fd);
  if (buffer_.empty()) buffer_.resize(16 * 1024);
  std::size_t size = 0;
  for (;;) {
    ssize_t n = ::read(fd, buffer_.data() + size, buffer_.size() - size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, "cannot read " + root_ + "/" + path);
    }
    size += static_cast<std::size_t>(n);
    // Whole-file entries: a read that did not fill the buffer reached the end.
    if (n == 0 || size < buffer_.size()) break;
    buffer_.resize(buffer_.size() * 2);
  }
  return std::string(buffer_.data(), size);
}

// /proc files report size 0 and are generated on read, so read until EOF.
Result<std::string> RealProcSource::read_file(const std::string& path) const {
  if (const std::size_t slash = task_file_slash(path); slash != std::string_view::npos) {
    return read_task_file(path, slash);
  }
  const std::string full = root_ + "/" + path;
  UniqueFd fd(::open(full.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Error::from_errno(errno, "cannot open " + full);
  std::string content;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, "cannot read " + full);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  return content;
}

Result<std::vector<std::string>> RealProcSource::list_dir(const std::string& path) const {
  const std::string full = root_ + "/" + path;
  // glibc's opendir opens with O_CLOEXEC.
  std::unique_ptr<DIR, DirCloser> dir(::opendir(full.c_str()));
  if (!dir) return Error::from_errno(errno, "cannot list " + full);
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) return Error::from_errno(errno, "cannot list " + full);
      break;
    }
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::string> RealProcSource::read_link(const std::string& path) const {
  const std::string full = root_ + "/" + path;
  std::string target(256, '\0');
  for (;;) {
    ssize_t n = ::readlink(full.c_str(), target.data(), target.size());
    if (n < 0) return Error::from_errno(errno, "cannot read link " + full);
    // readlink truncates silently: a full buffer means "maybe longer", so grow.
    if (static_cast<std::size_t>(n) < target.size()) {
      target.resize(static_cast<std::size_t>(n));
      return target;
    }
    target.resize(target.size() * 2);
  }
}

Result<FileIdentity> RealProcSource::identify(const std::string& path) const {
  const std::string full = root_ + "/" + path;
  struct stat st {};
  if (::stat(full.c_str(), &st) != 0) return Error::from_errno(errno, "cannot stat " + full);
  return FileIdentity{.major = ::major(st.st_dev),
                      .minor = ::minor(st.st_dev),
                      .inode = st.st_ino,
                      .mode = st.st_mode};
}

// ---- FakeProcSource ------------------------------------------------------------

void FakeProcSource::add_file(std::string path, std::string content) {
  files_[std::move(path)] = std::move(content);
}

void FakeProcSource::add_link(std::string path, std::string target) {
  links_[std::move(path)] = std::move(target);
}

void FakeProcSource::add_identity(std::string path, FileIdentity identity) {
  identities_[std::move(path)] = identity;
}

void FakeProcSource::fail(std::string path, int errnum) { failures_[std::move(path)] = errnum; }

Result<std::string> FakeProcSource::read_file(const std::string& path) const {
  if (auto f = failures_.find(path); f != failures_.end()) {
    return Error::from_errno(f->second, "cannot open " + display(path));
  }
  auto it = files_.find(path);
  if (it == files_.end()) return Error::from_errno(ENOENT, "cannot open " + display(path));
  return it->second;
}

// A directory exists when some added file, link or failure lies below it; its
// entries are the first path components below it.
Result<std::vector<std::string>> FakeProcSource::list_dir(const std::string& path) const {
  if (auto f = failures_.find(path); f != failures_.end()) {
    return Error::from_errno(f->second, "cannot list " + display(path));
  }
  const std::string prefix = path.empty() ? "" : path + "/";
  std::set<std::string> names;
  auto collect = [&](const auto& map) {
    for (const auto& [key, unused] : map) {
      if (!key.starts_with(prefix) || key.size() == prefix.size()) continue;
      std::string rest = key.substr(prefix.size());
      names.insert(rest.substr(0, rest.find('/')));
    }
  };
  collect(files_);
  collect(links_);
  collect(identities_);
  collect(failures_);
  if (names.empty()) return Error::from_errno(ENOENT, "cannot list " + display(path));
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::string> FakeProcSource::read_link(const std::string& path) const {
  if (auto f = failures_.find(path); f != failures_.end()) {
    return Error::from_errno(f->second, "cannot read link " + display(path));
  }
  auto it = links_.find(path);
  if (it == links_.end()) return Error::from_errno(ENOENT, "cannot read link " + display(path));
  return it->second;
}

Result<FileIdentity> FakeProcSource::identify(const std::string& path) const {
  if (auto f = failures_.find(path); f != failures_.end()) {
    return Error::from_errno(f->second, "cannot stat " + display(path));
  }
  auto it = identities_.find(path);
  if (it == identities_.end()) return Error::from_errno(ENOENT, "cannot stat " + display(path));
  return it->second;
}

}  // namespace ukstack::procfs
