#include "unwind/dwfl_session.h"

#include <elfutils/libdwfl.h>

#include <cerrno>
#include <cstring>

namespace ukstack::unwind {

Result<std::unique_ptr<DwflSession>> DwflSession::open_process(
    int pid, const std::vector<std::string>& debug_dirs) {
  std::unique_ptr<DwflSession> session(new DwflSession());
  // libdw's syntax: "+" = also look beside the file and in .debug, then each
  // directory, separated by ':'. /usr/lib/debug covers .build-id and debuglink.
  session->debuginfo_path_ = "+:.debug";
  for (const auto& dir : debug_dirs) session->debuginfo_path_ += ":" + dir;
  session->debuginfo_path_ += ":/usr/lib/debug";
  session->debuginfo_path_ptr_ = session->debuginfo_path_.data();

  session->callbacks_.find_elf = dwfl_linux_proc_find_elf;
  session->callbacks_.find_debuginfo = dwfl_standard_find_debuginfo;
  session->callbacks_.debuginfo_path = &session->debuginfo_path_ptr_;

  session->dwfl_ = dwfl_begin(&session->callbacks_);
  if (session->dwfl_ == nullptr) {
    return Error{0, std::string("libdw: cannot start: ") + dwfl_errmsg(-1)};
  }
  dwfl_report_begin(session->dwfl_);
  int result = dwfl_linux_proc_report(session->dwfl_, pid);
  // libdw's convention: < 0 is a libdw error, > 0 an errno.
  if (result < 0) {
    return Error{0, "cannot list the modules of process " + std::to_string(pid) + ": " +
                        dwfl_errmsg(-1)};
  }
  if (result > 0) {
    return Error::from_errno(result, "cannot read /proc/" + std::to_string(pid) + "/maps");
  }
  if (dwfl_report_end(session->dwfl_, nullptr, nullptr) != 0) {
    return Error{0, std::string("libdw: cannot finish reporting modules: ") + dwfl_errmsg(-1)};
  }
  return session;
}

DwflSession::~DwflSession() {
  if (dwfl_ != nullptr) dwfl_end(dwfl_);
}

}  // namespace ukstack::unwind
