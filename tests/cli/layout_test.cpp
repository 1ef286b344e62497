// Which text layout a run gets, from --layout and where its output goes.
#include <gtest/gtest.h>

#include "cli/cli.h"

namespace ukstack {
namespace {

TEST(TextLayout, AutoIsColumnsOnlyOnAWideEnoughTerminal) {
  EXPECT_EQ(text_layout(LayoutChoice::Auto, {.is_tty = true, .width = 140}),
            std::make_pair(Layout::Columns, std::size_t{140}));
  EXPECT_EQ(text_layout(LayoutChoice::Auto, {.is_tty = true, .width = 139}).first, Layout::Rows);
  EXPECT_EQ(text_layout(LayoutChoice::Auto, {.is_tty = false, .width = 200}).first, Layout::Rows);
  EXPECT_EQ(text_layout(LayoutChoice::Auto, {.is_tty = true, .width = 0}).first, Layout::Rows);
}

TEST(TextLayout, ColumnsAndRowsAreWhatWasAskedFor) {
  EXPECT_EQ(text_layout(LayoutChoice::Columns, {.is_tty = false, .width = 0}),
            std::make_pair(Layout::Columns, kDefaultColumnsWidth));
  EXPECT_EQ(text_layout(LayoutChoice::Columns, {.is_tty = false, .width = 120}),
            std::make_pair(Layout::Columns, std::size_t{120}));
  EXPECT_EQ(text_layout(LayoutChoice::Rows, {.is_tty = true, .width = 300}).first, Layout::Rows);
}

}  // namespace
}  // namespace ukstack
