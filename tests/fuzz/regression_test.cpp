// Every fuzz target on its seeds and on every input the fuzzers ever found
// (tests/fuzz/regressions/<target>/), in every build: the ci and asan presets keep
// fixed bugs fixed without clang or libFuzzer. A broken invariant aborts the test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/fuzz/fuzz_targets.h"
#include "tests/fuzz/seeds.h"

namespace ukstack::fuzz {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void run(const FuzzTarget& target, const std::string& data) {
  target.run(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
}

// Runs every regular file in `dir` (if it exists); returns how many.
int run_directory(const FuzzTarget& target, const std::filesystem::path& dir,
                  std::string_view prefix) {
  int count = 0;
  if (!std::filesystem::is_directory(dir)) return 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file() || !entry.path().filename().string().starts_with(prefix)) {
      continue;
    }
    SCOPED_TRACE(entry.path().string());
    run(target, read_file(entry.path()));
    ++count;
  }
  return count;
}

class FuzzTargetTest : public ::testing::TestWithParam<FuzzTarget> {};

TEST_P(FuzzTargetTest, Seeds) {
  const FuzzTarget& target = GetParam();
  int seeds = 0;
  if (!target.seed_prefix.empty()) {
    seeds += run_directory(target, UKSTACK_PROCFS_SAMPLES, target.seed_prefix);
  }
  for (const Seed& seed : generated_seeds(target.name, UKSTACK_PROCFS_SAMPLES)) {
    SCOPED_TRACE(seed.name);
    run(target, seed.data);
    ++seeds;
  }
  EXPECT_GE(seeds, 2) << "a fuzz target with almost no seeds";
}

TEST_P(FuzzTargetTest, Regressions) {
  const FuzzTarget& target = GetParam();
  const std::filesystem::path dir = std::filesystem::path(UKSTACK_SOURCE_DIR) /
                                    "tests/fuzz/regressions" / std::string(target.name);
  const int count = run_directory(target, dir, "");
  RecordProperty("inputs", count);
}

TEST_P(FuzzTargetTest, EmptyAndTinyInputs) {
  const FuzzTarget& target = GetParam();
  run(target, "");
  for (int byte = 0; byte < 256; ++byte) run(target, std::string(1, static_cast<char>(byte)));
}

std::string target_name(const ::testing::TestParamInfo<FuzzTarget>& target) {
  return std::string(target.param.name);
}

INSTANTIATE_TEST_SUITE_P(All, FuzzTargetTest,
                         ::testing::ValuesIn(fuzz_targets().begin(), fuzz_targets().end()),
                         target_name);

}  // namespace
}  // namespace ukstack::fuzz
