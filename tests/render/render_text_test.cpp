#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "render/text.h"
#include "tests/model/sample_snapshot.h"

namespace ukstack {
namespace {

using testing::sample_snapshot;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(RenderText, ProcessHeader) {
  const std::string text = render_text(sample_snapshot(), {});
  EXPECT_EQ(text.rfind("PID 4242 (accept_server) /usr/bin/accept_server — live, "
                       "2026-11-27T23:40:00Z, kernel 6.1.0-18-amd64 x86_64\n"
                       "cmdline: /usr/bin/accept_server --port 1337\n"
                       "Summary: 5 threads, 1 in D state, no deadlock",
                       0),
            0u)
      << text;
}

// A core: a header naming the core file, then user frames only; no system call,
// no kernel half and no boundary line, and no state (a core records none).
TEST(RenderText, CoreFileHasUserHalvesOnly) {
  const std::string text = render_text(testing::core_snapshot(), {});
  const std::string header =
      "Process 13654 \"crasher\" (core file core.13654) /usr/bin/crasher — written "
      "2026-11-27T23:40:00Z, x86_64\n"
      "cmdline: ./crasher -x\n"
      "Summary: 2 threads, ";
  EXPECT_EQ(text.rfind(header, 0), 0u) << text;
  // After the summary, the threads.
  const std::string expected =
      "\n"
      "Thread 13654 \"crasher\"\n"
      "  user (libdw):\n"
      "    #0  fu(int)+0x38 (/usr/bin/crasher)\n"
      "    #1  main+0x5 (/usr/bin/crasher)\n"
      "  note: SIGFPE (8) was being delivered when the core was written\n"
      "\n"
      "Thread 13655 \"crasher\"\n"
      "  user (libdw):\n"
      "    #0  fu(int)+0x38 (/usr/bin/crasher)\n"
      "    #1  main+0x5 (/usr/bin/crasher)\n"
      "    #2  ?? 0x3ab7421d65 (/usr/lib64/libc-2.18.so)\n"
      "    (unwind stopped: no unwind information for /usr/lib64/libc-2.18.so)\n";
  ASSERT_NE(text.find("\n\n"), std::string::npos) << text;
  EXPECT_EQ(text.substr(text.find("\n\n") + 1), expected);
}

// An unnamed frame whose module and place in it are known says both, as
// eu-addr2line -e MODULE ADDR (or --resymbolize elsewhere) takes them; a named
// frame does not repeat it.
TEST(RenderText, UnnamedFrameShowsItsPlaceInTheModule) {
  Snapshot core = testing::core_snapshot();
  Frame& bare = core.threads[1].user.frames[2];
  bare.build_id = "0a1b2c";
  bare.module_offset = 0x21d65;
  core.threads[1].user.frames[0].build_id = "0d0e0f";
  core.threads[1].user.frames[0].module_offset = 0x6c8;
  const std::string text = render_text(core, {});
  EXPECT_TRUE(contains(text, "    #2  ?? 0x3ab7421d65 (/usr/lib64/libc-2.18.so+0x21d65)\n"))
      << text;
  EXPECT_FALSE(contains(text, "+0x6c8")) << text;
}

TEST(RenderText, ThreadBlockedInAccept) {
  const std::string text = render_text(sample_snapshot(), {});
  const std::string expected =
      "Thread 4242 \"accept_server\" state S (sleeping) wchan inet_csk_accept\n"
      "  accept(3 → tcp 127.0.0.1:1337 LISTEN, 0x0, 0x0)\n"
      "  kernel (procfs):\n"
      "    inet_csk_accept+0x1f2\n"
      "    inet_accept+0x4e\n"
      "    do_accept+0xc2\n"
      "    entry_SYSCALL_64_after_hwframe+0x76\n"
      "  ── system call accept ──\n"
      "  user (libdw):\n"
      "    #0  accept+0x1b (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
      "    #1  accept_one (/build/fixtures/accept_server) accept_server.c:24 (inlined)\n"
      "    #2  server_accept_and_close+0x2d (/build/fixtures/accept_server) accept_server.c:31\n"
      "    #3  main+0x1e (/build/fixtures/accept_server) accept_server.c:45\n"
      "\n";
  EXPECT_TRUE(contains(text, expected)) << text;
}

// Only frames found through the rbp chain are marked (the thread above, whose
// frames carry context and cfi, shows no mark).
TEST(RenderText, FramesFoundByFramePointerAreMarked) {
  const std::string text = render_text(sample_snapshot(), {});
  EXPECT_TRUE(contains(text,
                       "    #0  spin+0x8 (/build/fixtures/accept_server)\n"
                       "    #1  ?? 0x7f3a00001000 [frame pointer]\n"))
      << text;
  std::size_t marks = 0;
  for (std::size_t at = text.find("[frame pointer]"); at != std::string::npos;
       at = text.find("[frame pointer]", at + 1)) {
    ++marks;
  }
  EXPECT_EQ(marks, 1u) << text;
}

// Issue 14: a Python frame is "py  function (file:line)" in its place among the
// native frames; a JIT frame is marked; both escaped as everything from the target.
TEST(RenderText, PythonAndJitFramesInTheirPlace) {
  Snapshot snapshot = sample_snapshot();
  auto& frames = snapshot.threads[0].user.frames;
  Frame python;
  python.language = FrameLanguage::Python;
  python.function = "Handler.handle_request";
  python.file = "/srv/app\x1b.py";
  python.line = 212;
  frames.insert(frames.begin() + 1, python);
  Frame jit;
  jit.language = FrameLanguage::Jit;
  jit.pc = 0x7f0000001040;
  jit.function = "LazyCompile:*outerReader /srv/reader.js:3";
  jit.offset = 0x40;
  frames.insert(frames.begin() + 2, jit);
  const std::string text = render_text(snapshot, {});
  EXPECT_TRUE(contains(text,
                       "    #0  accept+0x1b (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
                       "    #1  py  Handler.handle_request (/srv/app\\x1b.py:212)\n"
                       "    #2  jit LazyCompile:*outerReader /srv/reader.js:3+0x40\n"))
      << text;
}

TEST(RenderText, ArgumentsShownUpToTheLastFdOrThree) {
  Snapshot s = sample_snapshot();
  const std::string text = render_text(s, {});
  EXPECT_TRUE(contains(text, "  epoll_wait(5 → epoll, 0x7ffd1000, 0x10)\n")) << text;

  SyscallInfo& splice = *s.threads[0].syscall;
  splice = {.nr = 275,
            .name = "splice",
            .args = {3, 0, 4, 0, 65536, 0},
            .fds = {{.arg = 0, .fd = 3, .target = "pipe:[9]", .description = ""},
                    {.arg = 2, .fd = 4, .target = "", .description = ""}}};
  EXPECT_TRUE(contains(render_text(s, {}), "  splice(3 → pipe:[9], 0x0, 4)\n"));
  splice.fds[1].arg = 4;
  EXPECT_TRUE(contains(render_text(s, {}), "  splice(3 → pipe:[9], 0x0, 0x4, 0x0, 4)\n"));
}

TEST(RenderText, UnknownSyscallAndKernelModule) {
  const std::string text = render_text(sample_snapshot(), {});
  EXPECT_TRUE(contains(text,
                       "Thread 4245 \"reader\" state D (uninterruptible sleep)\n"
                       "  syscall 999(0x7, 0x1, 0x2)\n"
                       "  kernel (procfs):\n"
                       "    nfs_wait_bit_killable+0x21 [nfs]\n"
                       "  ── system call 999 ──\n"))
      << text;
}

TEST(RenderText, RunningThread) {
  const std::string text = render_text(sample_snapshot(), {});
  EXPECT_TRUE(contains(text,
                       "Thread 4243 \"worker\" state R (running)\n"
                       "  running (not in a system call)\n"
                       "  kernel (procfs):\n"
                       "    (no frames)\n"
                       "  ── user/kernel boundary ──\n"
                       "  user (libdw):\n"
                       "    #0  spin+0x8 (/build/fixtures/accept_server)\n"
                       "    #1  ?? 0x7f3a00001000 [frame pointer]\n"
                       "    (unwinding stopped: no CFI for 0x7f3a00001000)\n"))
      << text;
}

TEST(RenderText, ErrorHalvesShowTheirError) {
  const std::string text = render_text(sample_snapshot(), {});
  EXPECT_TRUE(contains(text,
                       "  kernel (none):\n"
                       "    (kernel stack needs root (CAP_SYS_ADMIN))\n"
                       "  ── system call epoll_wait ──\n"
                       "  user (nostop):\n"
                       "    #0  epoll_wait+0x4a (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
                       "  note: unwound without stopping the thread\n"))
      << text;
  EXPECT_TRUE(contains(text,
                       "Thread 4246 \"gone\" state X (exited)\n"
                       "  kernel (none):\n"
                       "    (thread exited during capture)\n"))
      << text;
}

TEST(RenderText, ColourOnlyWhenAsked) {
  const Snapshot s = sample_snapshot();
  EXPECT_FALSE(contains(render_text(s, {}), "\x1b"));
  const std::string text = render_text(s, {.color = true});
  EXPECT_TRUE(contains(
      text,
      "\x1b[1mThread 4242 \"accept_server\" state S (sleeping) wchan inet_csk_accept\x1b[0m\n"))
      << text;
  EXPECT_TRUE(contains(text, "\x1b[2m  ── system call accept ──\x1b[0m\n")) << text;
  EXPECT_TRUE(contains(text, "    inet_csk_accept+0x1f2\n")) << text;
}

TEST(RenderText, EmptySnapshot) {
  Snapshot s;
  s.process.pid = 7;
  const std::string text = render_text(s, {});
  EXPECT_EQ(text.rfind("PID 7 ", 0), 0u) << text;
  EXPECT_NE(text.find("\nSummary: 0 threads, "), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
}

// ukstack prints through write_text, which hands each thread's block on as soon as
// it is written: the result must be the same text, with and without colour.
TEST(RenderText, WrittenAThreadAtATimeIsTheSameText) {
  for (bool color : {false, true}) {
    const TextOptions options{.color = color};
    for (const Snapshot& snapshot : {sample_snapshot(), testing::core_snapshot()}) {
      std::ostringstream out;
      write_text(snapshot, options, out);
      EXPECT_EQ(out.str(), render_text(snapshot, options));
    }
  }
}

}  // namespace
}  // namespace ukstack

namespace ukstack {
namespace {

TEST(TidRanges, RunsOfConsecutiveTidsAreRanges) {
  EXPECT_EQ(tid_ranges({}), "");
  EXPECT_EQ(tid_ranges({7}), "7");
  EXPECT_EQ(tid_ranges({101, 102, 103, 150, 152, 153}), "101-103,150,152-153");
  EXPECT_EQ(tid_ranges({1, 3, 5}), "1,3,5");
}

// N copies of the sample's accept thread (tids 5000...) and its running thread,
// grouped as the analysis groups them.
Snapshot many_accepting(int copies) {
  Snapshot s = testing::sample_snapshot();
  const Thread accept = s.threads.front();
  const Thread running = s.threads[1];
  s.threads.clear();
  for (int i = 0; i < copies; ++i) {
    Thread t = accept;
    t.tid = 5000 + i;
    if (i == copies - 1) t.name = "last";
    s.threads.push_back(t);
  }
  s.threads.push_back(running);
  s.groups.push_back(ThreadGroup{});
  for (int i = 0; i < copies; ++i) s.groups.back().tids.push_back(5000 + i);
  s.groups.push_back(ThreadGroup{{running.tid}});
  return s;
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

TEST(RenderTextGroups, MoreThanSixteenThreadsAreGroupedByDefault) {
  const Snapshot s = many_accepting(20);
  const Thread& accept = s.threads.front();
  const std::string text = render_text(s, {});
  EXPECT_TRUE(contains(text, "\n20 threads 5000-5019: \"" + accept.name +
                                 "\" ×19, \"last\" ×1; "
                                 "state S (sleeping) ×20; wchan " +
                                 accept.wchan + "\n"))
      << text;
  EXPECT_TRUE(contains(text, "  shown: thread 5000 ")) << text;
  // The stack is printed once for the group, once for the running thread.
  EXPECT_EQ(count_of(text, "  kernel ("), 2u) << text;
  EXPECT_EQ(count_of(text, "\nThread "), 1u) << text;  // the running thread, alone
  EXPECT_FALSE(contains(text, "Thread 5000 ")) << text;
}

TEST(RenderTextGroups, SixteenThreadsOrFewerAreNotGroupedByDefault) {
  const Snapshot s = many_accepting(15);  // 16 threads with the running one
  const std::string text = render_text(s, {});
  EXPECT_EQ(count_of(text, "\nThread "), 16u) << text;
  EXPECT_FALSE(contains(text, " threads 5000-")) << text;
}

TEST(RenderTextGroups, GroupAndNoGroupOverrideTheDefault) {
  const std::string never =
      render_text(many_accepting(20), TextOptions{.grouping = Grouping::Never});
  EXPECT_EQ(count_of(never, "\nThread "), 21u);
  const std::string always =
      render_text(many_accepting(3), TextOptions{.grouping = Grouping::Always});
  EXPECT_TRUE(contains(always, "\n3 threads 5000-5002: ")) << always;
}

TEST(RenderTextGroups, NotesAreCountedOnce) {
  Snapshot s = many_accepting(20);
  for (int i = 0; i < 3; ++i) s.threads[static_cast<std::size_t>(i)].notes = {"moved on"};
  const std::string text = render_text(s, {});
  EXPECT_EQ(count_of(text, "moved on"), 1u) << text;
  EXPECT_TRUE(contains(text, "  note (×3): moved on\n")) << text;
}

TEST(RenderTextGroups, NamesFromTheTargetAreEscapedInTheGroupHeader) {
  Snapshot s = many_accepting(20);
  s.threads[3].name = "evil\x1b[2J";
  const std::string text = render_text(s, {});
  EXPECT_FALSE(contains(text, "\x1b[2J")) << text;
  EXPECT_TRUE(contains(text, "\"evil\\x1b[2J\" ×1")) << text;
}

TEST(RenderTextGroups, StreamedTextEqualsTheWholeRendering) {
  const Snapshot s = many_accepting(40);
  std::ostringstream streamed;
  write_text(s, {}, streamed);
  EXPECT_EQ(streamed.str(), render_text(s, {}));
}

TEST(RenderTextGroups, NotAnalysedMeansNotGrouped) {
  Snapshot s = many_accepting(20);
  s.groups.clear();
  EXPECT_EQ(count_of(render_text(s, {}), "\nThread "), 21u);
}

}  // namespace
}  // namespace ukstack

namespace ukstack {
namespace {

std::size_t width_of(std::string_view line) {
  return static_cast<std::size_t>(std::ranges::count_if(
      line, [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(ShortenMiddle, FitsTheWidthWithAnEllipsisInTheMiddle) {
  EXPECT_EQ(shorten_middle("abcdef", 6), "abcdef");
  EXPECT_EQ(shorten_middle("abcdefgh", 6), "abc…gh");
  EXPECT_EQ(shorten_middle("abcdefgh", 1), "…");
  EXPECT_EQ(shorten_middle("abcdefgh", 0), "");
  // Code points, not bytes: a multi-byte character is one and is never split.
  EXPECT_EQ(shorten_middle("αβγδεζηθ", 5), "αβ…ηθ");
  EXPECT_EQ(width_of(shorten_middle("→→→→→→→→→→", 7)), 7u);
}

TEST(RenderTextColumns, KernelAndUserSideBySideUnderTheSystemCall) {
  const Snapshot s = testing::sample_snapshot();
  const Thread& accept = s.threads.front();
  const std::string text = render_text(
      s, TextOptions{.grouping = Grouping::Never, .layout = Layout::Columns, .width = 100});
  const std::vector<std::string> lines = lines_of(text);
  // Every line of every thread's block fits the width (the header lines excepted).
  for (std::size_t i = 2; i < lines.size(); ++i) {
    if (lines[i].rfind("Thread ", 0) == 0) continue;
    EXPECT_LE(width_of(lines[i]), 100u) << lines[i];
  }
  // The accept thread: the system call, then the two halves in one row each.
  auto at = std::ranges::find_if(lines, [&](const std::string& line) {
    return line.rfind("Thread " + std::to_string(accept.tid) + " ", 0) == 0;
  });
  ASSERT_NE(at, lines.end()) << text;
  EXPECT_EQ(at[1].rfind("  accept(3 → ", 0), 0u) << at[1];
  EXPECT_NE(at[2].find("kernel (procfs):"), std::string::npos) << at[2];
  EXPECT_NE(at[2].find(" │ user ("), std::string::npos) << at[2];
  EXPECT_NE(at[3].find(accept.kernel.frames[0].function), std::string::npos) << at[3];
  EXPECT_NE(at[3].find(" │   #0  "), std::string::npos) << at[3];
  // No boundary line: the columns are joined at the system call above them.
  EXPECT_EQ(text.find("── system call"), std::string::npos) << text;
}

TEST(RenderTextColumns, LongLinesAreShortenedInTheMiddleNotCut) {
  Snapshot s = testing::sample_snapshot();
  Thread& accept = s.threads.front();
  accept.user.frames[0].file = "/very/long/path/" + std::string(200, 'x') + "/end_of_path.c";
  const std::string text = render_text(
      s, TextOptions{.grouping = Grouping::Never, .layout = Layout::Columns, .width = 100});
  EXPECT_NE(text.find("…"), std::string::npos) << text;
  EXPECT_NE(text.find("end_of_path.c"), std::string::npos) << "the tail is kept: " << text;
}

TEST(RenderTextColumns, TooNarrowOrACoreStaysInRows) {
  const Snapshot s = testing::sample_snapshot();
  EXPECT_EQ(
      render_text(s,
                  TextOptions{.grouping = Grouping::Never, .layout = Layout::Columns, .width = 40}),
      render_text(s, TextOptions{.grouping = Grouping::Never}));
  const Snapshot core = testing::core_snapshot();
  EXPECT_EQ(render_text(core, TextOptions{.layout = Layout::Columns, .width = 160}),
            render_text(core, {}));
}

}  // namespace
}  // namespace ukstack

namespace ukstack {
namespace {

// A Go program: the goroutines after the threads, grouped with their count, wait
// reason, how long and who created them; the runtime's own folded unless asked.
TEST(RenderGoroutines, GroupsWithCountReasonDurationAndCreator) {
  Snapshot snapshot = testing::go_snapshot();
  const std::string text = render_text(snapshot, {});
  EXPECT_NE(text.find("Goroutines: 7, read without stopping the process"), std::string::npos)
      << text;
  EXPECT_NE(text.find("3 goroutines 6-8 [chan receive, 12 min]"), std::string::npos) << text;
  EXPECT_NE(text.find("created by main.main at /srv/src/main.go:27 ×3"), std::string::npos);
  EXPECT_NE(text.find("Goroutine 1 [IO wait]"), std::string::npos);
  EXPECT_NE(text.find("net.(*TCPListener).Accept+0x3d"), std::string::npos);
  // The running one is tied to its thread, and each Go thread says what it runs.
  EXPECT_NE(text.find("Goroutine 20 [running]"), std::string::npos);
  EXPECT_NE(text.find("  on thread 5003 \"gosrv\" state R"), std::string::npos);
  EXPECT_NE(text.find("Thread 5003 \"gosrv\" state R (running) [goroutine 20]"), std::string::npos);
  EXPECT_NE(text.find("Thread 5000 \"gosrv\" state S (sleeping) [Go scheduler: idle]"),
            std::string::npos);
  // Goroutines 2 and 3 are the runtime's own: one line says they are left out.
  EXPECT_EQ(text.find("Goroutine 2 "), std::string::npos);
  EXPECT_NE(text.find("2 of the runtime's own goroutines"), std::string::npos);

  const std::string all = render_text(snapshot, {.all_goroutines = true});
  EXPECT_NE(all.find("Goroutine 2 [force gc (idle)]"), std::string::npos);
  EXPECT_NE(all.find("Goroutine 3 [GC scavenge wait]"), std::string::npos);
  EXPECT_EQ(all.find("of the runtime's own goroutines"), std::string::npos);
}

// In the summary, goroutine groups count like thread groups: one line each, what
// they wait in told by the call into the library and the program's own frames.
TEST(RenderGoroutines, SummaryLinesPerGroup) {
  const std::string text = render_text(testing::go_snapshot(), {});
  const std::string summary = text.substr(0, text.find("\nThread "));
  EXPECT_NE(summary.find("What the goroutines of PID 5000 wait in (3 groups, largest first):"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("  3 × chan receive ← runtime.chanrecv ← main.worker — goroutines 6-8"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("  1 × IO wait ← net.(*TCPListener).Accept ← main.main — goroutine 1"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("  1 × running ← main.spin — goroutine 20 on thread 5003"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("(and 2 of the runtime's own goroutines: --all-goroutines)"),
            std::string::npos);
}

}  // namespace
}  // namespace ukstack

namespace ukstack {
namespace {

// 3,000 goroutines whose ids are not consecutive still make one short line.
TEST(RenderGoroutines, ManyScatteredIdsStayOneShortLine) {
  Snapshot snapshot = testing::go_snapshot();
  const Goroutine worker = snapshot.goroutines[2];
  GoroutineGroup group;
  for (std::uint64_t i = 0; i < 3000; ++i) {
    Goroutine copy = worker;
    copy.goid = 100 + 3 * i;
    snapshot.goroutines.push_back(copy);
    group.goids.push_back(copy.goid);
  }
  snapshot.goroutine_groups.insert(snapshot.goroutine_groups.begin(), group);
  const std::string text = render_text(snapshot, {});
  EXPECT_NE(text.find("3000 goroutines 100,103,106,109,112,115,… [chan receive, 12 min]"),
            std::string::npos)
      << text.substr(0, 2000);
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) EXPECT_LT(line.size(), 200u) << line;
}

}  // namespace
}  // namespace ukstack
