// Every fuzz target on its seeds and on every input the fuzzers ever found
// (tests/fuzz/regressions/<target>/, at least one per target), in every build: the
// ci and asan presets keep fixed bugs fixed without clang or libFuzzer. A broken
// invariant aborts the test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>

#include "tests/fuzz/fuzz_targets.h"
#include "tests/fuzz/seeds.h"

namespace ukstack::fuzz {

// A failing parameterised test names its target, not 40 bytes of FuzzTarget.
void PrintTo(const FuzzTarget& target, std::ostream* out) { *out << target.name; }

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

const std::filesystem::path& regressions_dir() {
  static const std::filesystem::path dir =
      std::filesystem::path(UKSTACK_SOURCE_DIR) / "tests/fuzz/regressions";
  return dir;
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

// Every target has at least one committed input: an empty directory would make this
// test pass without running anything.
TEST_P(FuzzTargetTest, Regressions) {
  const FuzzTarget& target = GetParam();
  const std::filesystem::path dir = regressions_dir() / std::string(target.name);
  const int count = run_directory(target, dir, "");
  RecordProperty("inputs", count);
  EXPECT_GE(count, 1) << "no input in " << dir.string()
                      << ": commit at least one (a crash the fuzzer found, or a tricky sample)";
}

TEST_P(FuzzTargetTest, EmptyAndTinyInputs) {
  const FuzzTarget& target = GetParam();
  run(target, "");
  for (int byte = 0; byte < 256; ++byte) run(target, std::string(1, static_cast<char>(byte)));
}

// A directory named after no target (a typo, a renamed target) would never run.
TEST(FuzzRegressions, EveryDirectoryIsATarget) {
  ASSERT_TRUE(std::filesystem::is_directory(regressions_dir())) << regressions_dir().string();
  for (const auto& entry : std::filesystem::directory_iterator(regressions_dir())) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(entry.is_directory()) << name << ": inputs go in regressions/<target>/";
    EXPECT_NE(find_fuzz_target(name), nullptr) << "regressions/" << name << ": no such fuzz target";
  }
}

std::string target_name(const ::testing::TestParamInfo<FuzzTarget>& target) {
  return std::string(target.param.name);
}

INSTANTIATE_TEST_SUITE_P(All, FuzzTargetTest,
                         ::testing::ValuesIn(fuzz_targets().begin(), fuzz_targets().end()),
                         target_name);

}  // namespace
}  // namespace ukstack::fuzz
