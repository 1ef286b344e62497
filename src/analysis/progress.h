// Stuck or moving (issue 10, part 5): several captures of one process, compared
// thread by thread. A thread is
//   stuck   when its combined stack (same_combined_stack; a sample that caught it
//           waking, with its system call or kernel stack missed, counts as at the
//           same place when all it saw is the same) is the same in every
//           sample and it was never on a CPU in between (its ThreadActivity, the
//           scheduler's counters, did not change);
//   waking  when its stack is the same but it ran in between: it wakes and sleeps
//           again at the same place (a poll loop with a timeout);
//   moving  when its stack changed, when it was on a CPU at the same place in every
//           sample (a busy loop burns CPU: it is not waiting), or when it was not
//           in every sample (started or exited during the sampling; a note says so).
// A thread ukstack itself stopped in a sample ran because of that stop, so the
// interval after that sample tells nothing; when no interval is left to tell, or
// the counters were not read, the thread's progress stays unknown, with a note.
#pragma once

#include <vector>

#include "model/snapshot.h"

namespace ukstack {

// `samples`: the captures of one process, oldest first. Returns the last one with
// every thread's progress set (and notes where it needs saying why), the threads
// that exited during the sampling added as exited (state "X"), and
// samples = {count, interval_ms}.
Snapshot mark_progress(std::vector<Snapshot> samples, int interval_ms);

}  // namespace ukstack
