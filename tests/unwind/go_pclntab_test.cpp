// Go's function table (.gopclntab). On the Go fixtures built here (Debian's Go):
// every function of the binary's own ELF symbol table is named by its table alone,
// at its address, and file:line agree with its DWARF wherever the table gives them.
// On tables written in each format Go's linker has used (tests/unwind/
// go_pclntab_builder.h): names, function bounds and lines; truncated and corrupted
// tables give no answer or the right one, never a crash or another function's name.
#include "unwind/go_pclntab.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#ifdef UKSTACK_GO115_PCLNTAB
#include <zlib.h>
#endif

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "tests/unwind/go_pclntab_builder.h"
#include "unwind/cu_index.h"
#include "unwind/dwfl_session.h"
#include "unwind/elf_file.h"
#include "unwind/go_pclntab_file.h"
#include "unwind/symbolizer.h"

namespace ukstack::unwind {
namespace {

using testing::BuiltGoFunction;
using testing::GoPclntabLayout;

constexpr std::uint64_t kText = 0x401000;

std::string version_name(GoPclntabVersion version) {
  switch (version) {
    case GoPclntabVersion::Go12:
      return "Go12";
    case GoPclntabVersion::Go116:
      return "Go116";
    case GoPclntabVersion::Go118:
      return "Go118";
    case GoPclntabVersion::Go120:
      return "Go120";
  }
  return "?";
}

// ---- tables in every format ----------------------------------------------------------

class GoPclntabFormat : public ::testing::TestWithParam<GoPclntabLayout> {};

std::string layout_name(const ::testing::TestParamInfo<GoPclntabLayout>& info) {
  const GoPclntabLayout& layout = info.param;
  return version_name(layout.version) + (layout.big_endian ? "_BigEndian" : "_LittleEndian") +
         "_Pointer" + std::to_string(layout.pointer_size) + "_Quantum" +
         std::to_string(layout.quantum);
}

TEST_P(GoPclntabFormat, NamesBoundsAndLines) {
  const GoPclntabLayout& layout = GetParam();
  const std::vector<BuiltGoFunction> functions = testing::sample_go_functions(kText);
  const std::vector<std::uint8_t> bytes = testing::build_go_pclntab(layout, functions);
  auto table = GoPclntab::parse(bytes, kText);
  ASSERT_TRUE(table);
  EXPECT_EQ(table->version(), layout.version);
  EXPECT_EQ(table->function_count(), functions.size());

  auto name_at = [&](std::uint64_t pc) -> std::string {
    auto function = table->function_at(pc);
    return function ? std::string(function->name) : "none";
  };
  EXPECT_EQ(name_at(kText - 1), "none");
  EXPECT_EQ(name_at(kText), "runtime.futex");
  EXPECT_EQ(name_at(kText + 0x3f), "runtime.futex");
  EXPECT_EQ(name_at(kText + 0x40), "main.(*server).accept");
  // The padding after a function belongs to it as far as the table says.
  EXPECT_EQ(name_at(kText + 0x17f), "main.(*server).accept");
  EXPECT_EQ(name_at(kText + 0x180), "net.(*TCPListener).Accept");
  EXPECT_EQ(name_at(kText + 0x19f), "net.(*TCPListener).Accept");
  EXPECT_EQ(name_at(kText + 0x1a0), "none");  // past the last function's end

  auto accept = table->function_at(kText + 0x50);
  ASSERT_TRUE(accept);
  EXPECT_EQ(accept->entry, kText + 0x40);
  EXPECT_EQ(accept->end, kText + 0x180);
  for (std::size_t i = 0; i < functions.size(); ++i) {
    auto function = table->function(i);
    ASSERT_TRUE(function);
    EXPECT_EQ(function->name, functions[i].name);
    EXPECT_EQ(function->entry, functions[i].entry);
  }

  auto line_at = [&](std::uint64_t pc) -> std::string {
    auto function = table->function_at(pc);
    if (!function) return "no function";
    auto line = table->source_line(*function, pc);
    return line ? std::string(line->file) + ":" + std::to_string(line->line) : "none";
  };
  EXPECT_EQ(line_at(kText), "/go/src/runtime/sys_linux_amd64.s:557");
  EXPECT_EQ(line_at(kText + 0x1f), "/go/src/runtime/sys_linux_amd64.s:557");
  EXPECT_EQ(line_at(kText + 0x20), "/go/src/runtime/sys_linux_amd64.s:560");
  EXPECT_EQ(line_at(kText + 0x40), "/src/server/main.go:12");
  EXPECT_EQ(line_at(kText + 0x50), "/src/server/main.go:14");
  EXPECT_EQ(line_at(kText + 0xbf), "/src/server/main.go:14");
  // Inlined code: its line is the callee's, the caller's is not in the table.
  EXPECT_EQ(line_at(kText + 0xc0), "none");
  EXPECT_TRUE(table->in_inlined_code(*accept, kText + 0xc0));
  EXPECT_TRUE(table->in_inlined_code(*accept, kText + 0xdf));
  EXPECT_FALSE(table->in_inlined_code(*accept, kText + 0xe0));
  EXPECT_FALSE(table->in_inlined_code(*accept, kText + 0xbf));
  EXPECT_EQ(line_at(kText + 0xe0), "/src/server/main.go:15");
  EXPECT_EQ(line_at(kText + 0x13f), "/src/server/main.go:15");
  EXPECT_EQ(line_at(kText + 0x140), "none");  // the padding: no line
  EXPECT_EQ(line_at(kText + 0x180), "/go/src/net/tcpsock.go:320");
  EXPECT_EQ(line_at(kText + 0x19f), "/go/src/net/tcpsock.go:320");
}

std::vector<GoPclntabLayout> all_layouts() {
  std::vector<GoPclntabLayout> layouts;
  for (GoPclntabVersion version : {GoPclntabVersion::Go12, GoPclntabVersion::Go116,
                                   GoPclntabVersion::Go118, GoPclntabVersion::Go120}) {
    for (bool big_endian : {false, true}) {
      for (unsigned pointer_size : {8u, 4u}) {
        layouts.push_back(
            {.version = version, .pointer_size = pointer_size, .big_endian = big_endian});
      }
    }
    layouts.push_back({.version = version, .quantum = 4});  // arm64, ppc64, ...
  }
  return layouts;
}

INSTANTIATE_TEST_SUITE_P(EveryFormat, GoPclntabFormat, ::testing::ValuesIn(all_layouts()),
                         layout_name);

TEST(GoPclntab, TextStartFromTheSectionWhenTheHeaderHasNone) {
  // A Go 1.18+ table whose textStart is left to a run-time relocation reads 0 in
  // the file; its entries are then relative to .text.
  auto bytes =
      testing::build_go_pclntab({.header_text_start = false}, testing::sample_go_functions(kText));
  auto table = GoPclntab::parse(bytes, kText);
  ASSERT_TRUE(table);
  auto function = table->function_at(kText + 0x40);
  ASSERT_TRUE(function);
  EXPECT_EQ(function->name, "main.(*server).accept");
  EXPECT_EQ(function->entry, kText + 0x40);
}

TEST(GoPclntab, RejectsWhatIsNotATable) {
  auto good = testing::build_go_pclntab({}, testing::sample_go_functions(kText));
  ASSERT_TRUE(GoPclntab::parse(good, kText));
  auto changed = [&](std::size_t at, std::uint8_t value) {
    auto bytes = good;
    bytes[at] = value;
    return bytes;
  };
  EXPECT_FALSE(GoPclntab::parse({}, kText));
  EXPECT_FALSE(GoPclntab::parse(std::span(good).first(7), kText));
  EXPECT_FALSE(GoPclntab::parse(std::span(good).first(8), kText));   // no header words
  EXPECT_FALSE(GoPclntab::parse(changed(0, 0xf2), kText));           // unknown magic
  EXPECT_FALSE(GoPclntab::parse(changed(4, 1), kText));              // not padding
  EXPECT_FALSE(GoPclntab::parse(changed(6, 3), kText));              // no such quantum
  EXPECT_FALSE(GoPclntab::parse(changed(7, 2), kText));              // no such pointer size
  EXPECT_FALSE(GoPclntab::parse(changed(8 + 7, 0x80), kText));       // 2^63 functions
  EXPECT_FALSE(GoPclntab::parse(changed(8, 0), kText));              // no function
  EXPECT_FALSE(GoPclntab::parse(changed(8 + 8 * 7 + 6, 1), kText));  // records far outside
}

// Every prefix of a table (as a truncated file or a short read would give): a pc
// gets its own function's name and line, or none; never another's.
TEST(GoPclntab, TruncatedTablesNeverGiveAWrongAnswer) {
  for (GoPclntabVersion version : {GoPclntabVersion::Go12, GoPclntabVersion::Go116,
                                   GoPclntabVersion::Go118, GoPclntabVersion::Go120}) {
    SCOPED_TRACE(version_name(version));
    const auto bytes =
        testing::build_go_pclntab({.version = version}, testing::sample_go_functions(kText));
    auto full = GoPclntab::parse(bytes, kText);
    ASSERT_TRUE(full);
    int answered = 0;
    for (std::size_t size = 0; size < bytes.size(); ++size) {
      auto cut = GoPclntab::parse(std::span(bytes).first(size), kText);
      if (!cut) continue;
      for (std::uint64_t pc = kText - 4; pc < kText + 0x1a4; ++pc) {
        auto function = cut->function_at(pc);
        if (!function) continue;
        ++answered;
        auto truth = full->function_at(pc);
        ASSERT_TRUE(truth) << size << " " << pc;
        EXPECT_EQ(function->name, truth->name);
        EXPECT_EQ(function->entry, truth->entry);
        auto line = cut->source_line(*function, pc);
        auto true_line = full->source_line(*truth, pc);
        if (line) {
          ASSERT_TRUE(true_line) << size << " " << std::hex << pc << " " << line->file << ":"
                                 << std::dec << line->line;
          EXPECT_EQ(line->file, true_line->file);
          EXPECT_EQ(line->line, true_line->line);
        }
      }
    }
    // The records come last: a prefix that holds the first ones still names those.
    EXPECT_GT(answered, 0);
  }
}

// Each byte of a table set to 0x00, then 0xff, and to a value one above: no crash, no
// read outside the bytes (ASan in the asan preset), and what is answered is coherent.
TEST(GoPclntab, CorruptedTablesStayInsideTheirBytes) {
  for (GoPclntabVersion version : {GoPclntabVersion::Go12, GoPclntabVersion::Go118}) {
    const auto good =
        testing::build_go_pclntab({.version = version}, testing::sample_go_functions(kText));
    for (std::size_t at = 0; at < good.size(); ++at) {
      for (std::uint8_t value :
           {std::uint8_t{0}, std::uint8_t{0xff}, static_cast<std::uint8_t>(good[at] + 1)}) {
        auto bytes = good;
        bytes[at] = value;
        auto table = GoPclntab::parse(bytes, kText);
        if (!table) continue;
        for (std::uint64_t pc = kText; pc < kText + 0x1a0; pc += 8) {
          auto function = table->function_at(pc);
          if (!function) continue;
          ASSERT_LE(function->entry, pc);
          ASSERT_GT(function->end, pc);
          ASSERT_FALSE(function->name.empty());
          ASSERT_GE(reinterpret_cast<const std::uint8_t*>(function->name.data()), bytes.data());
          ASSERT_LE(
              reinterpret_cast<const std::uint8_t*>(function->name.data()) + function->name.size(),
              bytes.data() + bytes.size());
          (void)table->source_line(*function, pc);
        }
      }
    }
  }
}

// ---- a table of Go 1.15, as its linker wrote it --------------------------------------

#ifdef UKSTACK_GO115_PCLNTAB
std::vector<std::uint8_t> gunzip(const char* path) {
  std::vector<std::uint8_t> bytes;
  gzFile file = gzopen(path, "rb");
  if (file == nullptr) return bytes;
  std::uint8_t buffer[65536];
  for (int n; (n = gzread(file, buffer, sizeof buffer)) > 0;) {
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  gzclose(file);
  return bytes;
}
#endif

// Go's src/debug/gosym/testdata/pcln115.gz: the table of a hello world built by Go
// 1.15 from /tmp/hello.go, whose main.main is at 0x105c280, line 3 (pclntab_test.go).
TEST(GoPclntab, ReadsAGo115TableAsItsLinkerWroteIt) {
#ifndef UKSTACK_GO115_PCLNTAB
  GTEST_SKIP() << "Go's sources (src/debug/gosym/testdata) were not found when configuring";
#else
  const std::vector<std::uint8_t> bytes = gunzip(UKSTACK_GO115_PCLNTAB);
  ASSERT_GT(bytes.size(), 1000u);
  auto table = GoPclntab::parse(bytes, 0x1001000);
  ASSERT_TRUE(table);
  EXPECT_EQ(table->version(), GoPclntabVersion::Go12);
  auto main = table->function_at(0x105c280);
  ASSERT_TRUE(main);
  EXPECT_EQ(main->name, "main.main");
  EXPECT_EQ(main->entry, 0x105c280u);
  auto line = table->source_line(*main, 0x105c280);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->file, "/tmp/hello.go");
  EXPECT_EQ(line->line, 3);
  // Every function: named, in address order, found again at its entry.
  std::uint64_t previous_end = 0;
  for (std::size_t i = 0; i < table->function_count(); ++i) {
    auto function = table->function(i);
    ASSERT_TRUE(function) << i;
    EXPECT_GE(function->entry, previous_end);
    previous_end = function->end;
    auto found = table->function_at(function->entry);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->name, function->name);
  }
  EXPECT_GT(table->function_count(), 1000u);
#endif
}

// ---- the Go fixtures -------------------------------------------------------------------

#ifdef UKSTACK_HAVE_GO_FIXTURE

struct ElfFile {
  UniqueFd fd;
  UniqueElf elf;
};

ElfFile open_fixture(const std::string& name) {
  ElfFile file;
  auto elf = open_elf(std::string(UKSTACK_FIXTURE_DIR) + "/" + name, "fixture", file.fd);
  EXPECT_TRUE(elf) << elf.error().message;
  if (elf) file.elf = std::move(*elf);
  return file;
}

// The binary's own function symbols: address -> name, as its .symtab has them.
std::map<std::uint64_t, std::string> function_symbols(Elf* elf) {
  std::map<std::uint64_t, std::string> symbols;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr header;
    if (gelf_getshdr(scn, &header) == nullptr || header.sh_type != SHT_SYMTAB) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    for (std::size_t i = 0; data != nullptr && i < header.sh_size / header.sh_entsize; ++i) {
      GElf_Sym symbol;
      if (gelf_getsym(data, static_cast<int>(i), &symbol) == nullptr) continue;
      // Zero-sized function symbols mark places (runtime.etext), not functions.
      if (GELF_ST_TYPE(symbol.st_info) != STT_FUNC || symbol.st_size == 0) continue;
      symbols[symbol.st_value] = elf_strptr(elf, header.sh_link, symbol.st_name);
    }
  }
  return symbols;
}

// What the table keeps of a generic instantiation's name (and of the generated
// functions of array types): the linker writes everything from the first '[' to the
// last ']' as "[...]", as Go's own tracebacks print it.
std::string elided_as_in_table(std::string name) {
  const auto open = name.find('['), close = name.rfind(']');
  if (open != std::string::npos && close != std::string::npos && close > open) {
    name.replace(open, close - open + 1, "[...]");
  }
  return name;
}

class GoFixtureTable : public ::testing::TestWithParam<std::string> {};

// The strong check: the table alone gives each function of the symbol table its
// exact name (gdb's, without ".abi0") at its address, and names nothing else.
// Only generic instantiations differ: the table has no type arguments.
TEST_P(GoFixtureTable, NamesEveryFunctionOfItsSymbolTable) {
  ElfFile file = open_fixture(GetParam());
  ASSERT_TRUE(file.elf);
  const auto started = std::chrono::steady_clock::now();
  auto table = read_go_pclntab(file.elf.get());
  const auto parsed = std::chrono::steady_clock::now();
  ASSERT_TRUE(table);
  const auto symbols = function_symbols(file.elf.get());
  ASSERT_GT(symbols.size(), 1000u);
  std::size_t checked = 0, elided = 0;
  for (const auto& [address, name] : symbols) {
    SCOPED_TRACE(name);
    auto function = table->function_at(address);
    ASSERT_TRUE(function);
    const std::string table_name = without_go_abi_suffix(go_elf_symbol_name(function->name));
    if (table_name.find("[...]") != std::string::npos) {
      EXPECT_EQ(table_name, elided_as_in_table(without_go_abi_suffix(name)));
      ++elided;
    } else {
      EXPECT_EQ(table_name, without_go_abi_suffix(name));
    }
    EXPECT_EQ(function->entry, address);
    ++checked;
  }
  for (std::size_t i = 0; i < table->function_count(); ++i) {
    auto function = table->function(i);
    ASSERT_TRUE(function) << i;
    EXPECT_TRUE(symbols.contains(function->entry)) << function->name;
  }
  const auto looked_up = std::chrono::steady_clock::now();
  RecordProperty("symbols_checked", static_cast<int>(checked));
  RecordProperty("functions", static_cast<int>(table->function_count()));
  RecordProperty("elided", static_cast<int>(elided));
  RecordProperty(
      "parse_us",
      static_cast<int>(
          std::chrono::duration_cast<std::chrono::microseconds>(parsed - started).count()));
  RecordProperty(
      "lookups_us",
      static_cast<int>(
          std::chrono::duration_cast<std::chrono::microseconds>(looked_up - parsed).count()));
  EXPECT_EQ(checked, table->function_count());
}

// file:line against DWARF's line table (libdw, through CuIndex) at every byte of every
// function: equal wherever the table gives one. The table gives none in inlined code
// and in the padding between functions, where DWARF has no line either. Go writes its
// DWARF line program from the same data, but at a few inline-mark NOPs the two
// differ (45 of ~640,000 pcs with Debian's Go 1.19; `go tool objdump`, which reads the
// table, agrees with the table there): up to 1 in 2,000 may.
TEST_P(GoFixtureTable, LinesAgreeWithDwarf) {
  ElfFile file = open_fixture(GetParam());
  ASSERT_TRUE(file.elf);
  auto table = read_go_pclntab(file.elf.get());
  ASSERT_TRUE(table);
  auto session = DwflSession::open_file(std::string(UKSTACK_FIXTURE_DIR) + "/" + GetParam(), {});
  ASSERT_TRUE(session) << session.error().message;
  const Dwarf_Addr bias = (*session)->file_placement();
  CuIndex cus;
  std::size_t compared = 0, inlined = 0, padding = 0, different = 0;
  std::map<std::string, int> mismatches;
  for (std::size_t i = 0; i < table->function_count(); ++i) {
    auto function = table->function(i);
    ASSERT_TRUE(function);
    Dwfl_Module* module = dwfl_addrmodule((*session)->get(), function->entry + bias);
    ASSERT_NE(module, nullptr);
    for (std::uint64_t pc = function->entry; pc < function->end; ++pc) {
      SourceLine truth;
      const bool dwarf_has_line =
          cus.source_line(module, pc + bias, truth) && truth.address >= function->entry + bias;
      auto line = table->source_line(*function, pc);
      std::string mismatch;
      if (table->in_inlined_code(*function, pc)) {
        ++inlined;
        if (line) mismatch = "a line in inlined code";
      } else if (!dwarf_has_line) {
        ++padding;
        if (line) mismatch = "a line DWARF does not have";
      } else if (!line) {
        mismatch = "no line where DWARF has one";
      } else {
        // DWARF names the compiler's generated code "./<autogenerated>" (its comp_dir
        // is "."), the table and Go's tracebacks "<autogenerated>".
        std::string_view dwarf_file = truth.file;
        if (dwarf_file == "./<autogenerated>") dwarf_file.remove_prefix(2);
        if (line->file != dwarf_file || line->line != truth.line) mismatch = "another line";
        ++compared;
      }
      if (mismatch == "another line") {
        ++different;
      } else if (!mismatch.empty() && mismatches[mismatch]++ < 5) {
        ADD_FAILURE() << mismatch << " at 0x" << std::hex << pc << std::dec << " in "
                      << function->name << ": table "
                      << (line ? std::string(line->file) + ":" + std::to_string(line->line)
                               : "none")
                      << ", DWARF " << (dwarf_has_line ? truth.file : "none") << ":" << truth.line;
      }
    }
  }
  for (const auto& [mismatch, count] : mismatches) ADD_FAILURE() << mismatch << ": " << count;
  EXPECT_LE(different * 2000, compared) << different << " pcs with another line";
  RecordProperty("pcs_compared", static_cast<int>(compared));
  RecordProperty("pcs_another_line", static_cast<int>(different));
  RecordProperty("pcs_inlined", static_cast<int>(inlined));
  RecordProperty("pcs_padding", static_cast<int>(padding));
  EXPECT_GT(compared, 300000u);
  EXPECT_GT(inlined, 10000u);
}

// Every DW_TAG_inlined_subroutine's address ranges below `die`, as absolute addresses.
void collect_inlined_ranges(Dwarf_Die* die, Dwarf_Addr bias,
                            std::vector<std::pair<Dwarf_Addr, Dwarf_Addr>>& ranges) {
  Dwarf_Die child;
  if (dwarf_child(die, &child) != 0) return;
  do {
    if (dwarf_tag(&child) == DW_TAG_inlined_subroutine) {
      Dwarf_Addr base = 0, start = 0, end = 0;
      for (ptrdiff_t at = 0; (at = dwarf_ranges(&child, at, &base, &start, &end)) > 0;) {
        ranges.emplace_back(start + bias, end + bias);
      }
    }
    collect_inlined_ranges(&child, bias, ranges);
  } while (dwarf_siblingof(&child, &child) == 0);
}

// Inlined code as the table sees it against the ranges of DWARF's inlined-call DIEs,
// at every byte. (Not through dwarf_getscopes: libdw 0.188 finds no scope, and leaks
// its array, when the abstract origin lies in another CU, as it does for every call
// Go inlines across packages.) Go's DWARF leaves out some inlined calls that the
// table has (in generated wrappers "(*T).M" calling "T.M", in package init
// functions; `go tool objdump` shows the callee's file there): the table may see
// more, never less.
TEST_P(GoFixtureTable, InlinedCodeAsDwarfSeesIt) {
  ElfFile file = open_fixture(GetParam());
  ASSERT_TRUE(file.elf);
  auto table = read_go_pclntab(file.elf.get());
  ASSERT_TRUE(table);
  auto session = DwflSession::open_file(std::string(UKSTACK_FIXTURE_DIR) + "/" + GetParam(), {});
  ASSERT_TRUE(session) << session.error().message;
  const Dwarf_Addr placed = (*session)->file_placement();
  Dwfl_Module* module = dwfl_addrmodule((*session)->get(), table->function(0)->entry + placed);
  ASSERT_NE(module, nullptr);
  Dwarf_Addr bias = 0;
  Dwarf* dwarf = dwfl_module_getdwarf(module, &bias);
  ASSERT_NE(dwarf, nullptr);
  std::vector<std::pair<Dwarf_Addr, Dwarf_Addr>> ranges;
  Dwarf_Off offset = 0, next = 0;
  std::size_t header_size = 0;
  while (dwarf_nextcu(dwarf, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu;
    if (dwarf_offdie(dwarf, offset + header_size, &cu) != nullptr) {
      collect_inlined_ranges(&cu, bias, ranges);
    }
    offset = next;
  }
  ASSERT_FALSE(ranges.empty());
  std::sort(ranges.begin(), ranges.end());
  // Nested calls overlap: merge into disjoint ranges for a binary search.
  std::vector<std::pair<Dwarf_Addr, Dwarf_Addr>> merged;
  for (const auto& range : ranges) {
    if (!merged.empty() && range.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, range.second);
    } else {
      merged.push_back(range);
    }
  }
  auto in_dwarf = [&](Dwarf_Addr address) {
    auto after = std::upper_bound(merged.begin(), merged.end(),
                                  std::pair<Dwarf_Addr, Dwarf_Addr>{address, ~Dwarf_Addr{0}});
    return after != merged.begin() && address < std::prev(after)->second;
  };

  std::size_t both = 0, table_only = 0, neither = 0, dwarf_only = 0;
  for (std::size_t i = 0; i < table->function_count(); ++i) {
    auto function = table->function(i);
    ASSERT_TRUE(function);
    for (std::uint64_t pc = function->entry; pc < function->end; ++pc) {
      const bool dwarf_inlined = in_dwarf(pc + placed);
      const bool table_inlined = table->in_inlined_code(*function, pc);
      (dwarf_inlined ? (table_inlined ? both : dwarf_only)
                     : (table_inlined ? table_only : neither))++;
      if (dwarf_inlined && !table_inlined && dwarf_only <= 5) {
        ADD_FAILURE() << "inlined in DWARF only at 0x" << std::hex << pc << " in "
                      << function->name;
      }
    }
  }
  RecordProperty("pcs_inlined_both", static_cast<int>(both));
  RecordProperty("pcs_inlined_table_only", static_cast<int>(table_only));
  RecordProperty("pcs_not_inlined", static_cast<int>(neither));
  EXPECT_EQ(dwarf_only, 0u);
  EXPECT_GT(both, 100000u);
}

INSTANTIATE_TEST_SUITE_P(DebianGo, GoFixtureTable,
                         ::testing::Values("accept_server_go", "accept_server_go_pie"));

// The stripped builds have no symbol table and no DWARF, but the same table.
TEST(GoFixtureTable, StrippedBuildsKeepTheTable) {
  for (const char* name : {"accept_server_go_stripped", "accept_server_go_stripped_pie"}) {
    SCOPED_TRACE(name);
    ElfFile file = open_fixture(name);
    ASSERT_TRUE(file.elf);
    EXPECT_TRUE(function_symbols(file.elf.get()).empty());
    EXPECT_FALSE(find_elf_section(file.elf.get(), ".debug_info"));
    auto table = read_go_pclntab(file.elf.get());
    ASSERT_TRUE(table);
    EXPECT_GT(table->function_count(), 1000u);
  }
}

#endif  // UKSTACK_HAVE_GO_FIXTURE

}  // namespace
}  // namespace ukstack::unwind
