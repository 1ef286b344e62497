#include "unwind/debuginfod_gate.h"

#include <dlfcn.h>

#include <cstdlib>
#include <string_view>

namespace ukstack::unwind {

bool debuginfod_configured() {
  const char* urls = std::getenv("DEBUGINFOD_URLS");
  return urls != nullptr && *urls != '\0';
}

}  // namespace ukstack::unwind

// libdw has no switch for its load of libdebuginfod (libdwfl/debuginfod-client.c
// dlopens it once per process and asks no more if that fails), so the switch is
// dlopen itself: a definition in the executable comes first in the dynamic linker's
// search order, libdw's call included. Every other load, and libdebuginfod's when
// DEBUGINFOD_URLS names a server, goes to the C library's dlopen unchanged. Refused,
// libdw finds no client and its search ends with the local one, as libdebuginfod's
// would without a server (it does not even look in its cache then). The linker takes
// this file out of the static library because DwflSession calls
// debuginfod_configured(); tests/integration/frames_debuginfo_test.cpp checks the load.
extern "C" __attribute__((visibility("default"))) void* dlopen(const char* file,
                                                               int mode) noexcept {
  using Dlopen = void* (*)(const char*, int);
  static const auto next_dlopen = reinterpret_cast<Dlopen>(dlsym(RTLD_NEXT, "dlopen"));
  if (file != nullptr && std::string_view(file).starts_with("libdebuginfod.so") &&
      !ukstack::unwind::debuginfod_configured()) {
    return nullptr;
  }
  return next_dlopen != nullptr ? next_dlopen(file, mode) : nullptr;
}
