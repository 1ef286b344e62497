// Writes small .gopclntab tables in each format Go's linker has written (Go 1.2,
// 1.16, 1.18, 1.20; either byte order; 4- or 8-byte pointers), laid out as Go's
// src/debug/gosym/pclntab.go and runtime/symtab.go read them: for the formats no
// installed Go produces, and as fuzz seeds.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "unwind/go_pclntab.h"

namespace ukstack::testing {

struct BuiltGoFunction {
  std::string name;
  std::uint64_t entry = 0;  // link-time; functions in ascending order, each ending
  std::uint64_t size = 0;   // where the next begins or before
  std::string file;
  // (offset from entry where the line begins, line), the first at offset 0.
  std::vector<std::pair<std::uint64_t, int>> lines;
  // [begin, end) offsets of code inlined from another function, if any.
  std::pair<std::uint64_t, std::uint64_t> inlined{0, 0};
};

struct GoPclntabLayout {
  unwind::GoPclntabVersion version = unwind::GoPclntabVersion::Go118;
  unsigned pointer_size = 8;
  bool big_endian = false;
  unsigned quantum = 1;
  std::uint64_t text_start = 0x401000;  // Go 1.18+: what entries are relative to
  bool header_text_start = true;        // false: 0 in the header (left to a relocation)
};

std::vector<std::uint8_t> build_go_pclntab(const GoPclntabLayout& layout,
                                           const std::vector<BuiltGoFunction>& functions);

// Three functions across two files, one with inlined code, at text_start.
std::vector<BuiltGoFunction> sample_go_functions(std::uint64_t text_start);

}  // namespace ukstack::testing
