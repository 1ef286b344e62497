#include "analysis/progress.h"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>

#include "analysis/groups.h"

namespace ukstack {

namespace {

// One thread across the samples: where it was seen (nullptr: not in that sample,
// or exited during it).
using Sightings = std::vector<const Thread*>;

bool exited(const Thread& thread) { return thread.state == "X"; }

// ukstack stopped the thread to unwind it (its user half was unwound after a stop):
// the stop made it run, so its counters after this sample tell nothing of its own.
bool stopped_by_capture(const Thread& thread) {
  return thread.user.method == StackMethod::Libdw || thread.user.method == StackMethod::Libunwind;
}

// "samples 1-3" or "sample 4": the samples (1-based) a thread was seen in, when
// they are one run; empty when they are not (a tid that went and came back).
std::string seen_range(const Sightings& seen) {
  auto first = std::ranges::find_if(seen, [](const Thread* t) { return t != nullptr; });
  auto last =
      std::find_if(seen.rbegin(), seen.rend(), [](const Thread* t) { return t != nullptr; });
  const auto from = static_cast<std::size_t>(first - seen.begin()) + 1;
  const auto to = seen.size() - static_cast<std::size_t>(last - seen.rbegin());
  if (std::any_of(first, last.base(), [](const Thread* t) { return t == nullptr; })) return "";
  if (from == to) return "sample " + std::to_string(from);
  return "samples " + std::to_string(from) + "-" + std::to_string(to);
}

// Why a thread that was not in every sample is moving.
std::string partial_note(const Sightings& seen) {
  const std::string of = " of " + std::to_string(seen.size());
  const std::string range = seen_range(seen);
  if (range.empty()) {
    const auto count = std::ranges::count_if(seen, [](const Thread* t) { return t != nullptr; });
    return "in " + std::to_string(count) + of + " samples only: came and went during the sampling";
  }
  const bool born = seen.front() == nullptr;
  const bool died = seen.back() == nullptr;
  const char* what = born && died ? "started and exited" : born ? "started" : "exited";
  return std::string(what) + " during the sampling (in " + range + of + ")";
}

// What a capture may miss of a thread that wakes at that moment: /proc/<tid>/syscall
// says "running" while it is woken in its call but not yet back in user space (its
// kernel stack still shows the call), and its kernel stack is empty when read while
// it ran, though its system call was read blocked (the capture notes that). Such a
// half is filled from the other sample: the thread is at the same place when all
// the sample did see is the same.
bool has_gap(const Thread& thread) {
  const bool call_missed = !thread.syscall && !thread.kernel.frames.empty();
  const bool kernel_missed = thread.syscall && thread.kernel.frames.empty() && !thread.kernel.error;
  return call_missed || kernel_missed;
}

Thread with_gap_filled(const Thread& thread, const Thread& other) {
  Thread filled = thread;
  if (!filled.syscall && !filled.kernel.frames.empty()) filled.syscall = other.syscall;
  if (filled.syscall && filled.kernel.frames.empty() && !filled.kernel.error) {
    filled.kernel = other.kernel;
  }
  return filled;
}

bool same_place(const Thread& a, const Thread& b) {
  if (same_combined_stack(a, b)) return true;
  if (!has_gap(a) && !has_gap(b)) return false;
  return same_combined_stack(has_gap(a) ? with_gap_filled(a, b) : a,
                             has_gap(b) ? with_gap_filled(b, a) : b);
}

struct Verdict {
  std::optional<Progress> progress;
  std::optional<std::string> note;
};

// A thread seen in every sample.
Verdict judge(const Sightings& seen) {
  const Thread& last = *seen.back();
  if (last.state == "Z") return {};  // a zombie leader: it never runs again, nor waits
  // Compared with a sample that missed nothing of it, where there is one.
  auto whole = std::ranges::find_if(seen, [](const Thread* t) { return !has_gap(*t); });
  const Thread& reference = whole != seen.end() ? **whole : *seen.front();
  for (const Thread* thread : seen) {
    if (!same_place(reference, *thread)) return {Progress::Moving, std::nullopt};
  }
  if (std::ranges::all_of(seen, [](const Thread* t) { return t->state == "R"; })) {
    return {Progress::Moving,
            "on a CPU at the same place in every sample: a busy loop or a long computation, not "
            "waiting"};
  }
  bool ran = false;
  bool quiet = false;  // an interval that shows it did not run
  bool disturbed = false;
  bool uncounted = false;
  for (std::size_t i = 0; i + 1 < seen.size(); ++i) {
    const Thread& before = *seen[i];
    const Thread& after = *seen[i + 1];
    if (stopped_by_capture(before)) {
      disturbed = true;
    } else if (!before.activity || !after.activity) {
      uncounted = true;
    } else if (*before.activity != *after.activity) {
      ran = true;
    } else {
      quiet = true;
    }
  }
  if (ran) return {Progress::Waking, std::nullopt};
  if (quiet) return {Progress::Stuck, std::nullopt};
  if (disturbed) {
    return {std::nullopt,
            "same stack in every sample, but ukstack stopped it between samples, which made it "
            "run: stuck cannot be told from waking"};
  }
  if (uncounted) {
    return {std::nullopt,
            "same stack in every sample, but its scheduler counters could not be read: stuck "
            "cannot be told from waking"};
  }
  return {};  // one sample: nothing to compare
}

// A thread that exited during the sampling and is not in the last sample: shown as
// exited, with the name it last had.
Thread exited_thread(const Sightings& seen) {
  const Thread& last_seen =
      **std::find_if(seen.rbegin(), seen.rend(), [](const Thread* t) { return t != nullptr; });
  Thread thread;
  thread.tid = last_seen.tid;
  thread.name = last_seen.name;
  thread.state = "X";
  thread.progress = Progress::Moving;
  thread.notes.push_back(partial_note(seen));
  return thread;
}

}  // namespace

Snapshot mark_progress(std::vector<Snapshot> samples, int interval_ms) {
  if (samples.empty()) {
    Snapshot none;
    none.samples = SampleInfo{0, interval_ms};
    return none;
  }
  const std::size_t count = samples.size();
  // Every tid seen in any sample, in order, with where it was seen.
  std::map<int, Sightings> threads;
  for (std::size_t i = 0; i < count; ++i) {
    for (const Thread& thread : samples[i].threads) {
      if (exited(thread)) continue;
      auto [it, added] = threads.try_emplace(thread.tid, Sightings(count, nullptr));
      it->second[i] = &thread;
    }
  }

  std::unordered_map<int, Verdict> verdicts;
  std::vector<Thread> gone;
  for (const auto& [tid, seen] : threads) {
    const bool everywhere =
        std::ranges::none_of(seen, [](const Thread* t) { return t == nullptr; });
    if (everywhere) {
      verdicts.emplace(tid, judge(seen));
    } else if (seen.back() != nullptr) {
      verdicts.emplace(tid, Verdict{Progress::Moving, partial_note(seen)});
    } else {
      gone.push_back(exited_thread(seen));
    }
  }

  Snapshot last = std::move(samples.back());  // its threads stay where `threads` points
  for (Thread& thread : last.threads) {
    if (exited(thread)) {
      // Exited during the last capture: moving, and it says since when it was seen.
      thread.progress = Progress::Moving;
      auto known = threads.find(thread.tid);
      if (known != threads.end()) {
        thread.notes.push_back(partial_note(known->second));
      } else if (count > 1) {
        thread.notes.push_back("started and exited during the sampling");
      }
      continue;
    }
    const Verdict& verdict = verdicts.at(thread.tid);
    thread.progress = verdict.progress;
    if (verdict.note) thread.notes.push_back(*verdict.note);
  }
  for (Thread& thread : gone) last.threads.push_back(std::move(thread));
  std::ranges::stable_sort(last.threads, {}, &Thread::tid);
  last.samples = SampleInfo{static_cast<int>(count), interval_ms};
  return last;
}

}  // namespace ukstack
