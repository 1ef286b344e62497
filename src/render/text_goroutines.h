// A Go program's goroutines in the text view (issue 11): after the threads, the
// goroutines grouped by identical stack with a count (10,000 parked on one channel
// are one entry), their status and wait reason, how long they waited, who created
// them; one running or in a system call shows its thread and that thread's kernel
// half under its frames. Goroutines whose every frame is in the runtime (the GC's
// workers, the finalizer) are folded into one line unless --all-goroutines.
// Internal to the renderer.
#pragma once

#include <cstddef>
#include <span>

#include "model/snapshot.h"
#include "render/text_writer.h"

namespace ukstack {

// Goroutine groups named in the summary at most; the rest are counted in one line.
inline constexpr std::size_t kGoroutineGroupsInSummary = 8;

// " [goroutine 7]" or " [Go scheduler: idle]" after a Go thread's header; nothing
// for other threads.
void write_goroutine_tag(Writer& w, const Thread& thread);

// The goroutine block after the threads; nothing for a program that is not Go.
void write_goroutines(Writer& w, const Snapshot& snapshot);

// The summary's lines on goroutines (how many it writes: summary_goroutine_lines).
std::size_t summary_goroutine_lines(std::span<const Snapshot> snapshots, bool all_goroutines);
void write_goroutine_summary(Writer& w, std::span<const Snapshot> snapshots);

}  // namespace ukstack
