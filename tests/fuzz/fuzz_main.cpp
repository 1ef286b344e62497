// The libFuzzer entry point of one target, chosen at build time by
// UKSTACK_FUZZ_TARGET_NAME ("kernel_stack" builds ukstack_fuzz_kernel_stack).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ukstack::fuzz::FuzzTarget* const target = [] {
    const auto* found = ukstack::fuzz::find_fuzz_target(UKSTACK_FUZZ_TARGET_NAME);
    if (found == nullptr) {
      std::fprintf(stderr, "no fuzz target named %s\n", UKSTACK_FUZZ_TARGET_NAME);
      std::abort();
    }
    return found;
  }();
  target->run(data, size);
  return 0;
}
