#include "render/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <ostream>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/thread_state.h"
#include "render/escape.h"
#include "render/text_goroutines.h"
#include "render/text_stacks.h"
#include "render/text_summary.h"
#include "render/text_waits.h"
#include "render/text_writer.h"

namespace ukstack {
namespace {

// A command-line word, quoted when it would not read back as one word.
void write_shell_word(Writer& w, std::string_view word) {
  const bool quoted = word.empty() || word.find_first_of(" '\"") != std::string_view::npos;
  if (quoted) w.text('\'');
  w.escaped(word);
  if (quoted) w.text('\'');
}

// accept(3 → tcp 127.0.0.1:1337 LISTEN, 0x0, 0x0). Shown: the first three
// arguments, or up to the last file-descriptor argument when that is further.
void write_syscall(Writer& w, const SyscallInfo& syscall) {
  std::size_t shown = 3;
  for (const FdDescription& fd : syscall.fds) {
    if (fd.arg >= 0) shown = std::max(shown, static_cast<std::size_t>(fd.arg) + 1);
  }
  shown = std::min(shown, syscall.args.size());
  write_syscall_label(w, syscall);
  w.text('(');
  for (std::size_t i = 0; i < shown; ++i) {
    if (i > 0) w.text(", ");
    auto fd = std::ranges::find_if(
        syscall.fds, [&](const FdDescription& d) { return d.arg >= 0 && std::size_t(d.arg) == i; });
    if (fd == syscall.fds.end()) {
      w.format("{:#x}", syscall.args[i]);
    } else {
      const std::string& what = fd->description.empty() ? fd->target : fd->description;
      w.format("{}", fd->fd);
      if (!what.empty()) {
        w.text(" → ");
        w.escaped(what);
      }
    }
  }
  w.text(')');
}

void write_notes(Writer& w, const Thread& thread) {
  for (const std::string& note : thread.notes) {
    w.text("  note: ");
    w.escaped(note);
    w.end_line();
  }
}

// " wchan X" after a thread's state ("; wchan X" after a group's tallies).
void write_wchan(Writer& w, const Thread& thread, std::string_view before = " ") {
  if (!thread.wchan.empty() && thread.wchan != "0") {
    w.text(before);
    w.text("wchan ");
    w.escaped(thread.wchan);
  }
}

// The lines of a half as write_kernel or write_user wrote them, without the
// two-space indent every line of a thread's block has.
std::vector<std::string> half_lines(void (*write_half)(Writer&, const Stack&), const Stack& stack) {
  const TextOptions plain;
  Writer half(plain);
  write_half(half, stack);
  std::vector<std::string> lines;
  const std::string text = half.take();
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + at, end - at);
    if (line.starts_with("  ")) line.remove_prefix(2);
    lines.emplace_back(line);
    at = end + 1;
  }
  return lines;
}

// Columns: the kernel half on the left, the user half on the right, row by row.
void write_side_by_side(Writer& w, const Thread& thread) {
  const std::vector<std::string> left = half_lines(&write_kernel, thread.kernel);
  const std::vector<std::string> right = half_lines(&write_user, thread.user);
  constexpr std::string_view kGap = " │ ";
  const std::size_t usable = w.options().width > 2 + 3 ? w.options().width - 2 - 3 : 0;
  // The kernel column as wide as its longest line, up to half: kernel frames are
  // short, user frames (with modules and files) long.
  std::size_t longest_left = 0;
  for (const std::string& line : left) longest_left = std::max(longest_left, code_points(line));
  const std::size_t left_width = std::min(longest_left, usable / 2);
  const std::size_t right_width = usable - left_width;
  for (std::size_t row = 0; row < std::max(left.size(), right.size()); ++row) {
    const std::string cell = shorten_middle(row < left.size() ? left[row] : "", left_width);
    w.text("  ");
    w.text(cell);
    for (std::size_t pad = code_points(cell); pad < left_width; ++pad) w.text(' ');
    w.text(kGap);
    w.text(shorten_middle(row < right.size() ? right[row] : "", right_width));
    w.end_line();
  }
}

// Both halves and what joins them, without the thread's header and notes. A thread
// of a core file (`core`) has user frames only: no system call, no kernel half, so
// no boundary between them either.
void write_halves(Writer& w, const Thread& thread, bool core) {
  if (core) {
    write_user(w, thread.user);
    return;
  }
  const bool columns =
      w.options().layout == Layout::Columns && w.options().width >= kMinColumnsWidth;

  const bool in_syscall = thread.syscall && thread.syscall->nr >= 0;
  if (in_syscall && columns) {
    // The row that joins the two columns, shortened to the width like them.
    const TextOptions plain;
    Writer call(plain);
    write_syscall(call, *thread.syscall);
    w.text("  ");
    w.text(shorten_middle(call.take(), w.options().width - 2));
    w.end_line();
  } else if (in_syscall) {
    w.text("  ");
    write_syscall(w, *thread.syscall);
    w.end_line();
  } else if (thread.state == "R") {
    w.text("  running (not in a system call)\n");
  } else if (thread.state != "X") {
    w.text("  not in a system call\n");
  }

  if (columns) {
    write_side_by_side(w, thread);
    return;
  }
  write_kernel(w, thread.kernel);
  w.begin_style(kDim);
  if (in_syscall) {
    const SyscallInfo& syscall = *thread.syscall;
    w.text("  ── system call ");
    if (syscall.name.empty()) {
      w.format("{}", syscall.nr);
    } else {
      w.escaped(syscall.name);
    }
    w.text(" ──");
  } else {
    w.text("  ── user/kernel boundary ──");
  }
  w.end_styled_line();
  write_user(w, thread.user);
}

// " [stuck]", " [DEADLOCKED]" after a thread's header.
void write_tags(Writer& w, const Thread& thread, const WaitIndex& index) {
  if (thread.progress) {
    w.text(" [");
    w.text(to_string(*thread.progress));
    w.text(']');
  }
  if (index.in_deadlock(thread.tid)) w.text(" [DEADLOCKED]");
}

void write_thread(Writer& w, const Thread& thread, bool core, int pid, const WaitIndex& index) {
  w.begin_style(kBold);
  w.format("Thread {} \"", thread.tid);
  w.escaped(thread.name);
  w.text('"');
  if (!thread.state.empty()) {
    w.text(" state ");
    write_state(w, thread.state);
  }
  write_wchan(w, thread);
  write_goroutine_tag(w, thread);
  write_tags(w, thread, index);
  w.end_styled_line();
  write_thread_waits(w, thread, pid, index);
  write_halves(w, thread, core);
  write_notes(w, thread);
}

// Distinct values in the order first seen, each with how often it came.
class Tally {
 public:
  void add(const std::string& value) {
    auto it = std::ranges::find(counts_, value, &Count::first);
    if (it == counts_.end()) {
      counts_.emplace_back(value, 1);
    } else {
      ++it->second;
    }
  }
  using Count = std::pair<std::string, std::size_t>;
  const std::vector<Count>& counts() const { return counts_; }

 private:
  std::vector<Count> counts_;
};

// `"worker" ×211, "io" ×1`: each value written by `write_value`, with its count.
template <class WriteValue>
void write_tally(Writer& w, const Tally& tally, WriteValue write_value) {
  bool first = true;
  for (const auto& [value, count] : tally.counts()) {
    if (!first) w.text(", ");
    first = false;
    write_value(value);
    w.format(" ×{}", count);
  }
}

// 212 threads 101-312: "worker" ×211, "io" ×1; state S (sleeping) ×212; wchan futex_wait
//   shown: thread 101 (the others' offsets and system-call arguments may differ)
// then the first thread's halves, once, and every distinct note with its count.
void write_group(Writer& w, const std::vector<const Thread*>& members, const ThreadGroup& group,
                 bool core, int pid, const WaitIndex& index) {
  const Thread& shown = *members.front();
  w.begin_style(kBold);
  Tally names;
  Tally states;
  Tally notes;
  Tally progress;
  std::size_t deadlocked = 0;
  for (const Thread* thread : members) {
    names.add(thread->name);
    states.add(thread->state);
    for (const std::string& note : thread->notes) notes.add(note);
    if (thread->progress) progress.add(std::string(to_string(*thread->progress)));
    if (index.in_deadlock(thread->tid)) ++deadlocked;
  }
  w.format("{} threads {}: ", members.size(), tid_ranges(group.tids));
  write_tally(w, names, [&](const std::string& name) {
    w.text('"');
    w.escaped(name);
    w.text('"');
  });
  if (!(states.counts().size() == 1 && states.counts().front().first.empty())) {
    w.text("; state ");  // a core's threads have none
    write_tally(w, states, [&](const std::string& state) { write_state(w, state); });
  }
  write_wchan(w, shown, "; ");
  if (!progress.counts().empty()) {
    w.text("; ");
    write_tally(w, progress, [&](const std::string& value) { w.text(value); });
  }
  if (deadlocked > 0) w.format("; DEADLOCKED ×{}", deadlocked);
  w.end_styled_line();
  w.begin_style(kDim);
  w.format("  shown: thread {} (the others' offsets and system-call arguments may differ)",
           shown.tid);
  w.end_styled_line();
  write_group_waits(w, members, pid, index);
  write_halves(w, shown, core);
  for (const auto& [note, count] : notes.counts()) {
    w.format("  note (×{}): ", count);
    w.escaped(note);
    w.end_line();
  }
}

bool show_grouped(const Snapshot& snapshot, const TextOptions& options) {
  if (snapshot.groups.empty()) return false;  // not analysed: nothing to group by
  switch (options.grouping) {
    case Grouping::Always:
      return true;
    case Grouping::Never:
      return false;
    case Grouping::Auto:
      break;
  }
  return snapshot.threads.size() > kGroupAbove;
}

// " /usr/bin/x" when the executable's path is known.
void write_exe(Writer& w, const ProcessInfo& process) {
  if (process.exe.empty()) return;
  w.text(' ');
  w.escaped(process.exe);
}

// PID 25795 (accept_server) /usr/bin/x — live, 2026-11-28T00:56:45Z, kernel 6.18 x86_64
void write_live_header(Writer& w, const Snapshot& snapshot) {
  const ProcessInfo& process = snapshot.process;
  w.format("PID {} (", process.pid);
  w.escaped(process.name);
  w.text(')');
  write_exe(w, process);
  w.text(" — ");
  w.text(to_string(snapshot.source));
  w.text(", ");
  w.escaped(snapshot.captured_at);
  w.text(", kernel ");
  w.escaped(snapshot.kernel);
  w.text(' ');
  w.escaped(snapshot.arch);
  w.end_line();
}

// Process 13654 "name" (core file core.13654) /usr/bin/x — written 2026-11-28T00:56:45Z, x86_64
void write_core_header(Writer& w, const Snapshot& snapshot) {
  const ProcessInfo& process = snapshot.process;
  w.format("Process {} \"", process.pid);
  w.escaped(process.name);
  w.text("\" (core file ");
  w.escaped(snapshot.core_file.value_or("?"));
  w.text(')');
  write_exe(w, process);
  w.text(" — written ");
  w.escaped(snapshot.captured_at);
  if (!snapshot.arch.empty()) {
    w.text(", ");
    w.escaped(snapshot.arch);
  }
  w.end_line();
}

}  // namespace

namespace {

void write_cmdline(Writer& w, const ProcessInfo& process) {
  if (process.cmdline.empty()) return;
  Writer line(w.options());
  line.text("cmdline: ");
  bool first = true;
  for (const std::string& word : process.cmdline) {
    if (!first) line.text(' ');
    first = false;
    write_shell_word(line, word);
  }
  // On a terminal, one line: a long command line must not push the summary off it.
  w.fitted_line(line.take());
}

// The process's header and command line: 2 lines at most.
void write_process_header(Writer& w, const Snapshot& snapshot) {
  Writer header(w.options());
  if (snapshot.source == SnapshotSource::Core) {
    write_core_header(header, snapshot);
  } else {
    write_live_header(header, snapshot);
  }
  std::string line = header.take();
  line.pop_back();  // its newline: fitted_line ends it
  w.fitted_line(line);
  write_cmdline(w, snapshot.process);
}

// One snapshot's threads or groups. With a sink, each block is handed on as soon as
// it is written, so the text of thousands of threads is never held at once.
void write_blocks(Writer& w, const Snapshot& snapshot, const WaitIndex& index, std::ostream* sink) {
  const bool core = snapshot.source == SnapshotSource::Core;
  const int pid = snapshot.process.pid;
  if (!show_grouped(snapshot, w.options())) {
    for (const Thread& thread : snapshot.threads) {
      w.end_line();
      write_thread(w, thread, core, pid, index);
      if (sink != nullptr) w.drain_to(*sink);
    }
    write_goroutines(w, snapshot);
    return;
  }
  std::unordered_map<int, const Thread*> by_tid;
  for (const Thread& thread : snapshot.threads) by_tid.emplace(thread.tid, &thread);
  std::vector<const Thread*> members;
  for (const ThreadGroup& group : snapshot.groups) {
    members.clear();
    for (int tid : group.tids) {
      if (auto it = by_tid.find(tid); it != by_tid.end()) members.push_back(it->second);
    }
    if (members.empty()) continue;
    w.end_line();
    if (members.size() == 1) {
      write_thread(w, *members.front(), core, pid, index);
    } else {
      write_group(w, members, group, core, pid, index);
    }
    if (sink != nullptr) w.drain_to(*sink);
  }
  write_goroutines(w, snapshot);
}

// One process: its header, the summary, its threads. Several: one summary over all
// of them first, then each process with its header.
void write_run(Writer& w, std::span<const Snapshot> snapshots, std::ostream* sink) {
  const WaitIndex index(snapshots);
  if (snapshots.size() == 1) {
    write_process_header(w, snapshots.front());
    const std::size_t header_lines = snapshots.front().process.cmdline.empty() ? 1 : 2;
    write_summary(w, snapshots, index, header_lines);
  } else {
    write_summary(w, snapshots, index, 0);
  }
  write_remaining_deadlocks(w, index);
  if (sink != nullptr) w.drain_to(*sink);
  for (const Snapshot& snapshot : snapshots) {
    if (snapshots.size() > 1) {
      w.end_line();
      write_process_header(w, snapshot);
    }
    write_blocks(w, snapshot, index, sink);
  }
}

}  // namespace

std::string shorten_middle(std::string_view text, std::size_t width) {
  if (code_points(text) <= width) return std::string(text);
  if (width == 0) return {};
  // Byte offsets of each code point's start.
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!is_continuation_byte(text[i])) starts.push_back(i);
  }
  const std::size_t keep = width - 1;  // the ellipsis takes one
  const std::size_t tail = keep / 2;
  const std::size_t head = keep - tail;
  std::string out(text.substr(0, starts[head]));
  out += "…";
  if (tail > 0) out += text.substr(starts[starts.size() - tail]);
  return out;
}

namespace {

template <class Id>
std::string ranges_of(const std::vector<Id>& ids) {
  std::string text;
  for (std::size_t i = 0; i < ids.size();) {
    std::size_t end = i;
    while (end + 1 < ids.size() && ids[end + 1] == ids[end] + 1) ++end;
    if (!text.empty()) text += ',';
    text += std::to_string(ids[i]);
    if (end > i) text += '-' + std::to_string(ids[end]);
    i = end + 1;
  }
  return text;
}

}  // namespace

std::string tid_ranges(const std::vector<int>& tids) { return ranges_of(tids); }
std::string id_ranges(const std::vector<std::uint64_t>& ids) { return ranges_of(ids); }

std::string first_runs(const std::string& ranges, std::size_t shown) {
  std::size_t at = std::string::npos;
  for (std::size_t i = 0; i < shown; ++i) {
    at = ranges.find(',', at == std::string::npos ? 0 : at + 1);
    if (at == std::string::npos) return ranges;
  }
  return ranges.substr(0, at) + ",…";
}

std::string render_text(std::span<const Snapshot> snapshots, const TextOptions& options) {
  Writer w(options);
  write_run(w, snapshots, nullptr);
  return w.take();
}

void write_text(std::span<const Snapshot> snapshots, const TextOptions& options,
                std::ostream& out) {
  Writer w(options);
  write_run(w, snapshots, &out);
  w.drain_to(out);
}

std::string render_text(const Snapshot& snapshot, const TextOptions& options) {
  return render_text(std::span(&snapshot, 1), options);
}

void write_text(const Snapshot& snapshot, const TextOptions& options, std::ostream& out) {
  write_text(std::span(&snapshot, 1), options, out);
}

}  // namespace ukstack
