#include "analysis/groups.h"

#include <algorithm>
#include <string>
#include <unordered_map>

namespace ukstack {

namespace {

void append_field(std::string& key, std::string_view field) {
  key += field;
  key += '\x1f';  // unit separator: no field can run into the next
}

void append_stack(std::string& key, const Stack& stack) {
  for (const Frame& frame : stack.frames) {
    // An unnamed frame is only its module: its address differs from thread to
    // thread as offsets do.
    append_field(key, frame.function);
    append_field(key, frame.module.value_or(""));
    append_field(key, frame.inlined ? "i" : "");
    // A Python function is its name and file; its line is what an offset is to
    // native code (the same story, a few lines apart).
    if (frame.language == FrameLanguage::Python) append_field(key, frame.file.value_or(""));
  }
  append_field(key, stack.error.value_or(""));
  key += '\x1e';
}

// Two threads tell the same story when their keys are equal.
std::string combined_stack_key(const Thread& thread) {
  std::string key;
  if (thread.syscall) {
    append_field(key, std::to_string(thread.syscall->nr));
  } else {
    // Not in a system call: running, or (a core) no system-call state at all.
    append_field(key, thread.state == "R" ? "running" : "-");
  }
  append_stack(key, thread.kernel);
  append_stack(key, thread.user);
  return key;
}

std::string goroutine_key(const Goroutine& goroutine) {
  std::string key;
  append_field(key, goroutine.status);
  append_field(key, goroutine.wait_reason);
  append_stack(key, goroutine.stack);
  return key;
}

}  // namespace

bool same_combined_stack(const Thread& a, const Thread& b) {
  return combined_stack_key(a) == combined_stack_key(b);
}

std::vector<ThreadGroup> group_threads(const Snapshot& snapshot) {
  std::vector<ThreadGroup> groups;
  std::unordered_map<std::string, std::size_t> by_key;
  for (const Thread& thread : snapshot.threads) {
    auto [it, added] = by_key.emplace(combined_stack_key(thread), groups.size());
    if (added) groups.emplace_back();
    groups[it->second].tids.push_back(thread.tid);
  }
  // Stable: equal sizes keep the order of their first thread.
  std::stable_sort(groups.begin(), groups.end(), [](const ThreadGroup& a, const ThreadGroup& b) {
    return a.tids.size() > b.tids.size();
  });
  return groups;
}

std::vector<GoroutineGroup> group_goroutines(const Snapshot& snapshot) {
  std::vector<GoroutineGroup> groups;
  std::unordered_map<std::string, std::size_t> by_key;
  for (const Goroutine& goroutine : snapshot.goroutines) {
    auto [it, added] = by_key.emplace(goroutine_key(goroutine), groups.size());
    if (added) groups.emplace_back();
    groups[it->second].goids.push_back(goroutine.goid);
  }
  std::stable_sort(groups.begin(), groups.end(),
                   [](const GoroutineGroup& a, const GoroutineGroup& b) {
                     return a.goids.size() > b.goids.size();
                   });
  return groups;
}

bool is_runtime_internal(const Goroutine& goroutine) {
  const auto& frames = goroutine.stack.frames;
  return !frames.empty() && std::ranges::all_of(frames, [](const Frame& frame) {
    return frame.function.starts_with("runtime.");
  });
}

}  // namespace ukstack
