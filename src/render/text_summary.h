// The summary first (issue 10, part 2): before any detail, one screen that says why
// the process is stuck: thread count, D-state threads, deadlocks (every thread and
// resource), stuck threads, then the groups by size, each in one line saying what
// they wait in. It fits a 50-line terminal whatever the number of threads: at most
// kSummaryLines lines, however many groups (the rest counted in one line). Internal
// to the renderer.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "model/snapshot.h"
#include "render/text_waits.h"
#include "render/text_writer.h"

namespace ukstack {

inline constexpr std::size_t kSummaryLines = 45;
inline constexpr std::size_t kDeadlocksInSummary = 6;

// What a thread waits in, in one line, escaped: the system call with its file
// descriptors described, then the frames that say who called it:
//   futex ← pthread_cond_wait ← ThreadPool::worker
//   accept(3 → tcp 0.0.0.0:8080 LISTEN) ← server_loop ← main
// The rule: of the run of system-library frames on top (libc, libstdc++, libgcc,
// ld.so, std:: or __gnu_cxx:: templates built into the program, and _start), only its
// outermost, the call the program made, with glibc's internal prefixes taken off
// (`___pthread_cond_wait` is pthread_cond_wait) and left out when it is the system
// call's own wrapper (read ← read); then the first two frames of the program itself,
// further system-library frames skipped. Unnamed frames are skipped; C++ parameter
// lists are dropped (`ThreadPool::worker(int)` is ThreadPool::worker).
// `telling_frame`: an index into the program's frames to show after an ellipsis, the
// one that tells this stack from others whose lines would read the same.
inline constexpr std::size_t kProgramFramesShown = 2;
std::string what_it_waits_in(const Thread& thread, std::size_t program_frames = kProgramFramesShown,
                             std::optional<std::size_t> telling_frame = std::nullopt);

// The summary of a run (one or several processes captured together), after the
// process header when there is one process (`lines_written` lines so far). Deadlocks
// beyond kDeadlocksInSummary are left for write_remaining_deadlocks.
void write_summary(Writer& w, std::span<const Snapshot> snapshots, const WaitIndex& index,
                   std::size_t lines_written);
void write_remaining_deadlocks(Writer& w, const WaitIndex& index);

}  // namespace ukstack
