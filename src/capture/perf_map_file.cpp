#include "capture/perf_map_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"
#include "unwind/module_files.h"

namespace ukstack {

namespace {

// "64 MiB" for whole MiB, else "1000 bytes" (the small limits of tests).
std::string size_in_words(std::uint64_t bytes) {
  constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

Result<FileTail> read_target_file(int pid, const std::string& path, std::uint64_t offset,
                                  std::uint64_t max_size) {
  const std::string root_path = "/proc/" + std::to_string(pid) + "/root";
  UniqueFd root(::open(root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return Error::from_errno(errno, "cannot open " + root_path);
  UniqueFd file = unwind::open_in_root(root.get(), path);
  if (!file.valid()) {
    if (errno == EINVAL) return Error{EINVAL, "not a regular file"};
    return Error::from_errno(errno, "cannot open it");
  }
  struct stat st {};
  if (fstat(file.get(), &st) != 0) return Error::from_errno(errno, "cannot stat it");
  FileTail tail;
  tail.file_size = static_cast<std::uint64_t>(st.st_size);
  tail.owner = st.st_uid;
  // Nothing beyond the size and owner when it is too large or not to be read.
  if (tail.file_size > max_size || tail.file_size <= offset) return tail;
  tail.bytes.resize(tail.file_size - offset);
  std::size_t done = 0;
  while (done < tail.bytes.size()) {
    const ssize_t got = ::pread(file.get(), tail.bytes.data() + done, tail.bytes.size() - done,
                                static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error::from_errno(errno, "cannot read it");
    if (got == 0) break;  // shortened since the fstat
    done += static_cast<std::size_t>(got);
  }
  tail.bytes.resize(done);
  return tail;
}

void TargetPerfMap::start_over() {
  map_.reset();
  used_ = 0;
  read_problem_.clear();
}

void TargetPerfMap::refresh(const TargetFileReader& read, int pid, int ns_pid, std::uint32_t uid) {
  const std::string path = "/tmp/perf-" + std::to_string(ns_pid) + ".map";
  if (path != path_) {
    start_over();
    path_ = path;
  }
  ++reads_;
  auto tail = read(pid, path_, used_, limits_.max_bytes);
  if (!tail) {
    start_over();
    // Most processes have no map: that is no problem to report.
    if (tail.error().errnum != ENOENT) read_problem_ = tail.error().message;
    return;
  }
  if (tail->file_size < used_) {  // a new file: read it whole
    start_over();
    tail = read(pid, path_, 0, limits_.max_bytes);
    if (!tail) {
      if (tail.error().errnum != ENOENT) read_problem_ = tail.error().message;
      return;
    }
  }
  if (tail->owner != uid) {
    start_over();
    read_problem_ = "owned by uid " + std::to_string(tail->owner) + ", not by the process's (" +
                    std::to_string(uid) + "): not read";
    return;
  }
  if (tail->file_size > limits_.max_bytes) {
    start_over();
    read_problem_ = std::to_string(tail->file_size) + " bytes, more than " +
                    size_in_words(limits_.max_bytes) + ": not read";
    return;
  }
  read_problem_.clear();
  if (!map_) map_.emplace(limits_);
  used_ += map_->add(tail->bytes);
}

std::string TargetPerfMap::problem() const {
  std::string why = read_problem_;
  if (why.empty() && map_) why = map_->problems();
  if (why.empty()) return why;
  return "perf map " + path_ + ": " + why;
}

}  // namespace ukstack
