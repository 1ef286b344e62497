#include "unwind/library_versions.h"

#include <elfutils/libdwfl.h>
#include <elfutils/version.h>

#ifdef UKSTACK_HAVE_LIBUNWIND
#include <libunwind.h>
#endif

namespace ukstack {

std::vector<std::string> unwind_library_versions() {
  std::vector<std::string> lines;
  // elfutils numbers its releases 0.N: _ELFUTILS_VERSION is N.
  const std::string libdw = "0." + std::to_string(_ELFUTILS_VERSION);
  std::string line = "libdw " + libdw;
  // The one loaded may be newer than the headers (a library upgraded since the build).
  if (const char* running = dwfl_version(nullptr); running != nullptr && libdw != running)
    line += std::string(" (running ") + running + ")";
  lines.push_back(std::move(line));
#ifdef UKSTACK_HAVE_LIBUNWIND
  lines.push_back("libunwind " + std::to_string(UNW_VERSION_MAJOR) + "." +
                  std::to_string(UNW_VERSION_MINOR) + "." + std::to_string(UNW_VERSION_EXTRA + 0));
#endif
  return lines;
}

}  // namespace ukstack
