#include "cli/version_text.h"

#include <elfutils/libdwfl.h>
#include <elfutils/version.h>

#include "base/version.h"
#include "cli/git_description.h"

#ifdef UKSTACK_HAVE_LIBUNWIND
#include <libunwind.h>
#endif
#ifdef UKSTACK_HAVE_BPF
#include <bpf/libbpf.h>
#endif

namespace ukstack {

std::string version_text() {
  std::string text = std::string("ukstack ") + kVersion;
  if (*kGitDescription != '\0') text += std::string(" (git ") + kGitDescription + ")";
  // elfutils numbers its releases 0.N: _ELFUTILS_VERSION is N.
  const std::string libdw = "0." + std::to_string(_ELFUTILS_VERSION);
  text += "\nlibdw " + libdw;
  // The one loaded may be newer than the headers (a library upgraded since the build).
  if (const char* running = dwfl_version(nullptr); running != nullptr && libdw != running)
    text += std::string(" (running ") + running + ")";
#ifdef UKSTACK_HAVE_LIBUNWIND
  text += "\nlibunwind " + std::to_string(UNW_VERSION_MAJOR) + "." +
          std::to_string(UNW_VERSION_MINOR) + "." + std::to_string(UNW_VERSION_EXTRA + 0);
#endif
#ifdef UKSTACK_HAVE_BPF
  text += "\nlibbpf " + std::to_string(LIBBPF_MAJOR_VERSION) + "." +
          std::to_string(LIBBPF_MINOR_VERSION);
#endif
  return text;
}

}  // namespace ukstack
