#include "render/text_goroutines.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analysis/groups.h"
#include "base/thread_state.h"
#include "render/text.h"
#include "render/text_stacks.h"

namespace ukstack {
namespace {

// The package of a Go function: "net" for net.(*TCPListener).Accept,
// "github.com/a/b" for github.com/a/b.(*T).M.
std::string_view go_package(std::string_view function) {
  const std::size_t slash = function.rfind('/');
  const std::size_t dot = function.find('.', slash == std::string_view::npos ? 0 : slash);
  return dot == std::string_view::npos ? function : function.substr(0, dot);
}

// Go's standard library (and its runtime): packages whose path's first element has
// no dot, main aside. What a goroutine waits in is told by the call the program
// made into it and the program's own frames.
bool in_standard_library(const Frame& frame) {
  if (frame.function.empty()) return true;
  const std::string_view package = go_package(frame.function);
  if (package == "main") return false;
  const std::string_view first = package.substr(0, package.find('/'));
  return first.find('.') == std::string_view::npos;
}

// "[IO wait, 12 min]", as Go's traceback heads a goroutine: its wait reason while
// it waits, else its status; how long, where the runtime recorded it.
std::string label(const Goroutine& goroutine, std::optional<std::int64_t> waited_ns) {
  std::string text = goroutine.wait_reason.empty() ? goroutine.status : goroutine.wait_reason;
  if (text.empty()) text = "status unknown";
  if (waited_ns && *waited_ns >= 60'000'000'000) {
    text += fmt::format(", {} min", *waited_ns / 60'000'000'000);
  } else if (waited_ns && *waited_ns >= 1'000'000'000) {
    text += fmt::format(", {} s", *waited_ns / 1'000'000'000);
  }
  return "[" + text + "]";
}

// A group's ids this many runs at most: 3,334 goroutines 5,8,11,… stay one line.
constexpr std::size_t kGoidRunsShown = 6;

std::string goid_ranges(std::vector<std::uint64_t> goids) {
  std::ranges::sort(goids);
  return first_runs(id_ranges(goids), kGoidRunsShown);
}

struct ShownGroup {
  std::vector<const Goroutine*> members;
  bool runtime_internal = false;
};

// The snapshot's goroutine groups (each goroutine alone when not grouped), with
// their members; the runtime's own last unless shown.
std::vector<ShownGroup> shown_groups(const Snapshot& snapshot) {
  std::unordered_map<std::uint64_t, const Goroutine*> by_goid;
  for (const Goroutine& goroutine : snapshot.goroutines)
    by_goid.emplace(goroutine.goid, &goroutine);
  std::vector<ShownGroup> groups;
  auto add = [&](const std::vector<std::uint64_t>& goids) {
    ShownGroup group;
    for (std::uint64_t goid : goids) {
      if (auto it = by_goid.find(goid); it != by_goid.end()) group.members.push_back(it->second);
    }
    if (group.members.empty()) return;
    group.runtime_internal = is_runtime_internal(*group.members.front());
    groups.push_back(std::move(group));
  };
  if (snapshot.goroutine_groups.empty()) {
    for (const Goroutine& goroutine : snapshot.goroutines) add({goroutine.goid});
  } else {
    for (const GoroutineGroup& group : snapshot.goroutine_groups) add(group.goids);
  }
  return groups;
}

std::size_t count_internal(const std::vector<ShownGroup>& groups) {
  std::size_t count = 0;
  for (const ShownGroup& group : groups) {
    if (group.runtime_internal) count += group.members.size();
  }
  return count;
}

std::string_view read_how(GoroutineRead how) {
  switch (how) {
    case GoroutineRead::Stopped:
      return "read while every thread was stopped: one instant";
    case GoroutineRead::CheckedNoStop:
      return "read without stopping the process, each read again after: what changed is marked";
    case GoroutineRead::Core:
      return "read from the core file";
  }
  return "";
}

// "created by main.main ×9999, main.serve ×1" (file:line when all share one site).
void write_created_by(Writer& w, const std::vector<const Goroutine*>& members) {
  std::vector<std::pair<const Frame*, std::size_t>> creators;
  for (const Goroutine* goroutine : members) {
    if (!goroutine->created_by) continue;
    auto it = std::ranges::find_if(creators, [&](const auto& entry) {
      return entry.first->function == goroutine->created_by->function;
    });
    if (it == creators.end()) {
      creators.emplace_back(&*goroutine->created_by, 1);
    } else {
      ++it->second;
    }
  }
  if (creators.empty()) return;
  w.text("  created by ");
  for (std::size_t i = 0; i < creators.size(); ++i) {
    const auto& [frame, count] = creators[i];
    if (i > 0) w.text(", ");
    w.escaped(frame->function);
    if (creators.size() == 1 && frame->file) {
      w.text(" at ");
      w.escaped(*frame->file);
      if (frame->line) w.format(":{}", *frame->line);
    }
    if (members.size() > 1) w.format(" ×{}", count);
  }
  w.end_line();
}

// The thread a goroutine runs on, and that thread's kernel half: the goroutine's
// own, since a system call is made by the thread.
void write_on_thread(Writer& w, const Goroutine& goroutine, const Snapshot& snapshot) {
  if (!goroutine.tid) return;
  auto thread = std::ranges::find(snapshot.threads, *goroutine.tid, &Thread::tid);
  w.format("  on thread {}", *goroutine.tid);
  if (thread == snapshot.threads.end()) {
    w.text(" (not in this capture)\n");
    return;
  }
  w.text(" \"");
  w.escaped(thread->name);
  w.text('"');
  if (!thread->state.empty()) {
    w.text(" state ");
    write_state(w, thread->state);
  }
  if (thread->syscall && thread->syscall->nr >= 0) {
    w.text(", in ");
    write_syscall_label(w, *thread->syscall);
  }
  w.end_line();
  if (snapshot.source != SnapshotSource::Core) write_kernel(w, thread->kernel);
}

void write_group(Writer& w, const ShownGroup& group, const Snapshot& snapshot) {
  const Goroutine& shown = *group.members.front();
  std::optional<std::int64_t> longest;
  for (const Goroutine* goroutine : group.members) {
    if (goroutine->waited_ns) longest = std::max(longest.value_or(0), *goroutine->waited_ns);
  }
  w.end_line();
  w.begin_style(kBold);
  if (group.members.size() == 1) {
    w.format("Goroutine {} ", shown.goid);
  } else {
    std::vector<std::uint64_t> goids;
    for (const Goroutine* goroutine : group.members) goids.push_back(goroutine->goid);
    w.format("{} goroutines {} ", group.members.size(), goid_ranges(std::move(goids)));
  }
  w.escaped(label(shown, longest));
  w.end_styled_line();
  if (group.members.size() > 1) {
    w.begin_style(kDim);
    w.format("  shown: goroutine {} (the others' offsets may differ)", shown.goid);
    w.end_styled_line();
  }
  write_created_by(w, group.members);
  write_user_frames(w, shown.stack);
  write_error(w, shown.stack);
  for (const Goroutine* goroutine : group.members) write_on_thread(w, *goroutine, snapshot);
  for (const std::string& note : shown.notes) {
    w.text("  note: ");
    w.escaped(note);
    w.end_line();
  }
}

// One summary line: "10000 × chan receive ← main.waitOnChannel ← main.main — goroutines 7-10006".
void write_summary_line(Writer& w, const ShownGroup& group, std::size_t count_width) {
  const Goroutine& shown = *group.members.front();
  const auto& frames = shown.stack.frames;
  std::vector<std::string_view> parts;
  std::size_t first_program = 0;
  while (first_program < frames.size() && in_standard_library(frames[first_program])) {
    ++first_program;
  }
  // The call the program made into the library, then its own frames.
  if (first_program > 0 && first_program < frames.size()) {
    parts.push_back(frames[first_program - 1].function);
  } else if (first_program == frames.size() && !frames.empty()) {
    parts.push_back(frames.front().function);  // the runtime's own: its innermost
  }
  for (std::size_t i = first_program; i < frames.size() && parts.size() < 3; ++i) {
    if (!in_standard_library(frames[i])) parts.push_back(frames[i].function);
  }
  std::string line = fmt::format("  {:>{}} × {}", group.members.size(), count_width,
                                 shown.wait_reason.empty() ? shown.status : shown.wait_reason);
  for (std::string_view part : parts) line += fmt::format(" ← {}", part);
  std::vector<std::uint64_t> goids;
  for (const Goroutine* goroutine : group.members) goids.push_back(goroutine->goid);
  line += group.members.size() == 1 ? fmt::format(" — goroutine {}", goids.front())
                                    : fmt::format(" — goroutines {}", goid_ranges(goids));
  if (shown.tid) line += fmt::format(" on thread {}", *shown.tid);
  w.fitted_line(line);
}

}  // namespace

void write_goroutine_tag(Writer& w, const Thread& thread) {
  if (!thread.go_goroutine) return;
  if (*thread.go_goroutine) {
    w.format(" [goroutine {}]", **thread.go_goroutine);
  } else {
    w.text(" [Go scheduler: idle]");
  }
}

void write_goroutines(Writer& w, const Snapshot& snapshot) {
  for (const std::string& note : snapshot.goroutine_notes) {
    w.text("\nGoroutines: ");
    w.escaped(note);
    w.end_line();
  }
  if (!snapshot.goroutines_read) return;
  const std::vector<ShownGroup> groups = shown_groups(snapshot);
  const bool all = w.options().all_goroutines;
  const std::size_t internal = count_internal(groups);
  w.end_line();
  w.begin_style(kBold);
  w.format("Goroutines: {}, {}", snapshot.goroutines.size(), read_how(*snapshot.goroutines_read));
  w.end_styled_line();
  for (const ShownGroup& group : groups) {
    if (group.runtime_internal && !all) continue;
    write_group(w, group, snapshot);
  }
  if (internal > 0 && !all) {
    w.format(
        "\n{} of the runtime's own goroutines (every frame in runtime.: the garbage "
        "collector, the finalizer…) not shown: --all-goroutines shows them\n",
        internal);
  }
}

std::size_t summary_goroutine_lines(std::span<const Snapshot> snapshots, bool all_goroutines) {
  std::size_t lines = 0;
  for (const Snapshot& snapshot : snapshots) {
    if (!snapshot.goroutines_read) continue;
    std::size_t groups = 0;
    std::size_t internal = 0;
    for (const ShownGroup& group : shown_groups(snapshot)) {
      if (group.runtime_internal && !all_goroutines) {
        internal = 1;
      } else {
        ++groups;
      }
    }
    lines += 1 + std::min(groups, kGoroutineGroupsInSummary) +
             (groups > kGoroutineGroupsInSummary ? 1 : 0) + internal;
  }
  return lines;
}

void write_goroutine_summary(Writer& w, std::span<const Snapshot> snapshots) {
  const bool all = w.options().all_goroutines;
  for (const Snapshot& snapshot : snapshots) {
    if (!snapshot.goroutines_read) continue;
    std::vector<ShownGroup> groups = shown_groups(snapshot);
    const std::size_t internal = count_internal(groups);
    if (!all) std::erase_if(groups, [](const ShownGroup& group) { return group.runtime_internal; });
    w.format("What the goroutines of PID {} wait in ({} {}, largest first):\n",
             snapshot.process.pid, groups.size(), groups.size() == 1 ? "group" : "groups");
    const std::size_t width =
        groups.empty() ? 1 : fmt::format("{}", groups.front().members.size()).size();
    const std::size_t shown = std::min(groups.size(), kGoroutineGroupsInSummary);
    for (std::size_t i = 0; i < shown; ++i) write_summary_line(w, groups[i], width);
    if (groups.size() > shown) {
      std::size_t more = 0;
      for (std::size_t i = shown; i < groups.size(); ++i) more += groups[i].members.size();
      w.format("  … and {} more groups ({} goroutines)\n", groups.size() - shown, more);
    }
    if (internal > 0 && !all) {
      w.format("  (and {} of the runtime's own goroutines: --all-goroutines)\n", internal);
    }
  }
}

}  // namespace ukstack
