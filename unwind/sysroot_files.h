// The files of the machine a core was written on, kept under a directory of this
// one (--sysroot DIR): the module the core calls /usr/lib/x/libfoo.so is read from
// DIR/usr/lib/x/libfoo.so, and only when its GNU build-id is the one the core
// recorded for that module. Debian 12's elfutils (0.188) has no dwfl_set_sysroot
// (0.191 added it): this is the part of it a core's find_elf callback needs.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/unique_fd.h"

namespace ukstack::unwind {

class SysrootFiles {
 public:
  explicit SysrootFiles(std::string root);

  // The root as an absolute path, without a trailing '/'.
  const std::string& root() const { return root_; }

  // Where a module path of the core lies under the root; nullopt for names that
  // are no file of the crashed machine: "[vdso]", relative names, /proc/... .
  // A " (deleted)" suffix is dropped: the sysroot may hold the file that was.
  std::optional<std::string> path_for(std::string_view module_path) const;

  // The module's file under the root, when the core recorded no build-id for it
  // (nothing to check it by: taken as libdw takes a path) or the file's build-id is
  // `build_id`. An invalid fd otherwise; problem() then says why.
  UniqueFd open_module(std::string_view module_path, std::span<const unsigned char> build_id);

  // Why open_module found no file for this module, in a user's words; nullopt when
  // it found one or was never asked.
  std::optional<std::string> problem(std::string_view module_path) const;

 private:
  std::string root_;
  std::map<std::string, std::string, std::less<>> problems_;  // module path -> why
};

}  // namespace ukstack::unwind
