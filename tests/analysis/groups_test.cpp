// Grouping threads by their combined stacks, on hand-built snapshots.
#include "analysis/groups.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace ukstack {
namespace {

Frame frame(std::string function, std::uint64_t offset, std::string module) {
  Frame f;
  f.function = std::move(function);
  f.offset = offset;
  f.pc = 0x1000 + offset;
  f.module = std::move(module);
  return f;
}

// A worker blocked in read: kernel pipe_read, user read <- worker_loop <- start_thread.
Thread reader(int tid, std::uint64_t offset = 0x10) {
  Thread t;
  t.tid = tid;
  t.name = "worker";
  t.state = "S";
  t.syscall = SyscallInfo{.nr = 0, .name = "read", .args = {3, 0x7f00 + offset, 1}, .fds = {}};
  t.kernel.method = StackMethod::Procfs;
  t.kernel.frames = {frame("pipe_read", 0x1c5 + offset, ""), frame("vfs_read", 0x2a, "")};
  t.user.method = StackMethod::Nostop;
  t.user.frames = {frame("read", 0x4c, "/usr/lib/libc.so.6"),
                   frame("worker_loop", offset, "/usr/bin/server"),
                   frame("start_thread", 0x305, "/usr/lib/libc.so.6")};
  return t;
}

std::vector<std::vector<int>> tids_of(const std::vector<ThreadGroup>& groups) {
  std::vector<std::vector<int>> out;
  for (const auto& group : groups) out.push_back(group.tids);
  return out;
}

TEST(Groups, OffsetsAddressesArgumentsNamesAndStatesMayDiffer) {
  Snapshot s;
  s.threads = {reader(10, 0x10), reader(11, 0x20), reader(12, 0x30)};
  s.threads[1].name = "io";
  s.threads[2].state = "D";
  EXPECT_EQ(tids_of(group_threads(s)), (std::vector<std::vector<int>>{{10, 11, 12}}));
  EXPECT_TRUE(same_combined_stack(s.threads[0], s.threads[2]));
}

TEST(Groups, ADifferentSystemCallIsAnotherGroup) {
  Thread other = reader(11);
  other.syscall->nr = 17;  // pread64: same frames, another call
  EXPECT_FALSE(same_combined_stack(reader(10), other));
}

TEST(Groups, ADifferentKernelFunctionIsAnotherGroup) {
  Thread other = reader(11);
  other.kernel.frames[0].function = "pipe_wait";
  EXPECT_FALSE(same_combined_stack(reader(10), other));
}

TEST(Groups, ADifferentUserFunctionOrModuleIsAnotherGroup) {
  Thread function = reader(11);
  function.user.frames[1].function = "other_loop";
  EXPECT_FALSE(same_combined_stack(reader(10), function));
  Thread module = reader(12);
  module.user.frames[1].module = "/usr/lib/libplugin.so";
  EXPECT_FALSE(same_combined_stack(reader(10), module));
  Thread deeper = reader(13);
  deeper.user.frames.push_back(frame("clone3", 0x2c, "/usr/lib/libc.so.6"));
  EXPECT_FALSE(same_combined_stack(reader(10), deeper));
}

TEST(Groups, AStackCutShortIsNotTheWholeStack) {
  Thread cut = reader(11);
  cut.user.error = "unwound without stopping and cut short";
  EXPECT_FALSE(same_combined_stack(reader(10), cut));
}

TEST(Groups, LargestFirstThenInTheOrderOfTheirFirstThread) {
  Snapshot s;
  Thread main_thread = reader(1);
  main_thread.user.frames[1].function = "main";
  Thread sleeper = reader(2);
  sleeper.syscall->nr = 35;
  s.threads = {main_thread, sleeper, reader(3), reader(4), reader(5), sleeper, main_thread};
  s.threads[5].tid = 6;
  s.threads[6].tid = 7;
  EXPECT_EQ(tids_of(group_threads(s)), (std::vector<std::vector<int>>{{3, 4, 5}, {1, 7}, {2, 6}}));
}

TEST(Groups, EveryThreadIsInExactlyOneGroup) {
  Snapshot s;
  for (int tid = 100; tid < 400; ++tid) {
    Thread t = reader(tid, static_cast<std::uint64_t>(tid));
    if (tid % 3 == 1) t.user.frames[1].function = "cond_loop";
    if (tid % 3 == 2) t.syscall->nr = 230;
    s.threads.push_back(t);
  }
  const auto groups = group_threads(s);
  ASSERT_EQ(groups.size(), 3u);
  std::vector<int> all;
  for (const auto& group : groups) {
    EXPECT_EQ(group.tids.size(), 100u);
    all.insert(all.end(), group.tids.begin(), group.tids.end());
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), 300u);
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
}

}  // namespace
}  // namespace ukstack
