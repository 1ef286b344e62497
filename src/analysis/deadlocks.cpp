#include "analysis/deadlocks.h"

#include <algorithm>
#include <deque>
#include <unordered_set>

namespace ukstack {

WaitGraph::WaitGraph(std::span<const Snapshot> snapshots) {
  // Captured threads and processes first, so holders find them.
  for (const Snapshot& snapshot : snapshots) {
    const int pid = snapshot.process.pid;
    auto [process, added] = process_nodes_.emplace(pid, nodes_.size());
    if (added) nodes_.push_back(Node{.pid = pid, .process = true});
    for (const Thread& thread : snapshot.threads) {
      auto [it, new_tid] = thread_nodes_.emplace(thread.tid, nodes_.size());
      if (!new_tid) continue;  // the same thread in two snapshots: the first one's
      nodes_.push_back(Node{.thread = &thread, .pid = pid});
      nodes_[process->second].out.push_back(Edge{.to = it->second});
    }
  }
  const std::size_t captured = nodes_.size();
  for (std::size_t i = 0; i < captured; ++i) {
    if (nodes_[i].thread == nullptr) continue;
    for (const Wait& wait : nodes_[i].thread->waits_for) {
      if (wait.holders.empty()) {
        if (nodes_[i].dead_end == nullptr) nodes_[i].dead_end = &wait;
        continue;
      }
      for (const WaitHolder& holder : wait.holders) {
        const std::size_t to = node_for(holder);  // may grow nodes_
        nodes_[i].out.push_back(Edge{.to = to, .wait = &wait, .holder = &holder});
      }
    }
  }
  find_movers();
}

// A holder's node; one not captured gets a node of its own, with nothing after it.
std::size_t WaitGraph::node_for(const WaitHolder& holder) {
  if (holder.tid) {
    auto [it, added] = thread_nodes_.emplace(*holder.tid, nodes_.size());
    if (added) nodes_.push_back(Node{.pid = holder.pid});
    return it->second;
  }
  auto [it, added] = process_nodes_.emplace(holder.pid, nodes_.size());
  if (added) nodes_.push_back(Node{.pid = holder.pid, .process = true});
  return it->second;
}

// Backwards from the nodes that can move without help (nothing to wait for, an
// unknown holder, not captured): whatever reaches one of them can move too.
void WaitGraph::find_movers() {
  std::vector<std::vector<std::size_t>> waiters(nodes_.size());
  for (std::size_t from = 0; from < nodes_.size(); ++from) {
    for (const Edge& edge : nodes_[from].out) waiters[edge.to].push_back(from);
  }
  distance_to_end_.assign(nodes_.size(), kUnreachable);
  std::deque<std::size_t> queue;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].out.empty() || nodes_[i].dead_end != nullptr) {
      distance_to_end_[i] = 0;
      queue.push_back(i);
    }
  }
  while (!queue.empty()) {
    const std::size_t node = queue.front();
    queue.pop_front();
    for (std::size_t waiter : waiters[node]) {
      if (distance_to_end_[waiter] != kUnreachable) continue;
      distance_to_end_[waiter] = distance_to_end_[node] + 1;
      queue.push_back(waiter);
    }
  }
}

bool WaitGraph::can_move(int tid) const {
  auto it = thread_nodes_.find(tid);
  return it == thread_nodes_.end() || distance_to_end_[it->second] != kUnreachable;
}

const Thread* WaitGraph::find_thread(int tid) const {
  auto it = thread_nodes_.find(tid);
  return it == thread_nodes_.end() ? nullptr : nodes_[it->second].thread;
}

std::optional<int> WaitGraph::pid_of(int tid) const {
  auto it = thread_nodes_.find(tid);
  if (it == thread_nodes_.end() || nodes_[it->second].thread == nullptr) return std::nullopt;
  return nodes_[it->second].pid;
}

const WaitGraph::Edge* WaitGraph::next_edge(std::size_t node) const {
  const std::vector<Edge>& out = nodes_[node].out;
  if (out.empty() || nodes_[node].dead_end != nullptr) return nullptr;
  const std::size_t distance = distance_to_end_[node];
  if (distance == kUnreachable) return &out.front();
  // One step nearer an end: there is such an edge, or the distance would differ.
  auto nearer = std::ranges::find_if(
      out, [&](const Edge& edge) { return distance_to_end_[edge.to] + 1 == distance; });
  return nearer == out.end() ? nullptr : &*nearer;
}

WaitChain WaitGraph::chain_of(int tid) const {
  WaitChain chain;
  auto start = thread_nodes_.find(tid);
  if (start == thread_nodes_.end() || nodes_[start->second].thread == nullptr) return chain;
  std::unordered_map<std::size_t, std::size_t> position;  // node → index in the chain
  std::size_t node = start->second;
  const WaitHolder* holder = nullptr;
  for (;;) {
    if (auto seen = position.find(node); seen != position.end()) {
      chain.nodes.push_back(
          ChainNode{.thread = nodes_[node].thread, .pid = nodes_[node].pid, .holder = holder});
      chain.repeats = seen->second;
      return chain;
    }
    position.emplace(node, chain.nodes.size());
    chain.nodes.push_back(ChainNode{.thread = nodes_[node].thread,
                                    .pid = nodes_[node].pid,
                                    .holder = holder,
                                    .wait = nodes_[node].dead_end});
    const Edge* edge = next_edge(node);
    if (edge == nullptr) return chain;
    chain.nodes.back().wait = edge->wait;
    holder = edge->holder;
    node = edge->to;
    // A captured process stands for one of its threads: the one that lets it on, or
    // (none can move) its first.
    if (nodes_[node].process) {
      const Edge* thread = next_edge(node);
      if (thread == nullptr) {  // not captured, or no threads: the chain ends at the process
        chain.nodes.push_back(ChainNode{.pid = nodes_[node].pid, .holder = holder});
        return chain;
      }
      node = thread->to;
    }
  }
}

std::optional<Deadlock> WaitGraph::shortest_cycle_through(std::size_t start) const {
  // Breadth first from `start` back to it; every node reached cannot move either (a
  // node that cannot move has no successor that can).
  std::unordered_map<std::size_t, const Edge*> reached_by;  // node → the edge that reached it
  std::unordered_map<const Edge*, std::size_t> edge_from;
  std::deque<std::size_t> queue{start};
  const Edge* closing = nullptr;
  std::size_t closing_from = start;
  while (!queue.empty() && closing == nullptr) {
    const std::size_t node = queue.front();
    queue.pop_front();
    for (const Edge& edge : nodes_[node].out) {
      if (edge.to == start) {
        closing = &edge;
        closing_from = node;
        break;
      }
      if (reached_by.emplace(edge.to, &edge).second) {
        edge_from.emplace(&edge, node);
        queue.push_back(edge.to);
      }
    }
  }
  if (closing == nullptr) return std::nullopt;
  // The edges of the cycle, last to first, then each thread with the wait it leaves by.
  std::vector<std::pair<std::size_t, const Edge*>> steps{{closing_from, closing}};
  for (std::size_t node = closing_from; node != start;) {
    const Edge* edge = reached_by.at(node);
    node = edge_from.at(edge);
    steps.emplace_back(node, edge);
  }
  std::ranges::reverse(steps);
  Deadlock deadlock;
  for (const auto& [node, edge] : steps) {
    if (nodes_[node].thread == nullptr) continue;  // a process: its thread follows
    deadlock.tids.push_back(nodes_[node].thread->tid);
    deadlock.resources.push_back(edge->wait->description);
  }
  return deadlock;
}

std::vector<Deadlock> WaitGraph::deadlocks() const {
  std::vector<Deadlock> found;
  std::unordered_set<int> on_a_cycle;
  for (std::size_t node = 0; node < nodes_.size(); ++node) {
    const Thread* thread = nodes_[node].thread;
    if (thread == nullptr || distance_to_end_[node] != kUnreachable) continue;
    if (on_a_cycle.contains(thread->tid)) continue;
    std::optional<Deadlock> cycle = shortest_cycle_through(node);
    if (!cycle) continue;  // waits on a deadlock, but is not in it
    on_a_cycle.insert(cycle->tids.begin(), cycle->tids.end());
    found.push_back(std::move(*cycle));
  }
  return found;
}

void fill_deadlocks(std::span<Snapshot> snapshots) {
  const std::vector<Deadlock> found = WaitGraph(snapshots).deadlocks();
  for (Snapshot& snapshot : snapshots) {
    std::unordered_set<int> tids;
    for (const Thread& thread : snapshot.threads) tids.insert(thread.tid);
    snapshot.deadlocks.clear();
    for (const Deadlock& deadlock : found) {
      if (std::ranges::any_of(deadlock.tids, [&](int tid) { return tids.contains(tid); })) {
        snapshot.deadlocks.push_back(deadlock);
      }
    }
  }
}

}  // namespace ukstack
