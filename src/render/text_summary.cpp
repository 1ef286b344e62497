#include "render/text_summary.h"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <vector>

#include "render/escape.h"
#include "render/text_goroutines.h"

namespace ukstack {
namespace {

constexpr std::size_t kFunctionWidth = 60;
constexpr std::size_t kNamedThreadsShown = 3;
constexpr std::size_t kTidRangesShown = 8;

std::string_view basename(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_system_library(std::string_view module) {
  static constexpr std::array<std::string_view, 12> kPrefixes{
      "libc.so",   "libc-",    "libpthread", "ld-linux", "ld-2.", "ld64.so",
      "libstdc++", "libgcc_s", "libm.so",    "libm-",    "libdl", "librt"};
  const std::string_view name = basename(module);
  return std::ranges::any_of(kPrefixes, [&](std::string_view p) { return name.starts_with(p); });
}

// The C runtime's entry (`_start`) counts as the library too: it says nothing.
bool is_library_frame(const Frame& frame) {
  return (frame.module && is_system_library(*frame.module)) ||
         frame.function.starts_with("std::") || frame.function.starts_with("__gnu_cxx::") ||
         frame.function == "_start";
}

// A frame of the system libraries' run on top of a stack: a library frame, or an
// unnamed one that is not the program's (no module, or a library's).
bool in_library_run(const Frame& frame) {
  return is_library_frame(frame) ||
         (frame.function.empty() && (!frame.module || is_system_library(*frame.module)));
}

// Where the run of system-library frames on top of a user stack ends.
std::size_t end_of_library_run(const std::vector<Frame>& frames) {
  std::size_t i = 0;
  while (i < frames.size() && in_library_run(frames[i])) ++i;
  return i;
}

// The program's own named frames from `from` on, innermost first; when it has none
// (a stripped binary), "?? in mariadbd" for each module its unnamed frames are in.
std::vector<std::string> program_functions(const std::vector<Frame>& frames, std::size_t from) {
  std::vector<std::string> named;
  std::vector<std::string> unnamed;
  for (std::size_t i = from; i < frames.size(); ++i) {
    if (is_library_frame(frames[i])) continue;
    if (!frames[i].function.empty()) {
      named.push_back(frames[i].function);
    } else if (frames[i].module) {
      std::string where = "?? in " + std::string(basename(*frames[i].module));
      if (unnamed.empty() || unnamed.back() != where) unnamed.push_back(std::move(where));
    }
  }
  return named.empty() ? unnamed : named;
}

// glibc's names for its entry points: `__GI___libc_read`, `___pthread_cond_wait`.
std::string_view public_name(std::string_view name) {
  for (std::string_view prefix : {"__GI_", "__libc_"}) {
    if (name.starts_with(prefix)) name.remove_prefix(prefix.size());
  }
  while (name.size() > 1 && name.front() == '_') name.remove_prefix(1);
  return name;
}

// `ThreadPool::worker(int) const` → `ThreadPool::worker`: the last top-level
// parenthesised list and what follows it (cv-qualifiers), when it ends the name.
std::string_view without_parameters(std::string_view name) {
  const std::size_t close = name.rfind(')');
  if (close == std::string_view::npos) return name;
  const std::string_view after = name.substr(close + 1);
  if (after.find_first_of("<>:(") != std::string_view::npos) return name;
  int depth = 0;
  for (std::size_t i = close + 1; i-- > 0;) {
    if (name[i] == ')') ++depth;
    if (name[i] == '(' && --depth == 0) return i == 0 ? name : name.substr(0, i);
  }
  return name;
}

std::string shown_function(std::string_view name) {
  return escape_for_terminal(shorten_middle(without_parameters(name), kFunctionWidth));
}

// accept(3 → tcp 0.0.0.0:8080 LISTEN): the call and its described descriptors only.
void write_call(Writer& w, const SyscallInfo& syscall) {
  write_syscall_label(w, syscall);
  if (syscall.fds.empty()) return;
  w.text('(');
  for (std::size_t i = 0; i < syscall.fds.size(); ++i) {
    const FdDescription& fd = syscall.fds[i];
    if (i > 0) w.text(", ");
    w.format("{}", fd.fd);
    const std::string& what = fd.description.empty() ? fd.target : fd.description;
    if (!what.empty()) {
      w.text(" → ");
      w.escaped(what);
    }
  }
  w.text(')');
}

// "101-108,110,… (212 threads)" when there are more ranges than fit.
std::string some_tid_ranges(std::vector<int> tids) {
  std::ranges::sort(tids);
  return first_runs(tid_ranges(tids), kTidRangesShown);
}

std::string plural(std::size_t count, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", count, count == 1 ? one : many);
}

struct Tallies {
  std::size_t threads = 0;
  std::size_t d_state = 0;
  std::size_t with_progress = 0;
  std::array<std::size_t, 3> progress{};  // by Progress
};

Tallies tally(std::span<const Snapshot> snapshots) {
  Tallies t;
  for (const Snapshot& snapshot : snapshots) {
    for (const Thread& thread : snapshot.threads) {
      ++t.threads;
      if (thread.state == "D") ++t.d_state;
      if (thread.progress) {
        ++t.with_progress;
        ++t.progress[static_cast<std::size_t>(*thread.progress)];
      }
    }
  }
  return t;
}

// Summary: 1000 threads, 3 in D state, 1 deadlock, 212 stuck, 12 waking, 776 moving
void write_counts(Writer& out, std::span<const Snapshot> snapshots, const Tallies& t,
                  const WaitIndex& index) {
  Writer w(out.options());
  if (snapshots.size() > 1) {
    w.format("Summary of {} processes captured together: ", snapshots.size());
  } else {
    w.text("Summary: ");
  }
  w.format("{}, {} in D state, ", plural(t.threads, "thread", "threads"), t.d_state);
  const std::size_t deadlocks = index.deadlocks().size();
  if (deadlocks == 0) {
    w.text("no deadlock");
  } else {
    w.text(plural(deadlocks, "DEADLOCK", "DEADLOCKS"));
  }
  if (t.with_progress == 0) {
    w.text("; one capture (stuck or moving: --samples N)");
  } else {
    w.format(", {} stuck, {} waking, {} moving",
             t.progress[static_cast<std::size_t>(Progress::Stuck)],
             t.progress[static_cast<std::size_t>(Progress::Waking)],
             t.progress[static_cast<std::size_t>(Progress::Moving)]);
  }
  out.fitted_line(w.take(), kBold);
}

// D state: thread 4245 "reader" in nfs_wait_bit_killable [nfs], … and 2 more
void write_d_state(Writer& out, std::span<const Snapshot> snapshots, std::size_t count) {
  if (count == 0) return;
  Writer w(out.options());
  w.text("D state: ");
  std::size_t shown = 0;
  for (const Snapshot& snapshot : snapshots) {
    for (const Thread& thread : snapshot.threads) {
      if (thread.state != "D" || shown == kNamedThreadsShown) continue;
      if (shown++ > 0) w.text(", ");
      w.format("thread {} ", thread.tid);
      w.quoted(thread.name);
      if (!thread.kernel.frames.empty()) {
        const Frame& top = thread.kernel.frames.front();
        w.text(" in ");
        w.escaped(top.function.empty() ? "??" : top.function);
        if (top.module) {
          w.text(" [");
          w.escaped(*top.module);
          w.text(']');
        }
      }
    }
  }
  if (count > shown) w.format(", … and {} more", count - shown);
  out.fitted_line(w.take());
}

void write_stuck(Writer& w, std::span<const Snapshot> snapshots, const Tallies& t) {
  const std::size_t stuck = t.progress[static_cast<std::size_t>(Progress::Stuck)];
  if (stuck == 0) return;
  std::vector<int> tids;
  for (const Snapshot& snapshot : snapshots) {
    for (const Thread& thread : snapshot.threads) {
      if (thread.progress == Progress::Stuck) tids.push_back(thread.tid);
    }
  }
  w.fitted_line(fmt::format("stuck (the same stack and no CPU time in every sample): {} {}",
                            plural(stuck, "thread", "threads"), some_tid_ranges(std::move(tids))));
}

// A group of one snapshot, for the summary's ranking across snapshots.
struct RankedGroup {
  const Snapshot* snapshot;
  std::vector<const Thread*> members;
  std::string waits_in;  // what_it_waits_in, told apart from the other groups' lines
};

// Two groups are two stacks: where their lines read the same (the same call and
// the same first frames: futex ← runtime.futex ← runtime.futexsleep), each shows,
// after an ellipsis, the first of its program's frames where it parts from the others.
void tell_apart(std::vector<RankedGroup>& ranked) {
  std::unordered_map<std::string, std::vector<RankedGroup*>> by_line;
  for (RankedGroup& group : ranked) {
    group.waits_in = what_it_waits_in(*group.members.front());
    by_line[group.waits_in].push_back(&group);
  }
  for (auto& [line, same] : by_line) {
    if (same.size() < 2) continue;
    std::vector<std::vector<std::string>> stacks;
    for (const RankedGroup* group : same) {
      const std::vector<Frame>& frames = group->members.front()->user.frames;
      stacks.push_back(program_functions(frames, end_of_library_run(frames)));
    }
    for (std::size_t g = 0; g < same.size(); ++g) {
      std::size_t parts_at = 0;  // past the frames this stack shares with any other
      for (std::size_t h = 0; h < same.size(); ++h) {
        if (h == g) continue;
        const auto [mine, theirs] = std::ranges::mismatch(stacks[g], stacks[h]);
        parts_at = std::max(parts_at, static_cast<std::size_t>(mine - stacks[g].begin()));
      }
      same[g]->waits_in =
          what_it_waits_in(*same[g]->members.front(), kProgramFramesShown, parts_at);
    }
  }
}

std::vector<RankedGroup> ranked_groups(std::span<const Snapshot> snapshots) {
  std::vector<RankedGroup> ranked;
  for (const Snapshot& snapshot : snapshots) {
    std::unordered_map<int, const Thread*> by_tid;
    for (const Thread& thread : snapshot.threads) by_tid.emplace(thread.tid, &thread);
    if (snapshot.groups.empty()) {  // not grouped: every thread its own group
      for (const Thread& thread : snapshot.threads) ranked.push_back({&snapshot, {&thread}, {}});
      continue;
    }
    for (const ThreadGroup& group : snapshot.groups) {
      RankedGroup entry{&snapshot, {}, {}};
      for (int tid : group.tids) {
        if (auto it = by_tid.find(tid); it != by_tid.end()) entry.members.push_back(it->second);
      }
      if (!entry.members.empty()) ranked.push_back(std::move(entry));
    }
  }
  std::ranges::stable_sort(ranked, std::ranges::greater{},
                           [](const RankedGroup& g) { return g.members.size(); });
  tell_apart(ranked);
  // Groups still told apart by nothing that is shown (frames without symbols in one
  // module) are one line: two equal lines would read as a mistake. Threads not
  // grouped (--no-group, or few) keep a line each.
  std::vector<RankedGroup> merged;
  for (RankedGroup& group : ranked) {
    auto same = std::ranges::find_if(merged, [&](const RankedGroup& other) {
      return other.snapshot == group.snapshot && !group.snapshot->groups.empty() &&
             other.waits_in == group.waits_in;
    });
    if (same == merged.end()) {
      merged.push_back(std::move(group));
    } else {
      same->members.insert(same->members.end(), group.members.begin(), group.members.end());
    }
  }
  std::ranges::stable_sort(merged, std::ranges::greater{},
                           [](const RankedGroup& g) { return g.members.size(); });
  return merged;
}

// "; waits for mutex 0x… held by thread 1234 "worker-3"" (or how many resources),
// "; holds mutex 0x… (212 waiting)".
void write_group_waits_in_brief(Writer& w, const RankedGroup& group, const WaitIndex& index) {
  const Wait* first = nullptr;
  std::vector<std::string_view> resources;
  std::size_t waiting = 0;
  std::vector<std::string_view> held;
  std::size_t held_waiters = 0;
  for (const Thread* thread : group.members) {
    if (!thread->waits_for.empty()) ++waiting;
    for (const Wait& wait : thread->waits_for) {
      if (first == nullptr) first = &wait;
      if (std::ranges::find(resources, wait.description) == resources.end()) {
        resources.push_back(wait.description);
      }
    }
    for (const Holding& holding : index.holdings_of(thread->tid)) {
      if (std::ranges::find(held, holding.resource) == held.end()) held.push_back(holding.resource);
      held_waiters += holding.waiters;
    }
  }
  if (resources.size() == 1) {
    w.text("; waits for ");
    w.escaped(first->description);
    w.text(' ');
    write_holders(w, *first, group.snapshot->process.pid, index);
  } else if (resources.size() > 1) {
    w.format("; {} wait for {} resources", waiting, resources.size());
  }
  if (held.size() == 1) {
    w.text("; holds ");
    w.escaped(held.front());
    w.format(" ({} waiting)", held_waiters);
  } else if (held.size() > 1) {
    w.format("; holds {} resources ({} waiting)", held.size(), held_waiters);
  }
}

//   212 × futex ← pthread_cond_wait ← worker_loop — "worker" ×211, "io" ×1; stuck ×212; …
constexpr std::size_t kDistinctNamesShown = 3;

void write_group_line(Writer& w, const RankedGroup& group, std::size_t count_width,
                      const WaitIndex& index) {
  const std::vector<const Thread*>& members = group.members;
  const Thread& first = *members.front();
  Writer line(w.options());
  line.format("  {:>{}} × ", members.size(), count_width);
  line.text(group.waits_in);
  line.text(" — ");
  if (members.size() == 1) {
    line.format("thread {} ", first.tid);
    line.quoted(first.name);
  } else {
    std::vector<std::pair<std::string_view, std::size_t>> names;
    for (const Thread* thread : members) {
      auto it = std::ranges::find(names, std::string_view(thread->name),
                                  &std::pair<std::string_view, std::size_t>::first);
      if (it == names.end()) {
        names.emplace_back(thread->name, 1);
      } else {
        ++it->second;
      }
    }
    // Counts only where a name is shared: "cyc-1", "cyc-2", "cyc-3" says it all.
    const bool all_distinct = names.size() == members.size();
    const std::size_t shown = all_distinct ? kDistinctNamesShown : 2;
    for (std::size_t i = 0; i < std::min(names.size(), shown); ++i) {
      if (i > 0) line.text(", ");
      line.quoted(names[i].first);
      if (!all_distinct) line.format(" ×{}", names[i].second);
    }
    if (names.size() > shown) line.format(" and {} more names", names.size() - shown);
  }
  std::size_t d_state = 0;
  std::size_t deadlocked = 0;
  std::array<std::size_t, 3> progress{};
  for (const Thread* thread : members) {
    if (thread->state == "D") ++d_state;
    if (index.in_deadlock(thread->tid)) ++deadlocked;
    if (thread->progress) ++progress[static_cast<std::size_t>(*thread->progress)];
  }
  const bool one = members.size() == 1;
  if (d_state > 0) line.text(one ? "; D state" : fmt::format("; D state ×{}", d_state));
  if (deadlocked > 0) line.text(one ? "; DEADLOCKED" : fmt::format("; DEADLOCKED ×{}", deadlocked));
  for (Progress p : {Progress::Stuck, Progress::Waking, Progress::Moving}) {
    const std::size_t n = progress[static_cast<std::size_t>(p)];
    if (n == 0) continue;
    line.text("; ");
    line.text(to_string(p));
    if (!one) line.format(" ×{}", n);
  }
  write_group_waits_in_brief(line, group, index);
  w.fitted_line(line.take());
}

void write_process_line(Writer& out, const Snapshot& snapshot) {
  Writer w(out.options());
  w.format("PID {} (", snapshot.process.pid);
  w.escaped(snapshot.process.name);
  w.text(')');
  if (!snapshot.process.exe.empty()) {
    w.text(' ');
    w.escaped(snapshot.process.exe);
  }
  w.format(": {}", plural(snapshot.threads.size(), "thread", "threads"));
  out.fitted_line(w.take(), kBold);
}

// "GIL: 30 threads wait for the GIL held by thread 812 "python3", which is in
// zlib_compress_impl, called from compress_all (app.py:80)", per Python process
// whose threads wait for it. Returns the lines written.
std::size_t write_gil_lines(Writer& w, std::span<const Snapshot> snapshots) {
  std::size_t lines = 0;
  for (const Snapshot& snapshot : snapshots) {
    if (!snapshot.python) continue;
    const auto waiting = std::ranges::count_if(snapshot.threads, [](const Thread& thread) {
      return std::ranges::any_of(thread.waits_for,
                                 [](const Wait& wait) { return wait.kind == WaitKind::Gil; });
    });
    if (waiting == 0) continue;
    w.begin_style(kBold);
    w.text("GIL: ");
    w.format("{} wait for the GIL", plural(static_cast<std::size_t>(waiting), "thread", "threads"));
    if (snapshots.size() > 1) w.format(" of process {}", snapshot.process.pid);
    const PythonInfo& python = *snapshot.python;
    if (python.gil_holder) {
      auto holder = std::ranges::find(snapshot.threads, *python.gil_holder, &Thread::tid);
      w.format(" held by thread {}", *python.gil_holder);
      if (holder != snapshot.threads.end() && !holder->name.empty()) {
        w.text(' ');
        w.quoted(holder->name);
      }
      if (!python.gil_holder_in.empty()) {
        w.text(", which is in ");
        w.escaped(python.gil_holder_in);
      }
    } else {
      w.text(", which no thread held when it was read");
    }
    w.end_styled_line();
    ++lines;
  }
  return lines;
}

}  // namespace

std::string what_it_waits_in(const Thread& thread, std::size_t program_frames,
                             std::optional<std::size_t> telling_frame) {
  const TextOptions plain;
  Writer w(plain);
  const bool in_syscall = thread.syscall && thread.syscall->nr >= 0;
  bool empty = false;
  if (in_syscall) {
    write_call(w, *thread.syscall);
  } else if (thread.state == "R") {
    w.text("running");
  } else if (thread.state == "X") {
    w.text("exited");
  } else if (thread.state.empty()) {
    empty = true;  // a core: no system-call state, the frames say it
  } else {
    w.text("not in a system call");
  }
  auto add = [&](std::string_view function) {
    if (!empty) w.text(" ← ");
    empty = false;
    w.text(shown_function(function));
  };
  const std::vector<Frame>& frames = thread.user.frames;
  std::size_t i = 0;
  const Frame* library_entry = nullptr;
  // The entry named is a system library's (pthread_mutex_lock), not a std:: template
  // inlined into the program (std::function<...>::operator()), which says less.
  for (; i < frames.size() && in_library_run(frames[i]); ++i) {
    if (!frames[i].function.empty() && frames[i].module && is_system_library(*frames[i].module))
      library_entry = &frames[i];
  }
  if (library_entry != nullptr) {
    const std::string_view name = public_name(library_entry->function);
    const bool wrapper = in_syscall && without_parameters(name) == thread.syscall->name;
    if (!wrapper) add(name);
  }
  const std::vector<std::string> program = program_functions(frames, i);
  for (std::size_t k = 0; k < std::min(program.size(), program_frames); ++k) add(program[k]);
  if (telling_frame && *telling_frame >= program_frames && *telling_frame < program.size()) {
    if (*telling_frame > program_frames) w.text(" ← …");
    add(program[*telling_frame]);
  }
  return w.take();
}

void write_summary(Writer& w, std::span<const Snapshot> snapshots, const WaitIndex& index,
                   std::size_t lines_written) {
  const Tallies t = tally(snapshots);
  std::size_t lines = lines_written;
  write_counts(w, snapshots, t, index);
  ++lines;

  const std::vector<Deadlock>& deadlocks = index.deadlocks();
  const std::size_t deadlocks_shown = std::min(deadlocks.size(), kDeadlocksInSummary);
  for (std::size_t i = 0; i < deadlocks_shown; ++i) {
    w.begin_style(kBold);
    w.text("DEADLOCK: ");
    write_deadlock(w, deadlocks[i], index);
    w.end_styled_line();
    ++lines;
  }
  if (deadlocks.size() > deadlocks_shown) {
    w.format("… and {} more deadlocks, listed below\n", deadlocks.size() - deadlocks_shown);
    ++lines;
  }
  if (t.d_state > 0) {
    write_d_state(w, snapshots, t.d_state);
    ++lines;
  }
  if (t.progress[static_cast<std::size_t>(Progress::Stuck)] > 0) {
    write_stuck(w, snapshots, t);
    ++lines;
  }
  lines += write_gil_lines(w, snapshots);

  const std::vector<RankedGroup> ranked = ranked_groups(snapshots);
  // Goroutine groups count like thread groups, after them, in lines kept for them.
  const std::size_t goroutine_lines =
      summary_goroutine_lines(snapshots, w.options().all_goroutines);
  lines += goroutine_lines;
  if (ranked.empty()) {
    write_goroutine_summary(w, snapshots);
    return;
  }
  const bool several = snapshots.size() > 1;
  if (!several) {
    w.format("What the threads wait in ({}, largest first):\n",
             plural(ranked.size(), "group", "groups"));
    ++lines;
  }
  // Process lines (several processes), one "… and N more" line each at most.
  const std::size_t fixed = lines + (several ? 2 * snapshots.size() : 1);
  const std::size_t budget =
      fixed < kSummaryLines ? std::max<std::size_t>(kSummaryLines - fixed, 3) : 3;
  const std::size_t shown = std::min(ranked.size(), budget);
  const std::size_t count_width = fmt::format("{}", ranked.front().members.size()).size();
  for (const Snapshot& snapshot : snapshots) {
    if (several) write_process_line(w, snapshot);
    std::size_t more_groups = 0;
    std::size_t more_threads = 0;
    for (std::size_t i = 0; i < ranked.size(); ++i) {
      if (ranked[i].snapshot != &snapshot) continue;
      if (i < shown) {
        write_group_line(w, ranked[i], count_width, index);
      } else {
        ++more_groups;
        more_threads += ranked[i].members.size();
      }
    }
    if (more_groups > 0) {
      w.format("  … and {} more {} ({})\n", more_groups, more_groups == 1 ? "group" : "groups",
               plural(more_threads, "thread", "threads"));
    }
  }
  write_goroutine_summary(w, snapshots);
}

void write_remaining_deadlocks(Writer& w, const WaitIndex& index) {
  const std::vector<Deadlock>& deadlocks = index.deadlocks();
  if (deadlocks.size() <= kDeadlocksInSummary) return;
  w.format("\nAll {} deadlocks:\n", deadlocks.size());
  for (const Deadlock& deadlock : deadlocks) {
    w.text("DEADLOCK: ");
    write_deadlock(w, deadlock, index);
    w.end_line();
  }
}

}  // namespace ukstack
