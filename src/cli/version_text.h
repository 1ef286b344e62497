// What `ukstack --version` prints.
#pragma once

#include <string>

namespace ukstack {

// "ukstack 0.1.0 (git 586b4eb)", the git part only when built from a checkout, then
// one line per library ukstack was built with and its version, as its headers gave
// it at build time ("libdw 0.188", "libunwind 1.6.2", "libbpf 1.1" in builds with BPF).
std::string version_text();

}  // namespace ukstack
