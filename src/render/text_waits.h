// Who waits for whom, in words (issue 10, parts 3 and 4): a thread's waits and who
// holds them, what it holds that others wait for, chains and deadlocks; for the
// thread and group blocks and for the summary. Internal to the renderer.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "analysis/deadlocks.h"
#include "model/snapshot.h"
#include "render/text_writer.h"

namespace ukstack {

// A resource a thread holds that captured threads wait for.
struct Holding {
  std::string resource;  // the Wait description
  std::size_t waiters = 0;
};

// What the text view knows of waits across every snapshot of one run.
class WaitIndex {
 public:
  // The snapshots must outlive the index.
  explicit WaitIndex(std::span<const Snapshot> snapshots);

  const WaitGraph& graph() const { return graph_; }
  // What captured threads wait for that this thread holds (as a thread holder).
  std::span<const Holding> holdings_of(int tid) const;
  const ProcessInfo* process(int pid) const;
  // The snapshots' deadlocks (Snapshot::deadlocks, as the analysis filled them), each once.
  const std::vector<Deadlock>& deadlocks() const { return deadlocks_; }
  bool in_deadlock(int tid) const;
  bool several_processes() const { return processes_.size() > 1; }

 private:
  WaitGraph graph_;
  std::unordered_map<int, std::vector<Holding>> holdings_;
  std::unordered_map<int, const ProcessInfo*> processes_;
  std::vector<Deadlock> deadlocks_;
  std::unordered_set<int> in_deadlock_;  // tids
};

// "held by thread 1234 "worker-3"", "held by process 999 "sleep", process 1000 "x"",
// "holder unknown (lock word unreadable)".
void write_holders(Writer& w, const Wait& wait, int waiter_pid, const WaitIndex& index);

// "thread 101 "a" → mutex 0x2000 → thread 102 "b" → read(pipe:[7]) → process 999
// "sleep" (nanosleep)", ending "(deadlock)" when it comes round.
void write_chain(Writer& w, const WaitChain& chain, const WaitIndex& index);
// Steps in a chain: waits followed, counting one to an unknown holder.
std::size_t chain_steps(const WaitChain& chain);

// "thread 101 "a" → mutex 0x2000 → thread 102 "b" → mutex 0x1000 → thread 101 "a"".
void write_deadlock(Writer& w, const Deadlock& deadlock, const WaitIndex& index);

// Under a thread's header: each wait and its holders, the chain when longer than
// one step, and what it holds that others wait for.
void write_thread_waits(Writer& w, const Thread& thread, int pid, const WaitIndex& index);
// The same for a group: each resource its threads wait for with how many, at most
// a few of them.
void write_group_waits(Writer& w, std::span<const Thread* const> members, int pid,
                       const WaitIndex& index);

}  // namespace ukstack
