// The seam in front of the kernel: readers ask a ProcSource for files, directory
// listings and links under /proc, so they are unit-tested with a FakeProcSource.
// Paths are relative to the proc root, e.g. "1234/task/1235/stack".
#pragma once

#include <map>
#include <string>
#include <vector>

#include "procfs/result.h"

namespace ukstack::procfs {

class ProcSource {
 public:
  virtual ~ProcSource() = default;
  virtual Result<std::string> read_file(const std::string& path) const = 0;
  virtual Result<std::vector<std::string>> list_dir(const std::string& path) const = 0;
  virtual Result<std::string> read_link(const std::string& path) const = 0;
};

// Reads the real /proc (or another root, for tests that point it at a copied tree).
class RealProcSource final : public ProcSource {
 public:
  explicit RealProcSource(std::string root = "/proc");
  Result<std::string> read_file(const std::string& path) const override;
  Result<std::vector<std::string>> list_dir(const std::string& path) const override;
  Result<std::string> read_link(const std::string& path) const override;

 private:
  std::string root_;
};

// In-memory /proc for tests. A path that was not added fails with ENOENT, or with
// the errno given to fail().
class FakeProcSource final : public ProcSource {
 public:
  void add_file(std::string path, std::string content);
  void add_link(std::string path, std::string target);
  void fail(std::string path, int errnum);
  Result<std::string> read_file(const std::string& path) const override;
  Result<std::vector<std::string>> list_dir(const std::string& path) const override;
  Result<std::string> read_link(const std::string& path) const override;

 private:
  std::map<std::string, std::string> files_;
  std::map<std::string, std::string> links_;
  std::map<std::string, int> failures_;
};

}  // namespace ukstack::procfs
