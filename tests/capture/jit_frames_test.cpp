// JIT frames named from the target's perf map (issue 14, part 6): which frames are
// named and how (jit_frames.h), how the map file is read and re-read
// (perf_map_file.h), and when a session reads it, against a fake file reader.
#include "capture/jit_frames.h"

#include <cerrno>

#include "capture/perf_map_file.h"
#include "tests/capture/capture_fixture.h"

namespace ukstack::testing {
namespace {

// A target file as a string the test appends to; every read is recorded.
struct FakeTargetFile {
  struct Read {
    int pid;
    std::string path;
    std::uint64_t offset;
  };
  std::string text;
  std::uint32_t owner = 0;
  int error = 0;  // an errno to fail with instead
  std::vector<Read> reads;

  TargetFileReader reader() {
    return [this](int pid, const std::string& path, std::uint64_t offset,
                  std::uint64_t max_size) -> Result<FileTail> {
      reads.push_back(Read{pid, path, offset});
      if (error == ENOENT) return Error{ENOENT, "cannot open it: No such file or directory"};
      if (error == EINVAL) return Error{EINVAL, "not a regular file"};
      FileTail tail;
      tail.file_size = text.size();
      tail.owner = owner;
      if (text.size() <= max_size && offset < text.size()) tail.bytes = text.substr(offset);
      return tail;
    };
  }
};

// ---- the file -------------------------------------------------------------------------

TEST(TargetPerfMap, ReadWholeThenOnlyWhatWasAppended) {
  FakeTargetFile file;
  file.text = "1000 10 one\n2000 10 tw";
  TargetPerfMap map;
  map.refresh(file.reader(), 4242, 7, 0);
  ASSERT_EQ(file.reads.size(), 1u);
  EXPECT_EQ(file.reads[0].pid, 4242);
  EXPECT_EQ(file.reads[0].path, "/tmp/perf-7.map");  // its own PID, in its own /tmp
  EXPECT_EQ(file.reads[0].offset, 0u);
  ASSERT_NE(map.map(), nullptr);
  EXPECT_TRUE(map.map()->lookup(0x1000));
  EXPECT_FALSE(map.map()->lookup(0x2000));  // still being written

  file.text += "o\n";
  map.refresh(file.reader(), 4242, 7, 0);
  EXPECT_EQ(file.reads.back().offset, 12u);  // from the half-written line on
  ASSERT_TRUE(map.map()->lookup(0x2000));
  EXPECT_EQ(map.map()->lookup(0x2000)->name, "two");
  EXPECT_EQ(map.problem(), "");
}

TEST(TargetPerfMap, AShorterFileIsANewOneReadWhole) {
  FakeTargetFile file;
  file.text = "1000 10 first-run-with-a-long-name\n";
  TargetPerfMap map;
  map.refresh(file.reader(), 4242, 7, 0);
  file.text = "3000 10 new\n";
  map.refresh(file.reader(), 4242, 7, 0);
  EXPECT_EQ(file.reads.back().offset, 0u);
  EXPECT_FALSE(map.map()->lookup(0x1000));
  EXPECT_TRUE(map.map()->lookup(0x3000));
}

TEST(TargetPerfMap, NoFileIsNoMapAndNoProblem) {
  FakeTargetFile file;
  file.error = ENOENT;
  TargetPerfMap map;
  map.refresh(file.reader(), 4242, 4242, 0);
  EXPECT_EQ(map.map(), nullptr);
  EXPECT_EQ(map.problem(), "");
}

TEST(TargetPerfMap, NotARegularFileIsAProblem) {
  FakeTargetFile file;
  file.error = EINVAL;
  TargetPerfMap map;
  map.refresh(file.reader(), 4242, 4242, 0);
  EXPECT_EQ(map.map(), nullptr);
  EXPECT_EQ(map.problem(), "perf map /tmp/perf-4242.map: not a regular file");
}

TEST(TargetPerfMap, ALargerFileThanTheLimitIsNotRead) {
  FakeTargetFile file;
  file.text = "1000 10 one\n2000 10 two\n";
  TargetPerfMap map(procfs::PerfMapLimits{.max_bytes = 16, .max_entries = 10});
  map.refresh(file.reader(), 4242, 4242, 0);
  EXPECT_EQ(map.map(), nullptr);
  EXPECT_EQ(map.problem(), "perf map /tmp/perf-4242.map: 24 bytes, more than 16 bytes: not read");
}

TEST(TargetPerfMap, AFileOfAnotherUserIsNotRead) {
  // A symlink another user put at the map's name, to a file of root's.
  FakeTargetFile file;
  file.text = "1000 10 one\n";
  file.owner = 0;
  TargetPerfMap map;
  map.refresh(file.reader(), 4242, 4242, 1000);
  EXPECT_EQ(map.map(), nullptr);
  EXPECT_EQ(map.problem(),
            "perf map /tmp/perf-4242.map: owned by uid 0, not by the process's (1000): not read");
  file.owner = 1000;
  map.refresh(file.reader(), 4242, 4242, 1000);
  ASSERT_NE(map.map(), nullptr);
  EXPECT_TRUE(map.map()->lookup(0x1000));
  EXPECT_EQ(map.problem(), "");
}

TEST(TargetPerfMap, MalformedLinesAreAProblemTheRestIsUsed) {
  FakeTargetFile file;
  file.text = "1000 10 one\nnot hex\n";
  TargetPerfMap map;
  map.refresh(file.reader(), 4242, 4242, 0);
  ASSERT_NE(map.map(), nullptr);
  EXPECT_TRUE(map.map()->lookup(0x1000));
  EXPECT_EQ(map.problem(),
            "perf map /tmp/perf-4242.map: 1 malformed line skipped (line 2: 'not hex')");
}

// ---- naming ---------------------------------------------------------------------------

std::vector<procfs::Mapping> process_maps() {
  auto maps = procfs::parse_maps(
      "00400000-00500000 r-xp 00000000 fe:00 11 /usr/bin/node\n"
      "7f0000000000-7f0000100000 r-xp 00000000 00:00 0 \n"
      "7f0000200000-7f0000300000 rw-p 00000000 00:00 0 \n");
  return *maps;
}

Frame native(std::uint64_t pc, std::string function, std::string module) {
  Frame frame;
  frame.pc = pc;
  frame.function = std::move(function);
  frame.module = std::move(module);
  frame.found_by = FoundBy::Cfi;
  return frame;
}

Thread thread_with(std::vector<Frame> frames) {
  Thread thread;
  thread.user.frames = std::move(frames);
  return thread;
}

TargetPerfMap map_of(const std::string& text) {
  FakeTargetFile file;
  file.text = text;
  TargetPerfMap map;
  map.refresh(file.reader(), 1, 1, 0);
  return map;
}

TEST(NameJitFrames, AnUnnamedFrameInAnonymousCodeGetsTheMapsName) {
  Thread thread = thread_with({native(0x401000, "read", "/usr/bin/node"),
                               native(0x7f0000000510, "", "/usr/bin/node"),  // libdw's range
                               native(0x7f0000000610, "", "[anon]"),
                               native(0x401200, "main", "/usr/bin/node")});
  thread.user.frames[1].build_id = "abcd";
  thread.user.frames[1].module_offset = 0x7f0000000510;
  const auto maps = process_maps();
  ASSERT_TRUE(has_unnamed_jit_code(thread, maps));
  name_jit_frames(thread,
                  map_of("7f0000000500 100 JS:~innerReader a.js:2\n"
                         "7f0000000600 100 JS:~outerReader a.js:8\n"),
                  maps);
  const auto& frames = thread.user.frames;
  EXPECT_EQ(frames[1].function, "JS:~innerReader a.js:2");
  EXPECT_EQ(frames[1].offset, 0x10u);
  EXPECT_EQ(frames[1].language, FrameLanguage::Jit);
  EXPECT_FALSE(frames[1].module);
  EXPECT_FALSE(frames[1].build_id);
  EXPECT_FALSE(frames[1].module_offset);
  EXPECT_EQ(frames[2].function, "JS:~outerReader a.js:8");
  EXPECT_EQ(frames[0].language, FrameLanguage::Native);
  EXPECT_EQ(frames[3].function, "main");
  EXPECT_TRUE(thread.notes.empty());
  EXPECT_FALSE(has_unnamed_jit_code(thread, maps));
}

TEST(NameJitFrames, ACallersReturnAddressJustPastItsCodeIsItsOwn) {
  // The caller's call is its code's last instruction: its return address is the
  // next entry's first byte. The innermost frame's pc is the instruction itself.
  Thread thread =
      thread_with({native(0x7f0000000600, "", "[anon]"), native(0x7f0000000600, "", "[anon]")});
  thread.user.frames[0].found_by = FoundBy::Context;
  thread.user.frames[1].found_by = FoundBy::FramePointer;
  name_jit_frames(thread, map_of("7f0000000500 100 caller\n7f0000000600 100 next\n"),
                  process_maps());
  EXPECT_EQ(thread.user.frames[0].function, "next");
  EXPECT_EQ(thread.user.frames[1].function, "caller");
  EXPECT_EQ(thread.user.frames[1].offset, 0x100u);
}

TEST(NameJitFrames, OnlyUnnamedFramesInAnonymousExecutableMemoryAreLookedUp) {
  // The map covers every one of these addresses; none of them is JIT code.
  Thread thread = thread_with({native(0x401000, "", "/usr/bin/node"),      // a file's
                               native(0x7f0000000510, "named", "[anon]"),  // has a name
                               native(0x7f0000200010, "", "[anon]")});     // not executable
  Frame python;
  python.function = "";
  python.language = FrameLanguage::Python;
  thread.user.frames.push_back(python);
  const auto maps = process_maps();
  EXPECT_FALSE(has_unnamed_jit_code(thread, maps));
  name_jit_frames(thread, map_of("400000 100000 a\n7f0000000000 100000 b\n7f0000200000 100000 c\n"),
                  maps);
  EXPECT_EQ(thread.user.frames[0].function, "");
  EXPECT_EQ(thread.user.frames[1].function, "named");
  EXPECT_EQ(thread.user.frames[2].function, "");
}

TEST(NameJitFrames, WhatTheMapDoesNotCoverStaysUnnamed) {
  Thread thread = thread_with({native(0x7f0000000a00, "", "[anon]")});
  name_jit_frames(thread, map_of("7f0000000500 100 elsewhere\n"), process_maps());
  EXPECT_EQ(thread.user.frames[0].function, "");
  EXPECT_EQ(thread.user.frames[0].language, FrameLanguage::Native);
  EXPECT_EQ(thread.user.frames[0].module, "[anon]");
}

TEST(NameJitFrames, AMapProblemIsANoteOnThreadsWithJitCodeOnly) {
  const TargetPerfMap bad = map_of("7f0000000500 100 good\nbad line\n");
  Thread jit = thread_with({native(0x7f0000000510, "", "[anon]")});
  Thread plain = thread_with({native(0x401000, "main", "/usr/bin/node")});
  name_jit_frames(jit, bad, process_maps());
  name_jit_frames(plain, bad, process_maps());
  EXPECT_EQ(jit.user.frames[0].function, "good");
  ASSERT_EQ(jit.notes.size(), 1u);
  EXPECT_EQ(jit.notes[0],
            "perf map /tmp/perf-1.map: 1 malformed line skipped (line 2: 'bad line')");
  EXPECT_TRUE(plain.notes.empty());
}

// ---- the session ----------------------------------------------------------------------

class JitSessionTest : public CaptureTest {
 protected:
  void SetUp() override {
    CaptureTest::SetUp();
    // The fake's status names it 7756 in its own PID namespace (status-sleep.txt).
    process.add_process_files("7f0000000000-7f0000100000 r-xp 00000000 00:00 0 \n");
    add(process.blocked(kPid));
    unwind::UnwoundStack stack = fake_stack({"read", "", "main"});
    stack.frames[1].pc = RemoteAddr(0x7f0000000510);
    stack.frames[1].module = "[anon]";
    unwinding.script(kPid).nostop = stack;
    unwinding.script(kPid).from_copy = stack;
    // Unwound anew at each capture (auto would reuse a blocked thread's stack).
    options.stop = StopMode::Each;
  }

  Result<std::unique_ptr<CaptureSession>> open_with_file() {
    CaptureSeams with_file = seams();
    with_file.read_target_file = file.reader();
    return CaptureSession::open(kPid, options, with_file);
  }

  FakeTargetFile file;
};

TEST_F(JitSessionTest, TheMapIsReadOnceAndThenOnlyWhatWasAppended) {
  file.text = "7f0000000500 100 JS:~first\n";
  auto session = open_with_file();
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_TRUE(file.reads.empty());  // not before a frame needs it

  auto first = capture_with(**session);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(functions(thread_of(*first, kPid).user),
            (std::vector<std::string>{"read", "JS:~first", "main"}));
  ASSERT_EQ(file.reads.size(), 1u);
  EXPECT_EQ(file.reads[0].path, "/tmp/perf-7756.map");
  EXPECT_EQ(file.reads[0].offset, 0u);

  // V8 moved the code and wrote a new line for it.
  file.text += "7f0000000500 100 JS:~moved\n";
  auto second = capture_with(**session);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(thread_of(*second, kPid).user.frames[1].function, "JS:~moved");
  ASSERT_EQ(file.reads.size(), 2u);
  EXPECT_EQ(file.reads[1].offset, 27u);
}

TEST_F(JitSessionTest, NoMapLeavesTheFrameUnnamedWithoutANote) {
  file.error = ENOENT;
  auto session = open_with_file();
  ASSERT_TRUE(session) << session.error().message;
  auto snapshot = capture_with(**session);
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  const Thread& thread = thread_of(*snapshot, kPid);
  EXPECT_EQ(thread.user.frames[1].function, "");
  EXPECT_EQ(thread.user.frames[1].module, "[anon]");
  EXPECT_TRUE(thread.notes.empty()) << thread.notes.front();
}

}  // namespace
}  // namespace ukstack::testing
