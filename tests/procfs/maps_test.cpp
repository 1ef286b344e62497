#include "procfs/maps.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/procfs/samples.h"

namespace ukstack::procfs {
namespace {

using testing::sample;

const Mapping* find_path(const std::vector<Mapping>& maps, const std::string& path) {
  auto it =
      std::find_if(maps.begin(), maps.end(), [&](const Mapping& m) { return m.path == path; });
  return it == maps.end() ? nullptr : &*it;
}

TEST(Maps, RealProcessWithSpacesAndADeletedFile) {
  auto maps = parse_maps(sample("maps-deleted-and-spaces.txt"));
  ASSERT_TRUE(maps.ok()) << maps.error().message;
  ASSERT_EQ(maps->size(), 27u);

  const Mapping& exe_text = maps->at(1);
  EXPECT_EQ(exe_text.start, RemoteAddr(0x558d2c8e6000));
  EXPECT_EQ(exe_text.end, RemoteAddr(0x558d2c8e7000));
  EXPECT_EQ(exe_text.perms, "r-xp");
  EXPECT_EQ(exe_text.offset, 0x1000u);
  EXPECT_EQ(exe_text.inode, 10961079u);
  EXPECT_EQ(exe_text.path, "/tmp/cap/maps_demo");
  EXPECT_FALSE(exe_text.deleted);

  const Mapping* spaces = find_path(*maps, "/tmp/ukstack demo/data file with spaces.bin");
  ASSERT_NE(spaces, nullptr);
  EXPECT_EQ(spaces->perms, "r--s");
  EXPECT_FALSE(spaces->deleted);

  const Mapping* deleted = find_path(*maps, "/tmp/ukstack demo/scratch.bin");
  ASSERT_NE(deleted, nullptr);
  EXPECT_TRUE(deleted->deleted);

  EXPECT_NE(find_path(*maps, "[stack]"), nullptr);
  EXPECT_NE(find_path(*maps, "[vdso]"), nullptr);
  EXPECT_EQ(maps->at(6).path, "");  // anonymous
  EXPECT_EQ(maps->back().path, "[vsyscall]");
  EXPECT_EQ(maps->back().start, RemoteAddr(0xffffffffff600000));
}

TEST(Maps, NamedAnonymousMappings) {
  auto maps = parse_maps(sample("maps-anon-name.txt"));
  ASSERT_TRUE(maps.ok()) << maps.error().message;
  const Mapping* arena = find_path(*maps, "[anon:ukstack arena]");
  ASSERT_NE(arena, nullptr);
  EXPECT_EQ(arena->end - arena->start, 0x4000u);
  EXPECT_EQ(arena->inode, 0u);
  EXPECT_NE(find_path(*maps, "[anon:libc_malloc]"), nullptr);
}

TEST(Maps, MalformedLinesAreErrors) {
  for (const char* bad : {"zzz\n", "1000-2000 r-xp 0 08:01\n", "1000 r-xp 0 08:01 5 /x\n",
                          "2000-1000 r-xp 0 08:01 5 /x\n", "1000-2000 rx 0 08:01 5 /x\n",
                          "1000-2000 r-xp 0 0801 5 /x\n", "1000-2000 r-xp zz 08:01 5 /x\n",
                          "1000-2000 r-xp 0 08:01 x /x\n"}) {
    auto maps = parse_maps(bad);
    EXPECT_FALSE(maps.ok()) << bad;
  }
}

}  // namespace
}  // namespace ukstack::procfs
