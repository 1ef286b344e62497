#include "render/escape.h"

#include <gtest/gtest.h>

#include "render/text.h"
#include "tests/model/sample_snapshot.h"

namespace ukstack {
namespace {

TEST(Escape, PrintableAsciiPassesThrough) {
  EXPECT_EQ(escape_for_terminal("accept_server --port=1337 [x]"), "accept_server --port=1337 [x]");
  EXPECT_EQ(escape_for_terminal(""), "");
}

TEST(Escape, ValidUtf8PassesThrough) {
  const std::string text =
      "f\xc3\xbc\x6e\x66 \xe7\xba\xbf\xe7\xa8\x8b \xf0\x9f\x99\x82";  // fünf 线程 🙂
  EXPECT_EQ(escape_for_terminal(text), text);
  EXPECT_EQ(escape_for_terminal("\xc2\xa0"), "\xc2\xa0");  // U+00A0, just past the C1 range
}

TEST(Escape, EscapeSequenceCannotPassRaw) {
  EXPECT_EQ(escape_for_terminal("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
  EXPECT_EQ(escape_for_terminal("a\x1b[2Jb"), "a\\x1b[2Jb");
}

TEST(Escape, NamedEscapesAndBackslash) {
  EXPECT_EQ(escape_for_terminal("a\nb\tc\\d"), "a\\nb\\tc\\\\d");
  EXPECT_EQ(escape_for_terminal(std::string("\0\r\x7f", 3)), "\\x00\\x0d\\x7f");
}

TEST(Escape, C1ControlsAreEscaped) {
  // U+009B is CSI: as good as ESC [ to many terminals.
  EXPECT_EQ(escape_for_terminal("x\xc2\x9b"
                                "2Jy"),
            "x\\xc2\\x9b2Jy");
  EXPECT_EQ(escape_for_terminal("\xc2\x80"), "\\xc2\\x80");
}

TEST(Escape, BidiOverridesAreEscaped) {
  EXPECT_EQ(escape_for_terminal("ab\xe2\x80\xae"
                                "cd"),
            "ab\\xe2\\x80\\xaecd");                                   // U+202E
  EXPECT_EQ(escape_for_terminal("\xe2\x81\xa6"), "\\xe2\\x81\\xa6");  // U+2066
}

TEST(Escape, InvalidUtf8IsEscapedBytewise) {
  EXPECT_EQ(escape_for_terminal("\xff"), "\\xff");
  EXPECT_EQ(escape_for_terminal("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(escape_for_terminal("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // surrogate
  EXPECT_EQ(escape_for_terminal("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // > U+10FFFF
  EXPECT_EQ(escape_for_terminal("a\xe2\x82"), "a\\xe2\\x82");                  // truncated
  EXPECT_EQ(escape_for_terminal("\xe2\x82z\xc3\xa9"), "\\xe2\\x82z\xc3\xa9");  // resynchronises
}

TEST(Escape, TargetStringsCannotReachTheTerminalRaw) {
  const std::string evil =
      "\x1b[2J\x1b]0;owned\x07\xc2\x9b"
      "31m";
  Snapshot s = testing::sample_snapshot();
  s.process.name = evil;
  s.process.exe = "/tmp/" + evil;
  s.process.cmdline = {evil, "--x=" + evil};
  Thread& t = s.threads[0];
  t.name = evil;
  t.wchan = evil;
  t.syscall->fds[0].description = evil;
  t.kernel.frames[0].function = evil;
  t.kernel.frames[1].module = evil;
  t.user.frames[0].module = evil;
  t.user.frames[1].file = evil;
  t.user.error = "cannot open " + evil;
  t.notes = {evil};

  for (bool color : {false, true}) {
    const std::string text = render_text(s, TextOptions{.color = color});
    EXPECT_EQ(text.find("\x1b]"), std::string::npos);
    EXPECT_EQ(text.find("\x1b[2J"), std::string::npos);
    EXPECT_EQ(text.find("\x07"), std::string::npos);
    EXPECT_EQ(text.find("\xc2\x9b"), std::string::npos);
    if (!color) {
      EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
    }
  }
  const std::string text = render_text(s, TextOptions{});
  EXPECT_NE(text.find("Thread 4242 \"\\x1b[2J\\x1b]0;owned\\x07\\xc2\\x9b31m\""), std::string::npos)
      << text;
}

}  // namespace
}  // namespace ukstack
