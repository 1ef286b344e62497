// The search table built from .eh_frame for modules linked without .eh_frame_hdr.
// Its oracle is the linker: on binaries that have an .eh_frame_hdr, the table built
// from their .eh_frame must hold the same (location, FDE) pairs as the one GNU ld
// wrote. On the static fixture (no .eh_frame_hdr, the case it exists for) each of
// the fixture's functions must have its entry.
#include "unwind/eh_frame_index.h"

#include <dwarf.h>
#include <gelf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "unwind/elf_file.h"

namespace ukstack::unwind {
namespace {

struct ElfFile {
  UniqueFd fd;
  UniqueElf elf;
};

ElfFile open_file(const std::string& path) {
  ElfFile file;
  auto elf = open_elf(path, "test binary", file.fd);
  EXPECT_TRUE(elf) << elf.error().message;
  if (elf) file.elf = std::move(*elf);
  return file;
}

std::string fixture(const std::string& name) {
  return std::string(UKSTACK_FIXTURE_DIR) + "/" + name;
}

using Pairs = std::vector<std::pair<std::uint64_t, std::uint64_t>>;  // location, FDE address

Pairs absolute_pairs(const EhFrameIndex& index) {
  Pairs pairs;
  for (std::size_t i = 0; i + 1 < index.entries.size(); i += 2) {
    pairs.emplace_back(index.base + static_cast<std::uint64_t>(std::int64_t{index.entries[i]}),
                       index.base + static_cast<std::uint64_t>(std::int64_t{index.entries[i + 1]}));
  }
  return pairs;
}

// The table of the file's .eh_frame_hdr, as GNU ld writes it: version 1, a
// pc-relative sdata4 .eh_frame pointer, a udata4 count, then sdata4 pairs relative
// to the header. Empty (and a test failure) for anything else.
Pairs linker_table(Elf* elf) {
  auto hdr = find_elf_section(elf, ".eh_frame_hdr");
  EXPECT_TRUE(hdr) << "no .eh_frame_hdr";
  if (!hdr) return {};
  const std::uint8_t* bytes = hdr->bytes.data();
  EXPECT_GE(hdr->bytes.size(), 12u);
  EXPECT_EQ(bytes[0], 1);
  EXPECT_EQ(bytes[1], DW_EH_PE_pcrel | DW_EH_PE_sdata4);
  EXPECT_EQ(bytes[2], DW_EH_PE_udata4);
  EXPECT_EQ(bytes[3], DW_EH_PE_datarel | DW_EH_PE_sdata4);
  if (::testing::Test::HasFailure()) return {};
  std::uint32_t count = 0;
  std::memcpy(&count, bytes + 8, sizeof count);
  EXPECT_LE(12 + std::size_t{count} * 8, hdr->bytes.size());
  Pairs pairs;
  for (std::uint32_t i = 0; i < count && 12 + std::size_t{i + 1} * 8 <= hdr->bytes.size(); ++i) {
    std::int32_t location = 0, fde = 0;
    std::memcpy(&location, bytes + 12 + i * 8, sizeof location);
    std::memcpy(&fde, bytes + 12 + i * 8 + 4, sizeof fde);
    pairs.emplace_back(hdr->address + static_cast<std::uint64_t>(std::int64_t{location}),
                       hdr->address + static_cast<std::uint64_t>(std::int64_t{fde}));
  }
  return pairs;
}

class EhFrameIndexMatchesTheLinker : public ::testing::TestWithParam<std::string> {};

TEST_P(EhFrameIndexMatchesTheLinker, SamePairsAsEhFrameHdr) {
  if (!std::filesystem::exists(GetParam())) GTEST_SKIP() << GetParam() << " is not here";
  ElfFile file = open_file(GetParam());
  ASSERT_NE(file.elf, nullptr);
  Pairs expected = linker_table(file.elf.get());
  ASSERT_FALSE(expected.empty());

  auto index = eh_frame_index(file.elf.get(), 0);
  ASSERT_TRUE(index);
  EXPECT_EQ(absolute_pairs(*index), expected);

  // Loaded elsewhere: the same entries from a base moved by the load bias.
  constexpr std::uint64_t kBias = 0x7f0000000000;
  auto moved = eh_frame_index(file.elf.get(), kBias);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->base, index->base + kBias);
  EXPECT_EQ(moved->entries, index->entries);
}

INSTANTIATE_TEST_SUITE_P(Binaries, EhFrameIndexMatchesTheLinker,
                         // C (CIEs "zR"), C++ (also "zPLR": a personality and LSDAs), a shared
                         // library, and glibc (hand-written assembly CFI among the compiler's).
                         ::testing::Values(fixture("deleted_binary"), fixture("blocking_threads"),
                                           fixture("libdeleted_library.so"),
                                           "/usr/lib/x86_64-linux-gnu/libc.so.6"));

// The function symbols of .symtab: name -> address.
std::map<std::string, std::uint64_t> function_symbols(Elf* elf) {
  std::map<std::string, std::uint64_t> symbols;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr header;
    if (gelf_getshdr(scn, &header) == nullptr || header.sh_type != SHT_SYMTAB) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    const std::size_t count = header.sh_entsize != 0 ? header.sh_size / header.sh_entsize : 0;
    for (std::size_t i = 0; data != nullptr && i < count; ++i) {
      GElf_Sym symbol;
      if (gelf_getsym(data, static_cast<int>(i), &symbol) == nullptr ||
          GELF_ST_TYPE(symbol.st_info) != STT_FUNC || symbol.st_value == 0) {
        continue;
      }
      if (const char* name = elf_strptr(elf, header.sh_link, symbol.st_name)) {
        symbols[name] = symbol.st_value;
      }
    }
  }
  return symbols;
}

TEST(EhFrameIndex, StaticBinaryWithoutEhFrameHdrHasAnEntryPerFunction) {
  ElfFile file = open_file(fixture("deleted_binary_static"));
  ASSERT_NE(file.elf, nullptr);
  // Why the index exists: gcc links -static programs without .eh_frame_hdr.
  ASSERT_FALSE(find_elf_section(file.elf.get(), ".eh_frame_hdr"));
  auto eh_frame = find_elf_section(file.elf.get(), ".eh_frame");
  ASSERT_TRUE(eh_frame);

  auto index = eh_frame_index(file.elf.get(), 0);
  ASSERT_TRUE(index);
  EXPECT_EQ(index->base, eh_frame->address);
  Pairs pairs = absolute_pairs(*index);
  EXPECT_TRUE(std::is_sorted(pairs.begin(), pairs.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; }));
  for (const auto& [location, fde] : pairs) {
    EXPECT_GE(fde, eh_frame->address);
    EXPECT_LT(fde, eh_frame->address + eh_frame->bytes.size());
  }

  auto symbols = function_symbols(file.elf.get());
  for (const char* name : {"main", "deleted_main_wait", "deleted_reader_inner",
                           "deleted_reader_outer", "deleted_sleeper", "__libc_start_main"}) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(symbols.contains(name));
    const std::uint64_t address = symbols[name];
    EXPECT_TRUE(std::any_of(pairs.begin(), pairs.end(),
                            [&](const auto& pair) { return pair.first == address; }));
  }
}

TEST(EhFrameIndex, NoneWithoutEhFrameBytes) {
  // objcopy --only-keep-debug keeps .eh_frame as a header without bytes (NOBITS).
  ElfFile file = open_file(fixture("stripped-debug/stripped_reader.debug"));
  ASSERT_NE(file.elf, nullptr);
  EXPECT_FALSE(eh_frame_index(file.elf.get(), 0));
}

}  // namespace
}  // namespace ukstack::unwind
