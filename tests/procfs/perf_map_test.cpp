#include "procfs/perf_map.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/procfs/samples.h"

namespace ukstack::procfs {
namespace {

using testing::sample;

std::string name_at(const PerfMap& map, std::uint64_t address) {
  auto symbol = map.lookup(address);
  return symbol ? std::string(symbol->name) : "(none)";
}

TEST(PerfMap, NodeMapNamesInterpretedFunctions) {
  // Lines of a perf map Node.js 20 wrote with --perf-basic-prof
  // --interpreted-frames-native-stack.
  PerfMap map;
  const std::string text = sample("perfmap-node-20.txt");
  EXPECT_EQ(map.add(text), text.size());
  EXPECT_EQ(map.malformed(), 0u);
  EXPECT_EQ(map.problems(), "");
  auto inner = map.lookup(0x7fa86c025a5b);
  ASSERT_TRUE(inner);
  EXPECT_EQ(inner->name, "JS:~innerReader /tmp/jitx/t.js:2:21");
  EXPECT_EQ(inner->start, 0x7fa86c025980u);
  EXPECT_EQ(name_at(map, 0x7fa86c02569b), "JS:~outerReader /tmp/jitx/t.js:8:21");
  // The bytecode entries (not code) and gaps name nothing beyond their size.
  EXPECT_EQ(name_at(map, 0x7fa86c025980 + 0x378), "(none)");
  EXPECT_EQ(name_at(map, 0x1000), "(none)");
}

TEST(PerfMap, JvmMapsHave0xAndZeroPadding) {
  // As `jcmd PID Compiler.perfmap` writes them (JDK 17).
  PerfMap map;
  map.add(
      "0x00007f8e1d0e1a00 0x0000000000000160 Interpreter\n"
      "0x00007f8e1d4f2c80 0x00000000000001e8 void java.lang.Object.wait(long)\n");
  EXPECT_EQ(name_at(map, 0x7f8e1d4f2d00), "void java.lang.Object.wait(long)");
  EXPECT_EQ(name_at(map, 0x7f8e1d0e1a00), "Interpreter");
  EXPECT_EQ(map.malformed(), 0u);
}

TEST(PerfMap, EntryCoversStartToStartPlusSize) {
  PerfMap map;
  map.add("1000 10 first\n");
  EXPECT_EQ(name_at(map, 0xfff), "(none)");
  EXPECT_EQ(name_at(map, 0x1000), "first");
  EXPECT_EQ(name_at(map, 0x100f), "first");
  EXPECT_EQ(name_at(map, 0x1010), "(none)");
}

TEST(PerfMap, NamesKeepTheirSpacesAndHexMayHave0x) {
  PerfMap map;
  map.add("0x2000 0x20 LazyCompile:*handle request.js:12\r\n3000\t8\tstub with\ttab\n");
  EXPECT_EQ(name_at(map, 0x2010), "LazyCompile:*handle request.js:12");
  EXPECT_EQ(name_at(map, 0x3004), "stub with\ttab");
  EXPECT_EQ(map.entries(), 2u);
}

TEST(PerfMap, LaterEntriesWinWhereTheyOverlap) {
  PerfMap map;
  map.add(
      "1000 100 old\n"      // [1000, 1100)
      "1040 20 inside\n"    // cuts old in two
      "10f0 20 straddle\n"  // over old's tail and past it
      "1000 10 same-start\n"
      "2000 10 a\n2010 10 b\n2000 20 both\n");
  EXPECT_EQ(name_at(map, 0x1005), "same-start");
  EXPECT_EQ(name_at(map, 0x1010), "old");
  EXPECT_EQ(name_at(map, 0x1045), "inside");
  EXPECT_EQ(name_at(map, 0x1060), "old");
  EXPECT_EQ(name_at(map, 0x10ef), "old");
  EXPECT_EQ(name_at(map, 0x10f0), "straddle");
  EXPECT_EQ(name_at(map, 0x110f), "straddle");
  EXPECT_EQ(name_at(map, 0x2005), "both");
  EXPECT_EQ(name_at(map, 0x2015), "both");
  // The offset is from the entry's own start, also in a piece after a cut.
  auto old_tail = map.lookup(0x1060);
  ASSERT_TRUE(old_tail);
  EXPECT_EQ(old_tail->start, 0x1000u);
}

TEST(PerfMap, AppendedTextIsReadFromWhereTheLastReadStopped) {
  PerfMap map;
  const std::string first = "1000 10 one\n2000 10 tw";
  const std::size_t used = map.add(first);
  EXPECT_EQ(used, 12u);  // the half-written line waits
  EXPECT_EQ(name_at(map, 0x2000), "(none)");
  map.add(first.substr(used) + "o\n1000 10 one-moved\n");
  EXPECT_EQ(name_at(map, 0x2000), "two");
  EXPECT_EQ(name_at(map, 0x1000), "one-moved");
}

TEST(PerfMap, MalformedLinesAreSkippedAndCounted) {
  PerfMap map;
  map.add(
      "zz 10 bad-start\n"
      "1000 10 good\n"
      "2000 nothex x\n"
      "3000 10\n"                   // no name
      "ffffffffffffffff 2 wraps\n"  // past the end of the address space
      "\n"
      "4000 0 empty\n");
  EXPECT_EQ(name_at(map, 0x1000), "good");
  EXPECT_EQ(name_at(map, 0x4000), "(none)");
  EXPECT_EQ(map.malformed(), 4u);
  EXPECT_EQ(map.problems(), "4 malformed lines skipped (line 1: 'zz 10 bad-start')");
}

TEST(PerfMap, TooManyBytesDropsEverything) {
  PerfMap map(PerfMapLimits{.max_bytes = 40, .max_entries = 100});
  map.add("1000 10 one\n2000 10 two\n");
  EXPECT_EQ(name_at(map, 0x1000), "one");
  map.add("3000 10 three\n4000 10 four\n");  // now 52 bytes
  EXPECT_TRUE(map.gave_up());
  EXPECT_EQ(name_at(map, 0x1000), "(none)");
  EXPECT_EQ(map.problems(), "more than 40 bytes or 100 entries: not used");
}

TEST(PerfMap, AnEndlessLineDropsEverything) {
  PerfMap map(PerfMapLimits{.max_bytes = 16, .max_entries = 100});
  const std::string line(64, 'a');
  EXPECT_EQ(map.add(line), line.size());
  EXPECT_TRUE(map.gave_up());
}

TEST(PerfMap, TooManyEntriesDropsEverything) {
  PerfMap map(PerfMapLimits{.max_bytes = 1000, .max_entries = 2});
  map.add("1000 10 one\n2000 10 two\n3000 10 three\n");
  EXPECT_TRUE(map.gave_up());
  EXPECT_EQ(name_at(map, 0x1000), "(none)");
  EXPECT_EQ(map.problems(), "more than 1000 bytes or 2 entries: not used");
  PerfMap default_limits;
  default_limits.add(std::string(static_cast<std::size_t>(65) << 20, 'x'));
  EXPECT_EQ(default_limits.problems(), "more than 64 MiB or 1000000 entries: not used");
}

}  // namespace
}  // namespace ukstack::procfs
