// The three line table decoders against tables real interpreters wrote, with the
// lines those interpreters themselves gave for every instruction as the oracle,
// and against hand-built tables for the corners (no line, a truncated entry, an
// offset past the table).
#include "unwind/python_line_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace ukstack::unwind {
namespace {

// The same function in each version (its def on line `first` of the script):
//
//   def sample(items, limit):
//       total = 0
//       for item in items:
//           if item > limit:
//               total += (item *
//                         2)
//           else:
//               total -= 1
//
//
//       return [total,
//               len(items)]

// Printed by /usr/bin/python3.11 (Debian's 3.11.2) from sample.__code__.co_linetable,
// with the line of every code unit from co_lines() (co_positions() agrees), the
// def on line 1.
const std::vector<std::uint8_t> kTable311 = {
    0x80, 0x00, 0xd8, 0x0c, 0x0d, 0x80, 0x45, 0xd8, 0x10, 0x15, 0xf0, 0x00, 0x05, 0x05, 0x17,
    0xf0, 0x00, 0x05, 0x05, 0x17, 0x88, 0x04, 0xd8, 0x0b, 0x0f, 0x90, 0x25, 0x8a, 0x3c, 0x88,
    0x3c, 0xd8, 0x0c, 0x11, 0x90, 0x64, 0xd8, 0x16, 0x17, 0xf1, 0x03, 0x01, 0x17, 0x18, 0xf1,
    0x00, 0x01, 0x0d, 0x19, 0x88, 0x45, 0x88, 0x45, 0xf0, 0x06, 0x00, 0x0d, 0x12, 0x90, 0x51,
    0x89, 0x4a, 0x88, 0x45, 0x88, 0x45, 0xf0, 0x06, 0x00, 0x0d, 0x12, 0xdd, 0x0c, 0x0f, 0x90,
    0x05, 0x89, 0x4a, 0x8c, 0x4a, 0xf0, 0x03, 0x01, 0x0c, 0x18, 0xf0, 0x00, 0x01, 0x05, 0x18};
const std::vector<int> kLines311 = {1,  2,  2,  3,  3,  3,  3,  4,  4,  4,  4,  4,  4,  5,  5,
                                    6,  5,  5,  5,  5,  5,  5,  8,  8,  8,  8,  8,  8,  11, 12,
                                    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 11, 11};

// Printed by a CPython 3.10.13 from co_linetable, with the line of every
// instruction from co_lines(), the def on line 2.
const std::vector<std::uint8_t> kTable310 = {0x04, 0x01, 0x08, 0x01, 0x08, 0x01, 0x04,
                                             0x01, 0x02, 0x01, 0x08, 0xff, 0x0a, 0x03,
                                             0x02, 0x03, 0x06, 0x01, 0x04, 0xff};
// Printed by a CPython 3.9.18 from co_lnotab, with the line of every instruction
// from dis.findlinestarts(), the def on line 2. Both versions agree on the lines.
const std::vector<std::uint8_t> kTable39 = {0x00, 0x01, 0x04, 0x01, 0x08, 0x01, 0x08,
                                            0x01, 0x04, 0x01, 0x02, 0xff, 0x08, 0x03,
                                            0x0a, 0x03, 0x02, 0x01, 0x06, 0xff};
const std::vector<int> kLinesOld = {3, 3, 4, 4, 4, 4, 5, 5, 5,  5,  6,  6,  7,  6,
                                    6, 6, 6, 9, 9, 9, 9, 9, 12, 13, 13, 13, 12, 12};

TEST(PythonLineTable, LocationTableGivesTheLinesPython311Gives) {
  for (std::size_t unit = 0; unit < kLines311.size(); ++unit) {
    EXPECT_EQ(location_table_line(kTable311, 1, static_cast<std::int64_t>(unit)),
              std::optional(kLines311[unit]))
        << "code unit " << unit;
  }
  // Before the first instruction (3.11's prev_instr when a frame has not started).
  EXPECT_EQ(location_table_line(kTable311, 1, -1), std::optional(1));
  // Past the code.
  EXPECT_EQ(location_table_line(kTable311, 1, static_cast<std::int64_t>(kLines311.size())),
            std::nullopt);
}

TEST(PythonLineTable, LinetableGivesTheLinesPython310Gives) {
  for (std::size_t instruction = 0; instruction < kLinesOld.size(); ++instruction) {
    // f_lasti counts code units in 3.10; the table counts bytes.
    EXPECT_EQ(linetable_line(kTable310, 2, static_cast<std::int64_t>(instruction) * 2),
              std::optional(kLinesOld[instruction]))
        << "instruction " << instruction;
  }
  EXPECT_EQ(linetable_line(kTable310, 2, static_cast<std::int64_t>(kLinesOld.size()) * 2),
            std::nullopt);
}

TEST(PythonLineTable, LnotabGivesTheLinesPython39Gives) {
  for (std::size_t instruction = 0; instruction < kLinesOld.size(); ++instruction) {
    EXPECT_EQ(lnotab_line(kTable39, 2, static_cast<std::int64_t>(instruction) * 2),
              std::optional(kLinesOld[instruction]))
        << "instruction " << instruction;
  }
  EXPECT_EQ(lnotab_line(kTable39, 2, -1), std::optional(2));  // not started: the def's line
}

TEST(PythonLineTable, InstructionsWithoutALineHaveNone) {
  // 3.10: 4 bytes on line 11, then 2 bytes with no line (-128), then 2 on line 13.
  const std::vector<std::uint8_t> table310 = {0x04, 0x01, 0x02, 0x80, 0x02, 0x02};
  EXPECT_EQ(linetable_line(table310, 10, 0), std::optional(11));
  EXPECT_EQ(linetable_line(table310, 10, 4), std::nullopt);
  EXPECT_EQ(linetable_line(table310, 10, 6), std::optional(13));
  // 3.11: one unit on the first line (code 10), one without a line (code 15),
  // one two lines down (code 12).
  const std::vector<std::uint8_t> table311 = {0xd0, 0x00, 0x01, 0xf8, 0xe0, 0x00, 0x01};
  EXPECT_EQ(location_table_line(table311, 5, 0), std::optional(5));
  EXPECT_EQ(location_table_line(table311, 5, 1), std::nullopt);
  EXPECT_EQ(location_table_line(table311, 5, 2), std::optional(7));
}

TEST(PythonLineTable, LongAndNegativeDeltasDecode) {
  // Code 14 (long form), 2 units: line delta +200 as a signed varint (400 =
  // 0b110010000: low group 0x10 with the continuation bit, then 6), then end line,
  // columns. Then code 13 (no columns), 1 unit, line delta -3 (raw 7).
  const std::vector<std::uint8_t> table = {0xf1, 0x50, 0x06, 0x00, 0x01, 0x01, 0xe8, 0x07};
  EXPECT_EQ(location_table_line(table, 100, 0), std::optional(300));
  EXPECT_EQ(location_table_line(table, 100, 1), std::optional(300));
  EXPECT_EQ(location_table_line(table, 100, 2), std::optional(297));
}

TEST(PythonLineTable, MalformedTablesGiveNoLine) {
  // A long entry cut off before its line delta.
  EXPECT_EQ(location_table_line(std::vector<std::uint8_t>{0xf0}, 1, 0), std::nullopt);
  // A varint that never ends.
  EXPECT_EQ(location_table_line(std::vector<std::uint8_t>{0xe8, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40},
                                1, 0),
            std::nullopt);
  // A table that starts inside an entry.
  EXPECT_EQ(location_table_line(std::vector<std::uint8_t>{0x05, 0x80}, 1, 0), std::nullopt);
  // A line that runs below zero.
  EXPECT_EQ(lnotab_line(std::vector<std::uint8_t>{0x00, 0x80}, 1, 0), std::nullopt);
  // Tables beyond the bound are not decoded.
  const std::vector<std::uint8_t> huge(kMaxPythonLineTable + 2, 0x80);
  EXPECT_EQ(location_table_line(huge, 1, 0), std::nullopt);
  EXPECT_EQ(linetable_line(huge, 1, 0), std::nullopt);
  EXPECT_EQ(lnotab_line(huge, 1, 0), std::nullopt);
  // Empty tables: no instruction has a line (3.9 keeps the first line, as CPython does).
  EXPECT_EQ(location_table_line({}, 1, 0), std::nullopt);
  EXPECT_EQ(linetable_line({}, 1, 0), std::nullopt);
  EXPECT_EQ(lnotab_line({}, 7, 0), std::optional(7));
}

}  // namespace
}  // namespace ukstack::unwind
