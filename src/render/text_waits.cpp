#include "render/text_waits.h"

#include <algorithm>

#include "base/thread_state.h"

namespace ukstack {
namespace {

constexpr std::size_t kHoldersShown = 3;
constexpr std::size_t kGroupWaitsShown = 4;

bool is_lock(WaitKind kind) { return kind == WaitKind::Mutex || kind == WaitKind::Rwlock; }

// A lock as its description says ("mutex 0x55d0…", "flock /tmp/app.lock (inode 12)");
// anything else with the system call it waits in when known: "read(pipe:[81234])".
void write_resource(Writer& w, std::string_view description, const Wait* wait,
                    const Thread* waiter) {
  const bool in_call = wait != nullptr && !is_lock(wait->kind) &&
                       wait->kind != WaitKind::FileLock && waiter != nullptr && waiter->syscall &&
                       !waiter->syscall->name.empty();
  if (in_call) {
    w.escaped(waiter->syscall->name);
    w.text('(');
  }
  w.escaped(description);
  if (in_call) w.text(')');
}

const Wait* find_wait(const Thread* thread, std::string_view description) {
  if (thread == nullptr) return nullptr;
  auto it = std::ranges::find(thread->waits_for, description, &Wait::description);
  return it == thread->waits_for.end() ? nullptr : &*it;
}

// `thread 1234 "worker-3"`; the name from the capture, else from the holder.
void write_thread_name(Writer& w, int tid, const Thread* thread, std::string_view name) {
  w.format("thread {}", tid);
  if (thread != nullptr) name = thread->name;
  if (!name.empty()) {
    w.text(' ');
    w.quoted(name);
  }
}

void write_process_name(Writer& w, int pid, std::string_view name, const WaitIndex& index) {
  w.format("process {}", pid);
  if (name.empty()) {
    if (const ProcessInfo* process = index.process(pid)) name = process->name;
  }
  if (!name.empty()) {
    w.text(' ');
    w.quoted(name);
  }
}

// What a thread at the end of a chain is doing: "(nanosleep)", "(running)".
void write_activity(Writer& w, const Thread& thread) {
  w.text(" (");
  if (thread.syscall && thread.syscall->nr >= 0) {
    write_syscall_label(w, *thread.syscall);
  } else if (thread.state.size() == 1) {
    w.text(thread_state_name(thread.state[0]));
  } else {
    w.text("not waiting in a known wait");
  }
  w.text(')');
}

// A holder process that was not captured is seen through what was read with it:
// `process 999 "sleep" (nanosleep)`.
void write_uncaptured_activity(Writer& w, const WaitHolder& holder, const WaitIndex& index) {
  if (holder.tid || index.process(holder.pid) != nullptr || !holder.syscall) return;
  w.text(" (");
  w.escaped(*holder.syscall);
  w.text(')');
}

void write_holder(Writer& w, const WaitHolder& holder, int waiter_pid, const WaitIndex& index) {
  if (!holder.tid) {
    write_process_name(w, holder.pid, holder.name, index);
    write_uncaptured_activity(w, holder, index);
    return;
  }
  const Thread* thread = index.graph().find_thread(*holder.tid);
  write_thread_name(w, *holder.tid, thread, holder.name);
  if (holder.pid != waiter_pid && holder.pid > 0) w.format(" of process {}", holder.pid);
  // A holder that waits for nothing known is where the wait ends: say what it does.
  if (thread != nullptr && thread->waits_for.empty()) write_activity(w, *thread);
}

void write_chain_node(Writer& w, const ChainNode& node, int previous_pid, const WaitIndex& index) {
  const WaitHolder* holder = node.holder;
  if (holder != nullptr && !holder->tid) {
    // Reached as a process: shown as the process, then the thread it stands for.
    write_process_name(w, holder->pid, holder->name, index);
    if (node.thread != nullptr && node.thread->tid != holder->pid) {
      w.text(' ');
      write_thread_name(w, node.thread->tid, node.thread, "");
    }
    if (node.thread == nullptr) write_uncaptured_activity(w, *holder, index);
    return;
  }
  const int tid = node.thread != nullptr ? node.thread->tid : holder->tid.value_or(0);
  write_thread_name(w, tid, node.thread, holder != nullptr ? holder->name : "");
  if (previous_pid != 0 && node.pid != previous_pid && node.pid > 0) {
    w.format(" of process {}", node.pid);
  }
}

}  // namespace

WaitIndex::WaitIndex(std::span<const Snapshot> snapshots) : graph_(snapshots) {
  for (const Snapshot& snapshot : snapshots) {
    processes_.emplace(snapshot.process.pid, &snapshot.process);
    for (const Deadlock& deadlock : snapshot.deadlocks) {
      auto same = [&](const Deadlock& other) {
        return other.tids == deadlock.tids && other.resources == deadlock.resources;
      };
      if (std::ranges::any_of(deadlocks_, same)) continue;  // shared by two snapshots
      deadlocks_.push_back(deadlock);
      in_deadlock_.insert(deadlock.tids.begin(), deadlock.tids.end());
    }
    for (const Thread& thread : snapshot.threads) {
      for (const Wait& wait : thread.waits_for) {
        for (const WaitHolder& holder : wait.holders) {
          if (!holder.tid) continue;
          std::vector<Holding>& held = holdings_[*holder.tid];
          auto it = std::ranges::find(held, wait.description, &Holding::resource);
          if (it == held.end()) {
            held.push_back(Holding{.resource = wait.description, .waiters = 1});
          } else {
            ++it->waiters;
          }
        }
      }
    }
  }
}

std::span<const Holding> WaitIndex::holdings_of(int tid) const {
  auto it = holdings_.find(tid);
  if (it == holdings_.end()) return {};
  return it->second;
}

const ProcessInfo* WaitIndex::process(int pid) const {
  auto it = processes_.find(pid);
  return it == processes_.end() ? nullptr : it->second;
}

bool WaitIndex::in_deadlock(int tid) const { return in_deadlock_.contains(tid); }

void write_holders(Writer& w, const Wait& wait, int waiter_pid, const WaitIndex& index) {
  if (wait.holders.empty()) {
    w.text("holder unknown");
    if (wait.reason) {
      w.text(" (");
      w.escaped(*wait.reason);
      w.text(')');
    }
    return;
  }
  w.text("held by ");
  const std::size_t shown = std::min(wait.holders.size(), kHoldersShown);
  for (std::size_t i = 0; i < shown; ++i) {
    if (i > 0) w.text(", ");
    write_holder(w, wait.holders[i], waiter_pid, index);
  }
  if (wait.holders.size() > shown) w.format(" and {} more", wait.holders.size() - shown);
}

std::size_t chain_steps(const WaitChain& chain) {
  if (chain.nodes.empty()) return 0;
  const bool unknown_end = chain.nodes.back().wait != nullptr;
  return chain.nodes.size() - 1 + (unknown_end ? 1 : 0);
}

void write_chain(Writer& w, const WaitChain& chain, const WaitIndex& index) {
  int previous_pid = 0;
  for (std::size_t i = 0; i < chain.nodes.size(); ++i) {
    const ChainNode& node = chain.nodes[i];
    write_chain_node(w, node, previous_pid, index);
    previous_pid = node.pid;
    const bool last = i + 1 == chain.nodes.size();
    if (last && chain.repeats) {
      w.text(" (deadlock)");
    } else if (last && node.wait != nullptr) {
      w.text(" → ");
      write_resource(w, node.wait->description, node.wait, node.thread);
      w.text(" → ");
      write_holders(w, *node.wait, node.pid, index);
    } else if (last && node.thread != nullptr) {
      write_activity(w, *node.thread);
    } else if (last) {
      w.text(" (not captured)");
    } else {
      w.text(" → ");
      if (node.wait != nullptr) write_resource(w, node.wait->description, node.wait, node.thread);
      w.text(" → ");
    }
  }
}

void write_deadlock(Writer& w, const Deadlock& deadlock, const WaitIndex& index) {
  for (std::size_t i = 0; i <= deadlock.tids.size(); ++i) {
    // Round the cycle and back to its first thread.
    const int tid = deadlock.tids[i % deadlock.tids.size()];
    const Thread* thread = index.graph().find_thread(tid);
    write_thread_name(w, tid, thread, "");
    if (const std::optional<int> pid = index.graph().pid_of(tid);
        pid && index.several_processes()) {
      w.format(" of process {}", *pid);
    }
    if (i == deadlock.tids.size()) break;
    w.text(" → ");
    const std::string& resource = i < deadlock.resources.size() ? deadlock.resources[i] : "?";
    write_resource(w, resource, find_wait(thread, resource), thread);
    w.text(" → ");
  }
}

void write_thread_waits(Writer& w, const Thread& thread, int pid, const WaitIndex& index) {
  for (const Wait& wait : thread.waits_for) {
    w.text("  waits for ");
    w.escaped(wait.description);
    w.text(' ');
    write_holders(w, wait, pid, index);
    w.end_line();
  }
  if (!thread.waits_for.empty()) {
    const WaitChain chain = index.graph().chain_of(thread.tid);
    if (chain_steps(chain) > 1) {
      w.text("  chain: ");
      write_chain(w, chain, index);
      w.end_line();
    }
  }
  for (const Holding& holding : index.holdings_of(thread.tid)) {
    w.text("  holds ");
    w.escaped(holding.resource);
    w.format(" ({} waiting)", holding.waiters);
    w.end_line();
  }
}

void write_group_waits(Writer& w, std::span<const Thread* const> members, int pid,
                       const WaitIndex& index) {
  // Each resource once, with the first member waiting for it and how many do.
  struct Waited {
    const Wait* wait;
    const Thread* first;
    std::size_t count;
  };
  std::vector<Waited> waited;
  std::vector<Holding> held;
  for (const Thread* thread : members) {
    for (const Wait& wait : thread->waits_for) {
      auto it = std::ranges::find_if(
          waited, [&](const Waited& seen) { return seen.wait->description == wait.description; });
      if (it == waited.end()) {
        waited.push_back(Waited{.wait = &wait, .first = thread, .count = 1});
      } else {
        ++it->count;
      }
    }
    for (const Holding& holding : index.holdings_of(thread->tid)) held.push_back(holding);
  }
  std::ranges::stable_sort(waited, std::ranges::greater{}, &Waited::count);
  const std::size_t shown = std::min(waited.size(), kGroupWaitsShown);
  for (std::size_t i = 0; i < shown; ++i) {
    const Waited& entry = waited[i];
    w.text("  waits for ");
    w.escaped(entry.wait->description);
    w.text(' ');
    write_holders(w, *entry.wait, pid, index);
    w.format(" (×{})", entry.count);
    w.end_line();
    const WaitChain chain = index.graph().chain_of(entry.first->tid);
    if (chain_steps(chain) > 1) {
      w.text("  chain: ");
      write_chain(w, chain, index);
      w.end_line();
    }
  }
  if (waited.size() > shown) {
    std::size_t rest = 0;
    for (std::size_t i = shown; i < waited.size(); ++i) rest += waited[i].count;
    w.format("  … and {} more resources ({} waits)\n", waited.size() - shown, rest);
  }
  const std::size_t holds_shown = std::min(held.size(), kGroupWaitsShown);
  for (std::size_t i = 0; i < holds_shown; ++i) {
    w.text("  holds ");
    w.escaped(held[i].resource);
    w.format(" ({} waiting)", held[i].waiters);
    w.end_line();
  }
  if (held.size() > holds_shown) w.format("  … and {} more held\n", held.size() - holds_shown);
}

}  // namespace ukstack
