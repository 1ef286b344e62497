// ukstack_fuzz_seeds OUTDIR: writes OUTDIR/<target>/<seed> for the targets whose seeds
// are generated (seeds.h); run_fuzzers.sh adds the fixtures/procfs/ samples itself.
// ukstack_fuzz_seeds --list: one line per target, "<name> <fixtures/procfs prefix>".
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "tests/fuzz/fuzz_targets.h"
#include "tests/fuzz/seeds.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTDIR | --list\n", argv[0]);
    return 64;
  }
  if (std::string_view(argv[1]) == "--list") {
    for (const auto& target : ukstack::fuzz::fuzz_targets()) {
      std::printf("%.*s %.*s\n", static_cast<int>(target.name.size()), target.name.data(),
                  static_cast<int>(target.seed_prefix.size()), target.seed_prefix.data());
    }
    return 0;
  }
  const std::filesystem::path out = argv[1];
  int written = 0;
  for (const auto& target : ukstack::fuzz::fuzz_targets()) {
    for (const auto& seed : ukstack::fuzz::generated_seeds(target.name, UKSTACK_PROCFS_SAMPLES)) {
      const std::filesystem::path dir = out / std::string(target.name);
      std::filesystem::create_directories(dir);
      std::ofstream file(dir / seed.name, std::ios::binary);
      file << seed.data;
      if (!file) {
        std::fprintf(stderr, "cannot write %s\n", (dir / seed.name).c_str());
        return 1;
      }
      ++written;
    }
  }
  std::printf("%d seeds written to %s\n", written, out.c_str());
  return 0;
}
