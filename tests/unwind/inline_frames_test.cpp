// Inline expansion from a module and an address alone, no process: elfutils' own
// test file testfiledwarfinlines (from ../shared/peer-data, read in place), whose
// expected frames are what eu-stack -i -s prints for its core (EXPECTED.md there).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "unwind/dwfl_session.h"
#include "unwind/symbolizer.h"

namespace ukstack::unwind {
namespace {

namespace fs = std::filesystem;

// bunzip2 a peer-data file into a private temp dir; "" when not available.
std::string unpack_peer_file(const std::string& name, const fs::path& dir) {
  fs::path source = fs::path(UKSTACK_PEER_DATA) / "elfutils" / (name + ".bz2");
  if (!fs::exists(source)) return {};
  fs::path target = dir / name;
  std::string command = "bzip2 -dc '" + source.string() + "' > '" + target.string() + "'";
  if (std::system(command.c_str()) != 0) return {};
  return target.string();
}

class PeerInlines : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ukstack-inlines-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    exe_ = unpack_peer_file("testfiledwarfinlines", dir_);
    if (exe_.empty()) GTEST_SKIP() << "peer data testfiledwarfinlines not found";
    auto session = DwflSession::open_file(exe_, {});
    ASSERT_TRUE(session) << session.error().message;
    session_ = std::move(*session);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::string exe_;
  std::unique_ptr<DwflSession> session_;
};

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() &&
         text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

// eu-stack -r -n 6 -s -i: #0..#4 at 0x4006c8 = fubar :6, foobar :14, bar :21,
// foo :27 (inlined) in _Z2fui :33; #5 0x4004c5 main :39.
TEST_F(PeerInlines, InnermostPcExpandsLikeEuStack) {
  Symbolizer symbolizer(session_->get(), /*inlines=*/true);
  std::vector<UnwoundFrame> frames;
  append_frames(symbolizer.lookup(0x4006c8, /*is_activation=*/true), 0x4006c8, true, frames);

  const std::vector<std::pair<std::string, int>> expected = {
      {"fubar", 6}, {"foobar", 14}, {"bar", 21}, {"foo", 27}, {"fu(int)", 33}};
  ASSERT_EQ(frames.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE("frame #" + std::to_string(i));
    EXPECT_EQ(frames[i].function, expected[i].first);
    EXPECT_EQ(frames[i].line, expected[i].second);
    EXPECT_TRUE(ends_with(frames[i].file, "dwarfinlines.cpp")) << frames[i].file;
    EXPECT_EQ(frames[i].pc.value(), 0x4006c8u);
    EXPECT_EQ(frames[i].inlined, i + 1 < expected.size());
  }
}

TEST_F(PeerInlines, CallerFrameLooksUpTheCallInstruction) {
  Symbolizer symbolizer(session_->get(), true);
  std::vector<UnwoundFrame> frames;
  append_frames(symbolizer.lookup(0x4004c5, /*is_activation=*/false), 0x4004c5, false, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "main");
  EXPECT_EQ(frames[0].line, 39);
  EXPECT_FALSE(frames[0].inlined);
}

TEST_F(PeerInlines, WithoutInlinesOnePhysicalFrameAtThePcsOwnLine) {
  Symbolizer symbolizer(session_->get(), /*inlines=*/false);
  std::vector<UnwoundFrame> frames;
  append_frames(symbolizer.lookup(0x4006c8, true), 0x4006c8, true, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "fu(int)");
  EXPECT_EQ(frames[0].line, 6);  // the instruction's own line, inside fubar
  EXPECT_FALSE(frames[0].inlined);
}

}  // namespace
}  // namespace ukstack::unwind
