// The folded view on hand-built snapshots: root-first order, kernel marks, counts
// that add up over samples, and names that cannot break the format.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "render/folded.h"
#include "tests/model/sample_snapshot.h"

namespace ukstack {
namespace {

using testing::core_snapshot;
using testing::sample_snapshot;
using testing::server_snapshot;

// The output's lines as stack → count, failing on a line that is not "STACK COUNT"
// (the count after the last space, as flamegraph.pl, inferno and speedscope read it).
std::map<std::string, long> parse_folded(const std::string& text) {
  std::map<std::string, long> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    if (space == std::string::npos) continue;
    const std::string count = line.substr(space + 1);
    EXPECT_FALSE(count.empty()) << line;
    EXPECT_EQ(count.find_first_not_of("0123456789"), std::string::npos) << line;
    EXPECT_FALSE(lines.contains(line.substr(0, space))) << "stack given twice: " << line;
    lines[line.substr(0, space)] = std::stol(count);
  }
  EXPECT_TRUE(text.empty() || text.back() == '\n');
  return lines;
}

std::vector<std::string> frames_of(const std::string& stack) {
  std::vector<std::string> frames;
  std::istringstream in(stack);
  std::string frame;
  while (std::getline(in, frame, ';')) frames.push_back(frame);
  return frames;
}

long total(const std::map<std::string, long>& lines) {
  long sum = 0;
  for (const auto& [stack, count] : lines) sum += count;
  return sum;
}

TEST(RenderFolded, ThreadNameThenUserFramesOutermostFirstThenKernelFramesFromTheEntry) {
  const Snapshot snapshot = sample_snapshot();
  const auto lines = parse_folded(render_folded({&snapshot, 1}));
  // accept_one is inlined into server_accept_and_close: a frame of its own, marked.
  EXPECT_EQ(lines.at("accept_server;main;server_accept_and_close;accept_one_[i];accept;"
                     "entry_SYSCALL_64_after_hwframe_[k];do_accept_[k];inet_accept_[k];"
                     "inet_csk_accept_[k]"),
            1);
  // Without a kernel half (it needed root), without a user-space function name.
  EXPECT_EQ(lines.at("poller;epoll_wait"), 1);
  EXPECT_EQ(lines.at("worker;[unknown];spin"), 1);
  // A kernel module's frame is a kernel frame too.
  EXPECT_EQ(lines.at("reader;syscall;nfs_wait_bit_killable_[k]"), 1);
  // The thread that exited during the capture had no stack at that moment.
  EXPECT_EQ(lines.size(), 4u);
  for (const auto& [stack, count] : lines) EXPECT_EQ(stack.find("gone"), std::string::npos);
}

TEST(RenderFolded, UnnamedFrameIsItsModulesFileName) {
  const Snapshot snapshot = core_snapshot();
  const auto lines = parse_folded(render_folded({&snapshot, 1}));
  EXPECT_EQ(lines.at("crasher;[libc-2.18.so];main;fu(int)"), 1);  // its outermost frame
  EXPECT_EQ(lines.at("crasher;main;fu(int)"), 1);
}

// Issue 14: Python frames as py-spy folds them, "function (file.py:line)"; JIT
// frames marked _[j] as perf marks them.
TEST(RenderFolded, PythonFramesWithTheirFileAndJitFramesMarked) {
  Snapshot snapshot = sample_snapshot();
  Thread& poller = *std::ranges::find(snapshot.threads, "poller", &Thread::name);
  Frame python;
  python.language = FrameLanguage::Python;
  python.function = "Loop.run";
  python.file = "/srv/lib;x/loop.py";
  python.line = 42;
  Frame jit;
  jit.language = FrameLanguage::Jit;
  jit.pc = 0x7f0000001000;
  jit.function = "LazyCompile:*tick";
  poller.user.frames.insert(poller.user.frames.end(), {jit, python});
  const auto lines = parse_folded(render_folded({&snapshot, 1}));
  EXPECT_EQ(lines.at("poller;Loop.run (loop.py:42);LazyCompile:*tick_[j];epoll_wait"), 1);
}

TEST(RenderFolded, ThreadsWithTheSameStackAreOneLine) {
  Snapshot snapshot = server_snapshot();
  snapshot.samples.reset();  // one capture: a thread is one count
  const auto lines = parse_folded(render_folded({&snapshot, 1}));
  const std::string pool =
      "worker;clone3;start_thread;worker_main(void*);WorkQueue::pop();___pthread_cond_wait;"
      "__futex_abstimed_wait_common;entry_SYSCALL_64_after_hwframe_[k];do_syscall_64_[k];"
      "__x64_sys_futex_[k];do_futex_[k];futex_wait_[k];futex_wait_queue_[k]";
  EXPECT_EQ(lines.at(pool), 12);
  EXPECT_EQ(total(lines), static_cast<long>(snapshot.threads.size()));
}

TEST(RenderFolded, WithSamplesAThreadAtOnePlaceThroughoutCountsOncePerSample) {
  Snapshot snapshot = server_snapshot();  // 5 samples; every thread stuck or waking
  ASSERT_EQ(snapshot.samples->count, 5);
  // One of the 12 pool workers moved during the sampling: only the last sample's
  // stack of it is kept, so it counts once.
  snapshot.threads[1].progress = Progress::Moving;
  ASSERT_EQ(snapshot.threads[1].name, "worker");
  const auto lines = parse_folded(render_folded({&snapshot, 1}));
  const std::string pool =
      "worker;clone3;start_thread;worker_main(void*);WorkQueue::pop();___pthread_cond_wait;"
      "__futex_abstimed_wait_common;entry_SYSCALL_64_after_hwframe_[k];do_syscall_64_[k];"
      "__x64_sys_futex_[k];do_futex_[k];futex_wait_[k];futex_wait_queue_[k]";
  EXPECT_EQ(lines.at(pool), 11 * 5 + 1);
  // The timer wakes every 20 ms, back at the same place each time: every sample.
  for (const auto& [stack, count] : lines) {
    if (stack.starts_with("timer;")) {
      EXPECT_EQ(count, 5) << stack;
    }
  }
  const long threads = static_cast<long>(snapshot.threads.size());
  EXPECT_EQ(total(lines), (threads - 1) * 5 + 1);
}

TEST(RenderFolded, SeveralProcessesAddUp) {
  const std::vector<Snapshot> snapshots{sample_snapshot(), sample_snapshot()};
  const auto lines = parse_folded(render_folded(snapshots));
  EXPECT_EQ(lines.at("poller;epoll_wait"), 2);
  EXPECT_EQ(total(lines), 8);
}

TEST(RenderFolded, HostileNamesStayInsideTheirFrame) {
  Snapshot snapshot = sample_snapshot();
  Thread& thread = snapshot.threads[0];
  thread.name = "evil;root\n0 99\x1b]0;title\x07";
  thread.user.frames[0].function = "f;g\nh 7";
  thread.user.frames[2].function = "";
  thread.user.frames[2].module = "/tmp/lib;x\r.so";
  thread.kernel.frames[0].function = "k;\x1b[2J";
  const auto lines = parse_folded(render_folded({&snapshot, 1}));
  ASSERT_EQ(lines.size(), 4u);
  bool found = false;
  for (const auto& [stack, count] : lines) {
    for (char c : stack) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << stack;
    if (!stack.starts_with("evil")) continue;
    found = true;
    EXPECT_EQ(count, 1);
    const auto frames = frames_of(stack);
    // The thread, 4 user frames, 4 kernel frames: nothing split or joined.
    ASSERT_EQ(frames.size(), 9u) << stack;
    EXPECT_EQ(frames[0], "evil\\x3broot\\n0 99\\x1b]0\\x3btitle\\x07");
    EXPECT_EQ(frames[2], "[lib\\x3bx\\x0d.so]");
    EXPECT_EQ(frames[4], "f\\x3bg\\nh 7");
    EXPECT_EQ(frames[8], "k\\x3b\\x1b[2J_[k]");
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace ukstack
