// The summary first, waits, chains and deadlocks in the text view, on hand-built
// snapshots analysed as ukstack analyses them (group_threads, fill_deadlocks).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/deadlocks.h"
#include "analysis/groups.h"
#include "render/text.h"
#include "render/text_summary.h"
#include "tests/model/sample_snapshot.h"

namespace ukstack {
namespace {

// What ukstack does before it renders text.
void analyse(std::span<Snapshot> snapshots) {
  for (Snapshot& snapshot : snapshots) snapshot.groups = group_threads(snapshot);
  fill_deadlocks(snapshots);
}

Snapshot analysed(Snapshot snapshot) {
  analyse(std::span(&snapshot, 1));
  return snapshot;
}

// The summary: everything before the first thread or group block.
std::string summary_of(const std::string& text) {
  const std::size_t end = text.find("\n\n");
  return end == std::string::npos ? text : text.substr(0, end + 1);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::size_t width_of(std::string_view line) {
  return static_cast<std::size_t>(std::ranges::count_if(
      line, [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const Thread& thread_named(const Snapshot& s, std::string_view name) {
  return *std::ranges::find(s.threads, name, &Thread::name);
}

std::string quoted(const Thread& t) {
  return "thread " + std::to_string(t.tid) + " \"" + t.name + "\"";
}

// The golden file holds the summary of server_snapshot(). After a deliberate change
// to the summary, regenerate it with UKSTACK_UPDATE_GOLDEN=1 and review the diff.
TEST(Summary, MatchesTheGoldenFile) {
  const std::string path =
      std::string(UKSTACK_SOURCE_DIR) + "/tests/render/golden/server_summary.txt";
  const std::string summary = summary_of(render_text(analysed(testing::server_snapshot()), {}));
  if (std::getenv("UKSTACK_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::trunc) << summary;
    GTEST_SKIP() << "wrote " << path;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "no golden file " << path << " (UKSTACK_UPDATE_GOLDEN=1 writes it)";
  std::stringstream golden;
  golden << in.rdbuf();
  EXPECT_EQ(summary, golden.str());
}

// The summary comes before any thread's block and says what the process is, how
// many threads it has, which are in D state, stuck, and deadlocked.
TEST(Summary, ComesFirstWithCountsDeadlocksDStateAndStuck) {
  const Snapshot s = analysed(testing::server_snapshot());
  const std::string text = render_text(s, {});
  const std::string summary = summary_of(text);
  EXPECT_EQ(
      summary.rfind("PID " + std::to_string(s.process.pid) + " (kvserver) " + s.process.exe, 0), 0u)
      << summary;
  EXPECT_TRUE(contains(summary, "Summary: " + std::to_string(s.threads.size()) +
                                    " threads, 1 in D state, 1 DEADLOCK"))
      << summary;
  const Thread& io = thread_named(s, "io");
  EXPECT_TRUE(contains(summary, "D state: " + quoted(io) + " in nfs_wait_bit_killable [nfs]"))
      << summary;
  EXPECT_TRUE(contains(summary, "stuck (")) << summary;
  EXPECT_FALSE(contains(summary, "\nThread ")) << summary;
  // Deadlocks lead: before the groups.
  EXPECT_LT(summary.find("DEADLOCK: "), summary.find(" × ")) << summary;
}

TEST(Summary, DeadlockLinesNameEveryThreadAndResourceRoundTheCycle) {
  const Snapshot s = analysed(testing::server_snapshot());
  ASSERT_EQ(s.deadlocks.size(), 1u);
  const Deadlock& deadlock = s.deadlocks.front();
  ASSERT_EQ(deadlock.tids.size(), 2u);
  const Thread& first = *std::ranges::find(s.threads, deadlock.tids[0], &Thread::tid);
  const Thread& second = *std::ranges::find(s.threads, deadlock.tids[1], &Thread::tid);
  const std::string text = render_text(s, {});
  const std::string line = "DEADLOCK: " + quoted(first) + " → " + deadlock.resources[0] + " → " +
                           quoted(second) + " → " + deadlock.resources[1] + " → " + quoted(first) +
                           "\n";
  EXPECT_TRUE(contains(summary_of(text), line)) << text;
  // Each thread's block: marked, what it waits for and who holds it, and the chain.
  for (const Thread* t : {&first, &second}) {
    const Thread& other = t == &first ? second : first;
    EXPECT_TRUE(contains(text, "\nThread " + std::to_string(t->tid) + " \"" + t->name + "\""))
        << text;
    EXPECT_TRUE(contains(
        text, "  waits for " + t->waits_for[0].description + " held by " + quoted(other) + "\n"))
        << text;
    EXPECT_TRUE(contains(text, "  chain: " + quoted(*t) + " → " + t->waits_for[0].description +
                                   " → " + quoted(other) + " → " + other.waits_for[0].description +
                                   " → " + quoted(*t) + " (deadlock)\n"))
        << text;
  }
  EXPECT_EQ(std::ranges::count(lines_of(text), true,
                               [](const std::string& l) { return l.ends_with("[DEADLOCKED]"); }),
            2)
      << text;
}

// A long wait (the owner sleeps with the mutex held) is a wait with its holder on
// the waiters and the count on the holder, not a deadlock.
TEST(Summary, ALongWaitShowsItsHolderAndHowManyWait) {
  const Snapshot s = analysed(testing::server_snapshot());
  const Thread& flusher = thread_named(s, "flusher");
  const auto waiters = std::ranges::count_if(s.threads, [&](const Thread& t) {
    return !t.waits_for.empty() && t.waits_for[0].holders[0].tid == flusher.tid;
  });
  const std::string& mutex =
      std::ranges::find_if(s.threads,
                           [&](const Thread& t) {
                             return !t.waits_for.empty() &&
                                    t.waits_for[0].holders[0].tid == flusher.tid;
                           })
          ->waits_for[0]
          .description;
  const std::string text = render_text(s, {});
  const std::string summary = summary_of(text);
  // The holder waits for nothing known: what it does ends the line.
  const std::string doing = " (" + flusher.syscall->name + ")";
  EXPECT_TRUE(
      contains(summary, "; waits for " + mutex + " held by " + quoted(flusher) + doing + "\n"))
      << summary;
  EXPECT_TRUE(
      contains(summary, "; holds " + mutex + " (" + std::to_string(waiters) + " waiting)\n"))
      << summary;
  EXPECT_TRUE(contains(text, "  waits for " + mutex + " held by " + quoted(flusher) + doing +
                                 " (×" + std::to_string(waiters) + ")\n"))
      << text;
  EXPECT_EQ(s.deadlocks.size(), 1u);  // the AB/BA pair only
}

// Issue 14: the GIL's holder and how many wait for it, in one line of the summary;
// no line for a Python program whose threads do not wait for it.
TEST(Summary, TheGilLineNamesItsHolderAndWhereItIs) {
  Snapshot s = testing::server_snapshot();
  Thread& holder = s.threads[0];
  s.python = PythonInfo{.version = "3.11.2",
                        .layouts_from = "debug info",
                        .gil_holder = holder.tid,
                        .gil_holder_in = "zlib_compress_impl, called from compressor (app.py:80)",
                        .notes = {}};
  EXPECT_FALSE(contains(summary_of(render_text(analysed(s), {})), "GIL"));
  for (std::size_t i = 1; i <= 3; ++i) {
    Wait gil;
    gil.kind = WaitKind::Gil;
    gil.description = "the GIL of process " + std::to_string(s.process.pid);
    gil.holders.push_back(WaitHolder{.pid = s.process.pid,
                                     .tid = holder.tid,
                                     .name = holder.name,
                                     .state = holder.state,
                                     .syscall = std::nullopt});
    s.threads[i].waits_for = {gil};
  }
  const std::string summary = summary_of(render_text(analysed(s), {}));
  EXPECT_TRUE(contains(summary, "GIL: 3 threads wait for the GIL held by " + quoted(holder) +
                                    ", which is in zlib_compress_impl, called from compressor "
                                    "(app.py:80)\n"))
      << summary;
}

// 1,000 threads in 200 groups: the summary still fits a 50-line terminal, the
// groups that did not fit counted in one line, every line one row wide.
TEST(Summary, AThousandThreadsInTwoHundredGroupsFitFiftyLines) {
  Snapshot s = testing::server_snapshot();
  const Thread model = thread_named(s, "worker");
  s.threads.clear();
  constexpr int kGroups = 200;
  int tid = 20000;
  for (int group = 0; group < kGroups; ++group) {
    const int size = group == 0 ? 204 : 4;  // 204 + 199 × 4 = 1,000
    for (int i = 0; i < size; ++i) {
      Thread t = model;
      t.tid = tid++;
      t.user.frames[2].function = "handler_" + std::to_string(group) + "()";
      s.threads.push_back(t);
    }
  }
  ASSERT_EQ(s.threads.size(), 1000u);
  s = analysed(std::move(s));
  ASSERT_EQ(s.groups.size(), 200u);
  for (std::size_t width : {std::size_t{0}, std::size_t{80}}) {
    const std::string summary = summary_of(render_text(s, TextOptions{.width = width}));
    const std::vector<std::string> lines = lines_of(summary);
    EXPECT_LE(lines.size(), 50u) << summary;
    if (width > 0) {
      for (const std::string& line : lines) EXPECT_LE(width_of(line), width) << line;
    }
    // The largest group first, then the rest counted.
    const auto first_group = std::ranges::find_if(
        lines, [](const std::string& l) { return l.find(" × ") != std::string::npos; });
    ASSERT_NE(first_group, lines.end()) << summary;
    EXPECT_EQ(first_group->rfind("  204 × futex ← pthread_cond_wait ←", 0), 0u) << *first_group;
    if (width == 0) {
      EXPECT_TRUE(contains(*first_group, "← handler_0 ← ")) << *first_group;
    }
    const std::size_t shown = static_cast<std::size_t>(std::ranges::count_if(
        lines, [](const std::string& l) { return l.find(" × ") != std::string::npos; }));
    const std::string more = "  … and " + std::to_string(kGroups - shown) + " more groups (" +
                             std::to_string(1000 - 204 - 4 * (shown - 1)) + " threads)";
    EXPECT_TRUE(contains(summary, more + "\n")) << summary;
  }
}

TEST(Summary, NamesFromTheTargetAreEscaped) {
  Snapshot s = testing::server_snapshot();
  s.process.name = "kv\x1b]0;owned\x07";
  s.process.exe = "/tmp/\x1b[2Jkv";
  for (Thread& t : s.threads) {
    t.name = "w\x1b[31m";
    if (t.user.frames.size() > 2)
      t.user.frames[2].function =
          "evil\x9b"
          "2J()";
    if (t.syscall && !t.syscall->fds.empty()) t.syscall->fds[0].description = "tcp \x1b[1m";
    for (Wait& wait : t.waits_for) {
      wait.description += "\x1b[5m";
      for (WaitHolder& holder : wait.holders) holder.name = "h\x1b[7m";
    }
  }
  const std::string summary = summary_of(render_text(analysed(std::move(s)), {}));
  EXPECT_FALSE(contains(summary, "\x1b")) << summary;
  EXPECT_FALSE(contains(summary, "\x07")) << summary;
  EXPECT_FALSE(contains(summary, "\x9b")) << summary;
  EXPECT_TRUE(contains(summary, "(kv\\x1b]0;owned\\x07) /tmp/\\x1b[2Jkv")) << summary;
  EXPECT_TRUE(contains(summary, "\"w\\x1b[31m\"")) << summary;
  EXPECT_TRUE(contains(summary, "evil\\x9b2J")) << summary;
  EXPECT_TRUE(contains(summary, "tcp \\x1b[1m")) << summary;
  EXPECT_TRUE(contains(summary, "\\x1b[5m")) << summary;
}

TEST(Summary, NotGroupedEveryThreadIsItsOwnGroup) {
  Snapshot s = testing::server_snapshot();
  s.threads.resize(3);
  const std::string summary = summary_of(render_text(s, {}));
  EXPECT_TRUE(contains(summary, "(3 groups, largest first)")) << summary;
  for (const Thread& t : s.threads) {
    EXPECT_TRUE(contains(summary, " — " + quoted(t))) << summary;
  }
}

Thread frames_thread(std::string syscall, std::vector<std::pair<std::string, std::string>> frames) {
  Thread t;
  t.tid = 1;
  t.state = "S";
  if (!syscall.empty()) {
    t.syscall.emplace();
    t.syscall->nr = 1;
    t.syscall->name = std::move(syscall);
  }
  for (auto& [function, module] : frames) {
    Frame f;
    f.function = std::move(function);
    f.module = std::move(module);
    t.user.frames.push_back(std::move(f));
  }
  return t;
}

// The rule documented in render/text_summary.h, a case each.
TEST(WhatItWaitsIn, TheCallThenTheLibraryEntryThenTwoProgramFrames) {
  const std::string libc = "/lib/x86_64-linux-gnu/libc.so.6";
  const std::string stdcxx = "/lib/x86_64-linux-gnu/libstdc++.so.6";
  const std::string app = "/usr/bin/app";
  // Library internals collapse to the outermost library frame, without glibc's prefixes.
  EXPECT_EQ(what_it_waits_in(frames_thread("futex", {{"__futex_abstimed_wait_common", libc},
                                                     {"___pthread_cond_wait", libc},
                                                     {"Pool::worker(int)", app},
                                                     {"thread_main(void*)", app},
                                                     {"main", app},
                                                     {"start_thread", libc}})),
            "futex ← pthread_cond_wait ← Pool::worker ← thread_main");
  // The call's own wrapper is not repeated; described descriptors are shown.
  Thread accept = frames_thread("accept", {{"accept", libc}, {"main", app}});
  accept.syscall->fds.push_back(FdDescription{
      .arg = 0, .fd = 3, .target = "socket:[1]", .description = "tcp 0.0.0.0:8080 LISTEN"});
  EXPECT_EQ(what_it_waits_in(accept), "accept(3 → tcp 0.0.0.0:8080 LISTEN) ← main");
  // libstdc++ and std:: templates built into the program count as the library.
  EXPECT_EQ(what_it_waits_in(frames_thread("futex", {{"__lll_lock_wait", libc},
                                                     {"___pthread_mutex_lock", libc},
                                                     {"std::mutex::lock()", app},
                                                     {"std::condition_variable::wait(std::unique_"
                                                      "lock<std::mutex>&)",
                                                      stdcxx},
                                                     {"Queue::pop() const", app}})),
            "futex ← std::condition_variable::wait ← Queue::pop");
  // Unnamed frames are skipped; a running thread, a core's thread (no state).
  Thread running = frames_thread("", {{"", app}, {"spin", app}});
  running.state = "R";
  EXPECT_EQ(what_it_waits_in(running), "running ← spin");
  Thread core = frames_thread("", {{"raise", libc}, {"abort", libc}, {"fail(char const*)", app}});
  core.state.clear();
  EXPECT_EQ(what_it_waits_in(core), "abort ← fail");
}

// Groups whose lines would read the same (two stacks parting below their first
// frames) each show, after an ellipsis, the frame where they part.
TEST(Summary, GroupLinesThatWouldReadTheSameShowWhereTheyPart) {
  const std::string libc = "/usr/lib/x86_64-linux-gnu/libc.so.6", app = "/usr/bin/app";
  Snapshot s = testing::sample_snapshot();
  s.threads.clear();
  for (const auto& [tid, outer] :
       std::vector<std::pair<int, std::string>>{{10, "park_m"}, {11, "mstart1"}}) {
    Thread t = frames_thread(
        "futex",
        {{"futex", app}, {"futexsleep", app}, {"notesleep", app}, {"schedule", app}, {outer, app}});
    t.tid = tid;
    s.threads.push_back(t);
  }
  const std::string summary = summary_of(render_text(s, {}));
  EXPECT_NE(summary.find("1 × futex ← futex ← futexsleep ← … ← park_m — thread 10"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("1 × futex ← futex ← futexsleep ← … ← mstart1 — thread 11"),
            std::string::npos)
      << summary;
}

// A stripped program: its frames are "?? in app"; groups that differ only in those
// frames' addresses make one line, not two that read the same.
TEST(Summary, GroupsThatNothingShownTellsApartAreOneLine) {
  const std::string libc = "/usr/lib/x86_64-linux-gnu/libc.so.6", app = "/usr/bin/app";
  Snapshot s = testing::sample_snapshot();
  s.threads.clear();
  for (int tid : {10, 11, 12}) {
    Thread t = frames_thread("futex", {{"pthread_cond_wait", libc}, {"", app}, {"", app}});
    t.tid = tid;
    t.user.frames[1].pc = 0x1000 + static_cast<std::uint64_t>(tid == 12);  // 12: another stack
    s.threads.push_back(t);
  }
  s.groups = {ThreadGroup{{10, 11}}, ThreadGroup{{12}}};
  const std::string summary = summary_of(render_text(s, {}));
  EXPECT_NE(summary.find("3 × futex ← pthread_cond_wait ← ?? in app — "), std::string::npos)
      << summary;
  EXPECT_EQ(summary.find(" 1 × "), std::string::npos) << summary;
}

// Two processes captured together: one summary, one graph, the deadlock across them.
TEST(Summary, SeveralProcessesOneSummaryThenEachProcess) {
  auto process = [](int pid, std::string name, Wait wait) {
    Snapshot s = testing::sample_snapshot();
    s.process = {.pid = pid, .exe = "/usr/bin/" + name, .cmdline = {name}, .name = name};
    Thread t = s.threads.front();
    t.tid = pid;
    t.name = name;
    t.syscall->name = wait.kind == WaitKind::Pipe ? "read" : "flock";
    t.waits_for = {std::move(wait)};
    s.threads = {t};
    return s;
  };
  Wait pipe;
  pipe.kind = WaitKind::Pipe;
  pipe.description = "pipe:[7001]";
  pipe.holders = {WaitHolder{
      .pid = 400, .tid = std::nullopt, .name = "child", .state = "S", .syscall = std::nullopt}};
  Wait lock;
  lock.kind = WaitKind::FileLock;
  lock.description = "flock /tmp/app.lock (inode 12)";
  lock.holders = {WaitHolder{
      .pid = 300, .tid = std::nullopt, .name = "parent", .state = "S", .syscall = std::nullopt}};
  std::vector<Snapshot> run{process(300, "parent", pipe), process(400, "child", lock)};
  analyse(run);

  const std::string text = render_text(run, {});
  const std::string summary = summary_of(text);
  EXPECT_EQ(summary.rfind("Summary of 2 processes captured together: 2 threads, 0 in D state, "
                          "1 DEADLOCK",
                          0),
            0u)
      << summary;
  EXPECT_TRUE(contains(summary,
                       "DEADLOCK: thread 300 \"parent\" of process 300 → read(pipe:[7001]) → "
                       "thread 400 \"child\" of process 400 → flock /tmp/app.lock (inode "
                       "12) → thread 300 \"parent\" of process 300\n"))
      << summary;
  EXPECT_TRUE(contains(summary, "PID 300 (parent) /usr/bin/parent: 1 thread\n")) << summary;
  EXPECT_TRUE(contains(summary, "PID 400 (child) /usr/bin/child: 1 thread\n")) << summary;
  // Then each process with its own header, in the order given.
  const std::size_t parent = text.find("\nPID 300 (parent) /usr/bin/parent — live");
  const std::size_t child = text.find("\nPID 400 (child) /usr/bin/child — live");
  ASSERT_NE(parent, std::string::npos) << text;
  ASSERT_NE(child, std::string::npos) << text;
  EXPECT_LT(parent, child);
  EXPECT_TRUE(contains(text, "  waits for pipe:[7001] held by process 400 \"child\"\n")) << text;
  EXPECT_TRUE(contains(text,
                       "  chain: thread 300 \"parent\" → read(pipe:[7001]) → process 400 "
                       "\"child\" → flock /tmp/app.lock (inode 12) → process 300 "
                       "\"parent\" (deadlock)\n"))
      << text;

  std::ostringstream streamed;
  write_text(run, {}, streamed);
  EXPECT_EQ(streamed.str(), text);
}

}  // namespace
}  // namespace ukstack
