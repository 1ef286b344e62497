#include "procfs/source.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <set>

#include "procfs/unique_fd.h"

namespace ukstack::procfs {

namespace {

struct DirCloser {
  void operator()(DIR* dir) const { (void)::closedir(dir); }
};

std::string display(const std::string& path) { return "/proc/" + path; }

}  // namespace

// ---- RealProcSource ------------------------------------------------------------

RealProcSource::RealProcSource(std::string root) : root_(std::move(root)) {}

// /proc files report size 0 and are generated on read, so read until EOF.
Result<std::string> RealProcSource::read_file(const std::string& path) const {
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

// ---- FakeProcSource ------------------------------------------------------------

void FakeProcSource::add_file(std::string path, std::string content) {
  files_[std::move(path)] = std::move(content);
}

void FakeProcSource::add_link(std::string path, std::string target) {
  links_[std::move(path)] = std::move(target);
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

}  // namespace ukstack::procfs
