// The wait graph, deadlocks and chains, on hand-built snapshots: each test says what
// the threads wait for and who holds it, and checks what a user would read off.
#include "analysis/deadlocks.h"

#include <gtest/gtest.h>

#include <charconv>
#include <iterator>
#include <string>
#include <vector>

namespace ukstack {
namespace {

Thread thread(int tid, std::string name, std::string state = "S") {
  Thread t;
  t.tid = tid;
  t.name = std::move(name);
  t.state = std::move(state);
  return t;
}

WaitHolder held_by_thread(int pid, int tid) {
  WaitHolder holder;
  holder.pid = pid;
  holder.tid = tid;
  return holder;
}

WaitHolder held_by_process(int pid, std::string name = "") {
  WaitHolder holder;
  holder.pid = pid;
  holder.name = std::move(name);
  return holder;
}

Wait wait(WaitKind kind, std::string description, std::vector<WaitHolder> holders) {
  Wait w;
  w.kind = kind;
  w.description = std::move(description);
  w.holders = std::move(holders);
  return w;
}

std::string hex(std::uint64_t value) {
  char digits[16];
  const auto end = std::to_chars(std::begin(digits), std::end(digits), value, 16).ptr;
  return "0x" + std::string(digits, end);
}

Wait mutex(std::uint64_t address, std::vector<WaitHolder> holders) {
  Wait w = wait(WaitKind::Mutex, "mutex " + hex(address), std::move(holders));
  w.address = address;
  return w;
}

Wait pipe(int inode, std::vector<WaitHolder> holders) {
  return wait(WaitKind::Pipe, "pipe:[" + std::to_string(inode) + "]", std::move(holders));
}

Wait file_lock(std::string path, std::vector<WaitHolder> holders) {
  return wait(WaitKind::FileLock, "flock " + path, std::move(holders));
}

Thread sleeping_in_nanosleep(int tid, std::string name) {
  Thread t = thread(tid, std::move(name));
  t.syscall.emplace();
  t.syscall->nr = 35;
  t.syscall->name = "nanosleep";
  return t;
}

Snapshot process(int pid, std::vector<Thread> threads) {
  Snapshot s;
  s.process.pid = pid;
  s.process.name = "p" + std::to_string(pid);
  s.threads = std::move(threads);
  return s;
}

std::vector<Deadlock> deadlocks_of(const Snapshot& snapshot) {
  return WaitGraph(std::span(&snapshot, 1)).deadlocks();
}

// The tids along a chain, 0 for a node that was not captured.
std::vector<int> tids_along(const WaitChain& chain) {
  std::vector<int> tids;
  for (const ChainNode& node : chain.nodes) tids.push_back(node.thread ? node.thread->tid : 0);
  return tids;
}

TEST(Deadlocks, TwoThreadsTakingTwoMutexesInOppositeOrders) {
  Thread a = thread(101, "a");
  Thread b = thread(102, "b");
  a.waits_for = {mutex(0x2000, {held_by_thread(100, 102)})};
  b.waits_for = {mutex(0x1000, {held_by_thread(100, 101)})};
  const Snapshot s = process(100, {thread(100, "main"), a, b});
  const std::vector<Deadlock> found = deadlocks_of(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].tids, (std::vector<int>{101, 102}));
  // resources[i] is what tids[i] waits for, held by the next.
  EXPECT_EQ(found[0].resources,
            (std::vector<std::string>{a.waits_for[0].description, b.waits_for[0].description}));
  const WaitGraph graph(std::span(&s, 1));
  EXPECT_FALSE(graph.can_move(101));
  EXPECT_FALSE(graph.can_move(102));
  EXPECT_TRUE(graph.can_move(100));
}

TEST(Deadlocks, ThreeThreadCycleInCycleOrder) {
  Thread a = thread(11, "a");
  Thread b = thread(12, "b");
  Thread c = thread(13, "c");
  a.waits_for = {mutex(2, {held_by_thread(10, 12)})};
  b.waits_for = {mutex(3, {held_by_thread(10, 13)})};
  c.waits_for = {mutex(1, {held_by_thread(10, 11)})};
  // Listed out of order: the cycle still starts at the first listed and follows the waits.
  const std::vector<Deadlock> found = deadlocks_of(process(10, {b, c, a}));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].tids, (std::vector<int>{12, 13, 11}));
  EXPECT_EQ(found[0].resources, (std::vector<std::string>{"mutex 0x3", "mutex 0x1", "mutex 0x2"}));
}

TEST(Deadlocks, ALongWaitOnASleepingOwnerIsAChainNotADeadlock) {
  // The owner holds the mutex and sleeps: no known wait.
  const Thread sleeper = sleeping_in_nanosleep(21, "owner");
  std::vector<Thread> threads{sleeper};
  for (int tid = 22; tid < 25; ++tid) {
    Thread waiter = thread(tid, "waiter");
    waiter.waits_for = {mutex(0x40, {held_by_thread(20, 21)})};
    threads.push_back(waiter);
  }
  const Snapshot s = process(20, threads);
  EXPECT_TRUE(deadlocks_of(s).empty());
  const WaitGraph graph(std::span(&s, 1));
  EXPECT_TRUE(graph.can_move(22));
  const WaitChain chain = graph.chain_of(22);
  EXPECT_EQ(tids_along(chain), (std::vector<int>{22, 21}));
  EXPECT_FALSE(chain.repeats);
  EXPECT_EQ(chain.nodes[0].wait, &graph.find_thread(22)->waits_for[0]);
  EXPECT_EQ(chain.nodes[1].wait, nullptr);  // the sleeper waits in nothing known
}

// A parent reads a pipe whose write end only its child holds; the child waits for a
// lock file the parent holds: one cycle over two processes, through pid-only holders.
TEST(Deadlocks, PipeAndLockFileAcrossTwoProcesses) {
  Thread parent = thread(300, "parent");
  parent.waits_for = {pipe(7001, {held_by_process(400, "child")})};
  Thread child = thread(400, "child");
  child.waits_for = {file_lock("/tmp/app.lock", {held_by_process(300, "parent")})};
  std::vector<Snapshot> snapshots{process(300, {parent}), process(400, {child})};

  const WaitGraph graph(snapshots);
  const std::vector<Deadlock> found = graph.deadlocks();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].tids, (std::vector<int>{300, 400}));
  EXPECT_EQ(found[0].resources, (std::vector<std::string>{"pipe:[7001]", "flock /tmp/app.lock"}));

  const WaitChain chain = graph.chain_of(300);
  EXPECT_EQ(tids_along(chain), (std::vector<int>{300, 400, 300}));
  EXPECT_EQ(chain.repeats, 0u);
  ASSERT_NE(chain.nodes[1].holder, nullptr);
  EXPECT_FALSE(chain.nodes[1].holder->tid);  // reached as "process 400", shown as its thread
  EXPECT_EQ(chain.nodes[1].pid, 400);

  // Filled into both snapshots; captured alone, neither is a deadlock (the other
  // process is unknown, so assumed to move).
  fill_deadlocks(snapshots);
  EXPECT_EQ(snapshots[0].deadlocks.size(), 1u);
  EXPECT_EQ(snapshots[1].deadlocks.size(), 1u);
  EXPECT_TRUE(deadlocks_of(snapshots[0]).empty());
  const WaitChain alone = WaitGraph(std::span(&snapshots[0], 1)).chain_of(300);
  EXPECT_EQ(tids_along(alone), (std::vector<int>{300, 0}));
  EXPECT_EQ(alone.nodes[1].pid, 400);
}

// A pipe whose write end two processes hold: one of them blocked on the reader, the
// other sleeping. The sleeper may write, so nothing is deadlocked, and the chain
// goes to it.
TEST(Deadlocks, APipeWithTwoWritersOfWhichOneCanMove) {
  Thread reader = thread(500, "reader");
  reader.waits_for = {pipe(9, {held_by_process(600, "stuck"), held_by_process(700, "sleeper")})};
  Thread stuck = thread(600, "stuck");
  stuck.waits_for = {mutex(0x10, {held_by_thread(500, 500)})};
  const Thread sleeper = sleeping_in_nanosleep(700, "sleeper");
  const std::vector<Snapshot> snapshots{process(500, {reader}), process(600, {stuck}),
                                        process(700, {sleeper})};
  const WaitGraph graph(snapshots);
  EXPECT_TRUE(graph.deadlocks().empty());
  EXPECT_TRUE(graph.can_move(500));
  EXPECT_TRUE(graph.can_move(600));
  EXPECT_EQ(tids_along(graph.chain_of(500)), (std::vector<int>{500, 700}));
  EXPECT_EQ(tids_along(graph.chain_of(600)), (std::vector<int>{600, 500, 700}));

  // Once the sleeper is itself stuck on the reader, all three are.
  std::vector<Snapshot> all_stuck = snapshots;
  all_stuck[2].threads[0].waits_for = {mutex(0x20, {held_by_thread(500, 500)})};
  const std::vector<Deadlock> found = WaitGraph(all_stuck).deadlocks();
  ASSERT_EQ(found.size(), 2u);  // two cycles through the reader name every thread
  EXPECT_EQ(found[0].tids, (std::vector<int>{500, 600}));
  EXPECT_EQ(found[1].tids, (std::vector<int>{700, 500}));
}

TEST(Deadlocks, UnknownHoldersAreAssumedToMove) {
  Thread a = thread(801, "a");
  Thread b = thread(802, "b");
  // b's lock word was unreadable: no holder, a reason.
  a.waits_for = {mutex(0x1, {held_by_thread(800, 802)})};
  b.waits_for = {mutex(0x2, {})};
  b.waits_for[0].reason = "lock word unreadable";
  // c waits for a thread no snapshot has, d for a process not captured.
  Thread c = thread(803, "c");
  c.waits_for = {mutex(0x3, {held_by_thread(800, 999)})};
  Thread d = thread(804, "d");
  d.waits_for = {pipe(5, {held_by_process(12345)})};
  const Snapshot s = process(800, {a, b, c, d});
  const WaitGraph graph(std::span(&s, 1));
  EXPECT_TRUE(graph.deadlocks().empty());
  for (int tid : {801, 802, 803, 804}) EXPECT_TRUE(graph.can_move(tid)) << tid;

  const WaitChain chain = graph.chain_of(801);
  EXPECT_EQ(tids_along(chain), (std::vector<int>{801, 802}));
  ASSERT_NE(chain.nodes[1].wait, nullptr);  // ends at the wait whose holder is unknown
  EXPECT_EQ(chain.nodes[1].wait->reason, "lock word unreadable");
  EXPECT_EQ(tids_along(graph.chain_of(803)), (std::vector<int>{803, 0}));
  EXPECT_EQ(tids_along(graph.chain_of(804)), (std::vector<int>{804, 0}));
  EXPECT_TRUE(graph.chain_of(999).nodes.empty());  // not captured: no chain of its own
}

TEST(Deadlocks, AThreadWaitingForAMutexItHolds) {
  Thread self = thread(901, "relock");
  self.waits_for = {mutex(0x77, {held_by_thread(900, 901)})};
  const Snapshot s = process(900, {thread(900, "main"), self});
  const std::vector<Deadlock> found = deadlocks_of(s);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].tids, (std::vector<int>{901}));
  EXPECT_EQ(found[0].resources, (std::vector<std::string>{"mutex 0x77"}));
  const WaitChain chain = WaitGraph(std::span(&s, 1)).chain_of(901);
  EXPECT_EQ(tids_along(chain), (std::vector<int>{901, 901}));
  EXPECT_EQ(chain.repeats, 0u);
}

// A thread waiting on a deadlocked pair cannot move either, but is not in the cycle.
TEST(Deadlocks, AWaiterOnADeadlockIsNotPartOfIt) {
  Thread a = thread(2, "a");
  Thread b = thread(3, "b");
  Thread late = thread(4, "late");
  a.waits_for = {mutex(0x3, {held_by_thread(1, 3)})};
  b.waits_for = {mutex(0x2, {held_by_thread(1, 2)})};
  late.waits_for = {mutex(0x2, {held_by_thread(1, 2)})};
  const Snapshot s = process(1, {late, a, b});
  const WaitGraph graph(std::span(&s, 1));
  const std::vector<Deadlock> found = graph.deadlocks();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].tids, (std::vector<int>{2, 3}));
  EXPECT_FALSE(graph.can_move(4));
  const WaitChain chain = graph.chain_of(4);
  EXPECT_EQ(tids_along(chain), (std::vector<int>{4, 2, 3, 2}));
  EXPECT_EQ(chain.repeats, 1u);
}

TEST(Deadlocks, FillReplacesWhatWasThereAndLeavesUntouchedSnapshotsEmpty) {
  Thread a = thread(2, "a");
  Thread b = thread(3, "b");
  a.waits_for = {mutex(0x3, {held_by_thread(1, 3)})};
  b.waits_for = {mutex(0x2, {held_by_thread(1, 2)})};
  std::vector<Snapshot> snapshots{process(1, {a, b}), process(50, {thread(50, "other")})};
  snapshots[1].deadlocks = {Deadlock{.tids = {50}, .resources = {"stale"}}};
  fill_deadlocks(snapshots);
  EXPECT_EQ(snapshots[0].deadlocks.size(), 1u);
  EXPECT_TRUE(snapshots[1].deadlocks.empty());
}

}  // namespace
}  // namespace ukstack
