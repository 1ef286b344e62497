// The fuzz targets: one per /proc parser and one for the snapshot JSON loader.
// Each body is an ordinary function so that one libFuzzer executable per target
// (fuzz_main.cpp) and the regression test (regression_test.cpp, every build) run the
// same code. A body returns normally on any input; a broken invariant aborts with a
// message (libFuzzer records the input as a crash).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ukstack::fuzz {

struct FuzzTarget {
  std::string_view name;         // "kernel_stack": executable ukstack_fuzz_kernel_stack
  std::string_view seed_prefix;  // fixtures/procfs/<prefix>*; empty: generated seeds only
  void (*run)(const std::uint8_t* data, std::size_t size);
};

std::span<const FuzzTarget> fuzz_targets();
const FuzzTarget* find_fuzz_target(std::string_view name);

}  // namespace ukstack::fuzz
