// --layout on a live process (issue 10, part 6): columns put each thread's kernel
// and user halves side by side within the width; auto into a pipe stays in rows.
#include <gtest/gtest.h>

#include <sstream>

#include "tests/integration/capture_helpers.h"

namespace ukstack::test {
namespace {

std::size_t width_of(const std::string& line) {
  std::size_t width = 0;
  for (char c : line) width += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return width;
}

TEST(Layout, ColumnsFitTheWidthAndShowBothHalvesSideBySide) {
  FixtureProcess fixture = FixtureProcess::start({fixture_path("blocking_threads")});
  for (const char* key : {"cond", "pipe", "sleep", "epoll"}) {
    ASSERT_TRUE(wait_for_state(fixture.id(key), "S", std::chrono::seconds(5))) << key;
  }
  // Not a terminal and no $COLUMNS in the test's environment: the default width.
  CommandResult columns = run_ukstack({"--layout", "columns", std::to_string(fixture.pid())});
  ASSERT_EQ(columns.exit_code, 0) << columns.err;
  std::istringstream in(columns.out);
  std::size_t side_by_side = 0;
  bool kernel_beside_user = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("  ", 0) != 0) continue;  // the thread's own lines are indented
    EXPECT_LE(width_of(line), 160u) << line;
    if (line.find(" │ ") != std::string::npos) {
      ++side_by_side;
      // A kernel frame on the left, a user frame on the right of the same row.
      const std::string left = line.substr(0, line.find(" │ "));
      const std::string right = line.substr(line.find(" │ "));
      if (left.find("do_syscall_64") != std::string::npos &&
          right.find("  #") != std::string::npos) {
        kernel_beside_user = true;
      }
    }
  }
  EXPECT_GE(side_by_side, 5u * 5u) << columns.out;
  EXPECT_TRUE(kernel_beside_user) << columns.out;
  EXPECT_EQ(columns.out.find("── system call"), std::string::npos);

  // auto into a pipe: rows, as before.
  CommandResult automatic = run_ukstack({std::to_string(fixture.pid())});
  ASSERT_EQ(automatic.exit_code, 0) << automatic.err;
  EXPECT_EQ(automatic.out.find(" │ "), std::string::npos);
  EXPECT_NE(automatic.out.find("── system call"), std::string::npos);
}

}  // namespace
}  // namespace ukstack::test
