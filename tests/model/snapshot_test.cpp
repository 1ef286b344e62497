#include "model/snapshot.h"

#include <gtest/gtest.h>

#include "analysis/completeness.h"
#include "tests/model/sample_snapshot.h"

namespace ukstack {
namespace {

Frame frame(std::string function) {
  Frame f;
  f.function = std::move(function);
  return f;
}

Thread complete_thread(int tid) {
  Thread thread;
  thread.tid = tid;
  thread.state = "S";
  thread.kernel.method = StackMethod::Procfs;
  thread.kernel.frames.push_back(frame("do_sys_poll"));
  thread.user.method = StackMethod::Libdw;
  thread.user.frames.push_back(frame("main"));
  return thread;
}

TEST(SnapshotComplete, AllHalvesPresent) {
  Snapshot s;
  s.threads = {complete_thread(1), complete_thread(2)};
  EXPECT_TRUE(snapshot_complete(s));
}

TEST(SnapshotComplete, AnErrorInEitherHalfMakesItIncomplete) {
  Snapshot s;
  s.threads = {complete_thread(1), complete_thread(2)};
  s.threads[1].kernel.error = "kernel stack needs root (CAP_SYS_ADMIN)";
  EXPECT_FALSE(snapshot_complete(s));
  s.threads[1].kernel.error.reset();
  s.threads[0].user.error = "unwinding stopped after 3 frames";
  EXPECT_FALSE(snapshot_complete(s));
}

TEST(SnapshotComplete, ExitedThreadDoesNotCount) {
  Snapshot s;
  s.threads = {complete_thread(1), complete_thread(2)};
  s.threads[1].state = "X";
  s.threads[1].kernel.error = "thread exited during capture";
  s.threads[1].user.error = "thread exited during capture";
  EXPECT_TRUE(snapshot_complete(s));
}

TEST(SnapshotComplete, KernelThreadWithEmptyUserHalfIsComplete) {
  Snapshot s;
  s.threads = {complete_thread(2)};
  s.threads[0].user.frames.clear();
  s.threads[0].user.method = StackMethod::None;
  EXPECT_TRUE(snapshot_complete(s));
}

// A core has no kernel halves (method "none"): only the user halves decide.
TEST(SnapshotComplete, CoreCountsUserHalvesOnly) {
  Snapshot s = testing::core_snapshot();
  EXPECT_FALSE(snapshot_complete(s));  // the second thread's unwind stopped early
  s.threads[1].user.error.reset();
  EXPECT_TRUE(snapshot_complete(s));
  s.threads[0].kernel.error = "no kernel stack in a core";
  EXPECT_TRUE(snapshot_complete(s));
  s.source = SnapshotSource::Live;
  EXPECT_FALSE(snapshot_complete(s));
}

TEST(SnapshotComplete, SampleHasMissingHalves) {
  EXPECT_FALSE(snapshot_complete(testing::sample_snapshot()));
}

}  // namespace
}  // namespace ukstack
