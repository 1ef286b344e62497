// One Dwfl for one process, with its modules reported once from /proc/<pid>/maps.
// Owns everything libdw borrows for the Dwfl's lifetime: the callbacks struct and
// the debuginfo path string.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <elfutils/libdwfl.h>

#include "procfs/result.h"

namespace ukstack::unwind {

class DwflSession {
 public:
  static Result<std::unique_ptr<DwflSession>> open_process(int pid,
                                                           const std::vector<std::string>& debug_dirs);
  ~DwflSession();
  DwflSession(const DwflSession&) = delete;
  DwflSession& operator=(const DwflSession&) = delete;

  Dwfl* get() const { return dwfl_; }

 private:
  DwflSession() = default;

  // libdw keeps a char** to this and reads it on every debug-info search.
  std::string debuginfo_path_;
  char* debuginfo_path_ptr_ = nullptr;
  Dwfl_Callbacks callbacks_{};
  Dwfl* dwfl_ = nullptr;
};

}  // namespace ukstack::unwind
