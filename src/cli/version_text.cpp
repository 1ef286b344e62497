#include "cli/version_text.h"

#include "base/version.h"
#include "capture/bpf_engine.h"
#include "cli/git_description.h"
#include "unwind/library_versions.h"

namespace ukstack {

std::string version_text() {
  std::string text = std::string("ukstack ") + kVersion;
  if (*kGitDescription != '\0') text += std::string(" (git ") + kGitDescription + ")";
  for (const std::string& library : unwind_library_versions()) text += "\n" + library;
  if (auto libbpf = BpfEngine::library_version()) text += "\n" + *libbpf;
  return text;
}

}  // namespace ukstack
