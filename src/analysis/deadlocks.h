// Who waits for whom, and deadlocks (issue 10, parts 3 and 4): the wait graph over
// the threads of one or several snapshots. Tids and pids are the host's, so a holder
// in another process captured in the same run (`ukstack PID PID...`) joins one graph.
//
// A thread can move when it waits in no known wait, or when any holder of any of its
// waits can move (the other end of a pipe may be held by several processes). A
// process holder can move when any of its threads can, or when it was not captured
// (unknown: assume it can); so can a wait's holder that is unknown. The threads that
// cannot move and lie on a cycle are deadlocked; a long wait whose chain ends in a
// sleeping or running thread is a chain, not a deadlock.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "model/snapshot.h"

namespace ukstack {

// One step of a chain: a captured thread, or a holder that was not captured.
struct ChainNode {
  const Thread* thread = nullptr;      // null: not captured (`holder` names it)
  int pid = 0;                         // the thread's process
  const WaitHolder* holder = nullptr;  // how the previous node's wait named this one (null first)
  // The wait followed to the next node; on the last node, a wait whose holder is
  // unknown (its `reason` says why), else null.
  const Wait* wait = nullptr;
};

// T1 → mutex → T2 → read(pipe) → process 999: from a thread to what lets it on, or
// round a cycle. It stops at an end (a node that waits in no known wait, an unknown
// holder, a holder not captured) or at a node already on it.
struct WaitChain {
  std::vector<ChainNode> nodes;
  // Set when the last node is the one at this index again (the chain is a cycle).
  std::optional<std::size_t> repeats;
};

class WaitGraph {
 public:
  // The snapshots must outlive the graph; it points into them.
  explicit WaitGraph(std::span<const Snapshot> snapshots);

  // A tid no snapshot has: unknown, so true.
  bool can_move(int tid) const;
  // The captured thread with this tid (the first snapshot's when several have it).
  const Thread* find_thread(int tid) const;
  // The pid of the captured process a tid belongs to; nullopt when not captured.
  std::optional<int> pid_of(int tid) const;

  // Every cycle of threads that cannot move, each once, starting at the thread the
  // snapshots list first. A strongly connected set that is more than one cycle is
  // given as cycles that together name every thread in it.
  std::vector<Deadlock> deadlocks() const;

  // The chain from a captured thread: for a thread that can move, the holders that
  // let it (the shortest way to an end); for one that cannot, the first holder of
  // its first wait, until the chain comes round. Empty for an unknown tid.
  WaitChain chain_of(int tid) const;

 private:
  struct Edge {
    std::size_t to = 0;
    const Wait* wait = nullptr;          // null from a process to its threads
    const WaitHolder* holder = nullptr;  // null from a process to its threads
  };
  struct Node {
    const Thread* thread =
        nullptr;  // a captured thread; null for a process or a holder not captured
    int pid = 0;
    bool process = false;            // a process (any of its threads), captured or not
    const Wait* dead_end = nullptr;  // a wait of this thread whose holder is unknown
    std::vector<Edge> out = {};
  };
  static constexpr std::size_t kUnreachable = static_cast<std::size_t>(-1);

  std::size_t node_for(const WaitHolder& holder);
  void find_movers();
  // The edge a chain follows out of `node`, or null at an end.
  const Edge* next_edge(std::size_t node) const;
  std::optional<Deadlock> shortest_cycle_through(std::size_t start) const;

  std::vector<Node> nodes_;
  std::unordered_map<int, std::size_t> thread_nodes_;   // by tid: captured or not
  std::unordered_map<int, std::size_t> process_nodes_;  // by pid
  // Steps to the nearest node that can move without help; kUnreachable: cannot move.
  std::vector<std::size_t> distance_to_end_;
};

// The deadlocks over these snapshots, each filled into Snapshot::deadlocks of every
// snapshot that has one of its threads (replacing what was there).
void fill_deadlocks(std::span<Snapshot> snapshots);

}  // namespace ukstack
