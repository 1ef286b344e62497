// The versions of the unwinding libraries this build uses, for `ukstack --version`.
#pragma once

#include <string>
#include <vector>

namespace ukstack {

// One line per library as its headers gave it at build time: "libdw 0.188" (with
// "(running 0.190)" when the loaded one differs), and "libunwind 1.6.2" in builds
// with the libunwind backend.
std::vector<std::string> unwind_library_versions();

}  // namespace ukstack
