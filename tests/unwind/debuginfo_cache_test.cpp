#include "unwind/debuginfo_cache.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace ukstack::unwind {
namespace {

namespace fs = std::filesystem;

struct SectionInfo {
  std::uint64_t flags = 0;
  std::uint64_t size = 0;
};

struct ElfFacts {
  std::string build_id;  // hex
  std::map<std::string, SectionInfo> sections;
  bool ok = false;
};

ElfFacts facts_of_fd(int fd) {
  ElfFacts facts;
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  if (elf == nullptr) return facts;
  const void* bits = nullptr;
  ssize_t size = dwelf_elf_gnu_build_id(elf, &bits);
  for (ssize_t i = 0; i < size; ++i) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", static_cast<const unsigned char*>(bits)[i]);
    facts.build_id += hex;
  }
  std::size_t shstrndx = 0;
  elf_getshdrstrndx(elf, &shstrndx);
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    gelf_getshdr(scn, &shdr);
    facts.sections[elf_strptr(elf, shstrndx, shdr.sh_name)] = {shdr.sh_flags, shdr.sh_size};
  }
  elf_end(elf);
  facts.ok = true;
  return facts;
}

ElfFacts facts_of(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return {};
  return facts_of_fd(fd.get());
}

class DebuginfoCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ukstack-dicache-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    cache_dir_ = dir_ + "/cache/ukstack/debuginfo";
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // Compiles a tiny program with the system compiler. `flags`: e.g. "-gz=zlib".
  std::string compile(const std::string& name, const std::string& body, const std::string& flags) {
    const std::string source = dir_ + "/" + name + ".c";
    std::ofstream(source) << body;
    const std::string out = dir_ + "/" + name;
    const std::string command = "cc -g -O1 -Wl,--build-id " + flags + " -o " + out + " " + source +
                                " > " + dir_ + "/cc.log 2>&1";
    if (std::system(command.c_str()) != 0) return {};
    return out;
  }

  std::string dir_;
  std::string cache_dir_;
};

const char* kProgram = R"(
#include <stdio.h>
struct point { int x, y; };
static int norm(struct point p) { return p.x * p.x + p.y * p.y; }
int main(int argc, char** argv) { struct point p = {argc, 2}; (void)argv; printf("%d\n", norm(p)); return 0; }
)";

TEST_F(DebuginfoCacheTest, CompressedFileIsCopiedUncompressedAndReused) {
  const std::string program = compile("zprog", kProgram, "-gz=zlib");
  if (program.empty()) GTEST_SKIP() << "no C compiler with -gz=zlib";
  const ElfFacts original = facts_of(program);
  ASSERT_TRUE(original.ok);
  ASSERT_FALSE(original.build_id.empty());
  ASSERT_TRUE(original.sections.contains(".debug_info"));
  ASSERT_NE(original.sections.at(".debug_info").flags & SHF_COMPRESSED, 0u);

  DebuginfoCache cache(cache_dir_);
  UniqueFd in(::open(program.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(in.valid());
  auto copy = cache.uncompressed(in.get());
  ASSERT_TRUE(copy.ok()) << copy.error().message;
  ASSERT_TRUE(copy->valid());
  EXPECT_EQ(cache.last_outcome(), DebuginfoCache::Outcome::Written);

  const std::string entry = cache_dir_ + "/" + original.build_id + ".debug";
  ASSERT_TRUE(fs::exists(entry));
  const ElfFacts plain = facts_of_fd(copy->get());
  ASSERT_TRUE(plain.ok);
  EXPECT_EQ(plain.build_id, original.build_id);
  EXPECT_EQ(plain.sections.size(), original.sections.size());
  for (const auto& [name, section] : plain.sections) {
    EXPECT_EQ(section.flags & SHF_COMPRESSED, 0u) << name;
  }
  ASSERT_TRUE(plain.sections.contains(".debug_info"));
  EXPECT_GT(plain.sections.at(".debug_info").size, original.sections.at(".debug_info").size);
  // Nobody else may write the cache: it is handed to libdw as trusted input.
  struct stat st;
  ASSERT_EQ(::stat(entry.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 022, 0u);
  EXPECT_EQ(st.st_uid, ::geteuid());
  // No temporary files left behind.
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(cache_dir_)) ++files;
  EXPECT_EQ(files, 1);

  // Second time: taken from the cache, not written again.
  auto again = cache.uncompressed(in.get());
  ASSERT_TRUE(again.ok()) << again.error().message;
  ASSERT_TRUE(again->valid());
  EXPECT_EQ(cache.last_outcome(), DebuginfoCache::Outcome::Hit);
  EXPECT_EQ(facts_of_fd(again->get()).build_id, original.build_id);
}

TEST_F(DebuginfoCacheTest, EntryWithTheWrongBuildIdIsNotUsed) {
  const std::string program = compile("zprog", kProgram, "-gz=zlib");
  if (program.empty()) GTEST_SKIP() << "no C compiler with -gz=zlib";
  const std::string other = compile("other", "int main(void) { return 7; }\n", "");
  ASSERT_FALSE(other.empty());
  const ElfFacts original = facts_of(program);
  ASSERT_NE(facts_of(other).build_id, original.build_id);

  // A planted (or corrupted) entry under the right name with another build-id.
  fs::create_directories(cache_dir_);
  fs::permissions(cache_dir_, fs::perms::owner_all);
  const std::string entry = cache_dir_ + "/" + original.build_id + ".debug";
  fs::copy_file(other, entry);
  fs::permissions(entry, fs::perms::owner_read | fs::perms::owner_write);

  DebuginfoCache cache(cache_dir_);
  UniqueFd in(::open(program.c_str(), O_RDONLY | O_CLOEXEC));
  auto copy = cache.uncompressed(in.get());
  ASSERT_TRUE(copy.ok()) << copy.error().message;
  ASSERT_TRUE(copy->valid());
  EXPECT_EQ(cache.last_outcome(), DebuginfoCache::Outcome::Written);  // replaced, not used
  EXPECT_EQ(facts_of_fd(copy->get()).build_id, original.build_id);
  EXPECT_EQ(facts_of(entry).build_id, original.build_id);

  // Garbage (not even ELF) is replaced too.
  std::ofstream(entry, std::ios::trunc) << "not an ELF file";
  auto again = cache.uncompressed(in.get());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(cache.last_outcome(), DebuginfoCache::Outcome::Written);
  EXPECT_EQ(facts_of_fd(again->get()).build_id, original.build_id);
}

TEST_F(DebuginfoCacheTest, EntryOthersCanWriteIsNotUsed) {
  const std::string program = compile("zprog", kProgram, "-gz=zlib");
  if (program.empty()) GTEST_SKIP() << "no C compiler with -gz=zlib";
  DebuginfoCache cache(cache_dir_);
  UniqueFd in(::open(program.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(cache.uncompressed(in.get()).ok());
  const std::string entry = cache_dir_ + "/" + facts_of(program).build_id + ".debug";
  ASSERT_EQ(::chmod(entry.c_str(), 0666), 0);
  auto copy = cache.uncompressed(in.get());
  ASSERT_TRUE(copy.ok()) << copy.error().message;
  EXPECT_EQ(cache.last_outcome(), DebuginfoCache::Outcome::Written);
}

TEST_F(DebuginfoCacheTest, UncompressedFileNeedsNoCopy) {
  const std::string program = compile("plain", kProgram, "-gz=none");
  if (program.empty()) GTEST_SKIP() << "no C compiler";
  DebuginfoCache cache(cache_dir_);
  UniqueFd in(::open(program.c_str(), O_RDONLY | O_CLOEXEC));
  auto copy = cache.uncompressed(in.get());
  ASSERT_TRUE(copy.ok()) << copy.error().message;
  EXPECT_FALSE(copy->valid());
  EXPECT_EQ(cache.last_outcome(), DebuginfoCache::Outcome::NotNeeded);
  EXPECT_FALSE(fs::exists(cache_dir_));
}

TEST_F(DebuginfoCacheTest, GnuZdebugSectionsAreExpandedAndRenamed) {
  const std::string program = compile("zgnu", kProgram, "-gz=zlib-gnu");
  if (program.empty()) GTEST_SKIP() << "no C compiler/linker with -gz=zlib-gnu";
  const ElfFacts original = facts_of(program);
  if (!original.sections.contains(".zdebug_info")) GTEST_SKIP() << "linker wrote no .zdebug";
  DebuginfoCache cache(cache_dir_);
  UniqueFd in(::open(program.c_str(), O_RDONLY | O_CLOEXEC));
  auto copy = cache.uncompressed(in.get());
  ASSERT_TRUE(copy.ok()) << copy.error().message;
  ASSERT_TRUE(copy->valid());
  const ElfFacts plain = facts_of_fd(copy->get());
  EXPECT_EQ(plain.build_id, original.build_id);
  EXPECT_TRUE(plain.sections.contains(".debug_info"));
  EXPECT_FALSE(plain.sections.contains(".zdebug_info"));
}

TEST(DebuginfoCacheDirectory, EnvironmentVariableDisablesIt) {
  const char* saved = std::getenv("UKSTACK_NO_DEBUGINFO_CACHE");
  const std::string saved_value = saved ? saved : "";
  ::setenv("UKSTACK_NO_DEBUGINFO_CACHE", "1", 1);
  EXPECT_FALSE(DebuginfoCache::default_directory().has_value());
  ::setenv("UKSTACK_NO_DEBUGINFO_CACHE", "0", 1);
  auto directory = DebuginfoCache::default_directory();
  if (::geteuid() == 0) {
    ASSERT_TRUE(directory.has_value());
    EXPECT_EQ(*directory, "/var/cache/ukstack/debuginfo");
  }
  if (saved) {
    ::setenv("UKSTACK_NO_DEBUGINFO_CACHE", saved_value.c_str(), 1);
  } else {
    ::unsetenv("UKSTACK_NO_DEBUGINFO_CACHE");
  }
}

std::vector<unsigned char> from_hex(const std::string& hex) {
  std::vector<unsigned char> bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<unsigned char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

TEST_F(DebuginfoCacheTest, LookupByBuildIdFindsOnlyVerifiedEntries) {
  const std::string program = compile("zprog", kProgram, "-gz=zlib");
  if (program.empty()) GTEST_SKIP() << "no C compiler with -gz=zlib";
  const ElfFacts original = facts_of(program);
  const auto id = from_hex(original.build_id);
  DebuginfoCache cache(cache_dir_);
  EXPECT_FALSE(cache.lookup(id).valid());
  EXPECT_EQ(cache.last_outcome(), DebuginfoCache::Outcome::Miss);

  UniqueFd in(::open(program.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(cache.uncompressed(in.get()).ok());
  UniqueFd hit = cache.lookup(id);
  ASSERT_TRUE(hit.valid());
  EXPECT_EQ(cache.last_outcome(), DebuginfoCache::Outcome::Hit);
  EXPECT_EQ(facts_of_fd(hit.get()).build_id, original.build_id);

  // The same entry asked for under another build-id (renamed file): refused.
  auto other_id = id;
  other_id.back() ^= 1;
  fs::copy_file(
      cache_dir_ + "/" + original.build_id + ".debug",
      cache_dir_ + "/" + original.build_id.substr(0, original.build_id.size() - 2) +
          [&] {
            char hex[3];
            std::snprintf(hex, sizeof hex, "%02x", other_id.back());
            return std::string(hex);
          }() +
          ".debug");
  EXPECT_FALSE(cache.lookup(other_id).valid());
  EXPECT_EQ(cache.last_outcome(), DebuginfoCache::Outcome::Miss);
}

}  // namespace
}  // namespace ukstack::unwind
