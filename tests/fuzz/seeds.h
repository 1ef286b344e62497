// Seeds that fixtures/procfs/ does not hold: fd link texts (with a socket table),
// JSON snapshots rendered from tests/model/sample_snapshot.cpp and variants of it,
// netlink replies and Go function tables (tests/unwind/go_pclntab_builder.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ukstack::fuzz {

struct Seed {
  std::string name;  // a file name: "sample.json"
  std::string data;
};

// procfs_samples: the fixtures/procfs directory (socket seeds borrow its net-* tables).
std::vector<Seed> generated_seeds(std::string_view target, const std::string& procfs_samples);

}  // namespace ukstack::fuzz
