// The seam in front of the kernel: readers ask a ProcSource for files, directory
// listings and links under /proc, so they are unit-tested with a FakeProcSource.
// Paths are relative to the proc root, e.g. "1234/task/1235/stack".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace ukstack::procfs {

// What stat(2) says of a file: its device (as /proc/locks prints it: major and
// minor), inode and type. For "<pid>/fd/<n>" the link is followed to the open file,
// which works for pipes and sockets too and on every kernel (fdinfo's `ino:` line
// needs 5.14 and gives no device).
struct FileIdentity {
  unsigned major = 0;
  unsigned minor = 0;
  std::uint64_t inode = 0;
  std::uint32_t mode = 0;  // st_mode
  bool is_fifo() const;
  bool operator==(const FileIdentity&) const = default;
};

class ProcSource {
 public:
  virtual ~ProcSource() = default;
  virtual Result<std::string> read_file(const std::string& path) const = 0;
  virtual Result<std::vector<std::string>> list_dir(const std::string& path) const = 0;
  virtual Result<std::string> read_link(const std::string& path) const = 0;
  virtual Result<FileIdentity> identify(const std::string& path) const = 0;
};

// Reads the real /proc (or another root, for tests that point it at a copied tree).
//
// Fast path for the per-thread files a capture reads several times per thread
// ("<pid>/task/<tid>/{stat,status,stack,syscall,wchan}"): the task directory is
// opened once (O_PATH) and kept in a small most-recently-used list, the file is
// openat()ed relative to it (one path component to resolve instead of five), and
// read with one read() into a reused buffer: those files are generated whole by
// the kernel (single_open), so a short read is the end of the file. A cached
// directory whose task has gone (or whose tid was reused) is reopened once.
// Not thread-safe (the cache is per object; use one object per thread).
class RealProcSource final : public ProcSource {
 public:
  explicit RealProcSource(std::string root = "/proc");
  ~RealProcSource() override;
  RealProcSource(const RealProcSource&) = delete;
  RealProcSource& operator=(const RealProcSource&) = delete;
  Result<std::string> read_file(const std::string& path) const override;
  Result<std::vector<std::string>> list_dir(const std::string& path) const override;
  Result<std::string> read_link(const std::string& path) const override;
  Result<FileIdentity> identify(const std::string& path) const override;

 private:
  struct TaskDir {
    std::string path;  // "<pid>/task/<tid>"
    int fd = -1;
  };
  static constexpr std::size_t kTaskDirs = 8;

  // The O_PATH fd of `dir` (relative to root_), from the cache or opened now; -1
  // with errno set on failure. `fresh` skips (and replaces) a cached entry.
  int task_dir(std::string_view dir, bool fresh) const;
  Result<std::string> read_task_file(const std::string& path, std::size_t slash) const;

  std::string root_;
  mutable std::vector<TaskDir> task_dirs_;  // most recently used first
  mutable std::vector<char> buffer_;
};

// In-memory /proc for tests. A path that was not added fails with ENOENT, or with
// the errno given to fail(). identify() answers what add_identity() gave.
class FakeProcSource final : public ProcSource {
 public:
  void add_file(std::string path, std::string content);
  void add_link(std::string path, std::string target);
  void add_identity(std::string path, FileIdentity identity);
  void fail(std::string path, int errnum);
  Result<std::string> read_file(const std::string& path) const override;
  Result<std::vector<std::string>> list_dir(const std::string& path) const override;
  Result<std::string> read_link(const std::string& path) const override;
  Result<FileIdentity> identify(const std::string& path) const override;

 private:
  std::map<std::string, std::string> files_;
  std::map<std::string, std::string> links_;
  std::map<std::string, FileIdentity> identities_;
  std::map<std::string, int> failures_;
};

}  // namespace ukstack::procfs
