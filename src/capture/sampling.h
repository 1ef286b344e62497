// Several captures of one live process through one session (--samples N
// --interval MS): what the progress analysis (analysis/progress.h) compares to
// tell stuck threads from waking and moving ones. One session keeps the modules,
// and in auto takes a blocked thread that never ran since as it was: later samples
// cost a fraction of the first, and stop no blocked thread.
#pragma once

#include <chrono>
#include <vector>

#include "base/result.h"
#include "capture/options.h"
#include "capture/session.h"
#include "model/snapshot.h"

namespace ukstack {

struct Sampling {
  int count = 0;
  std::chrono::milliseconds interval{100};  // from one capture's start to the next's
};

// The bounds --samples and --interval are checked against (the whole run is also
// bounded by CaptureOptions::run_deadline).
inline constexpr int kMinSamples = 2;  // one sample cannot tell stuck from moving
inline constexpr int kMaxSamples = 100;
inline constexpr std::chrono::milliseconds kMinSampleInterval{1};
inline constexpr std::chrono::milliseconds kMaxSampleInterval{10'000};

// `sampling.count` captures through one CaptureSession, oldest first, each started
// `interval` after the previous one started (at once when a capture took longer).
// The whole run ends by options.run_deadline from now: when it passes, the samples
// taken so far are returned (at least one). An Error when the session cannot be
// opened or a capture fails (the process went away: then it says after how many).
Result<std::vector<Snapshot>> capture_samples(int pid, const CaptureOptions& options,
                                              Sampling sampling, CaptureSeams seams);
// The same through the real /proc and ptrace (the CLI's path). The caller holds
// the process-wide guards (see signal_guard.h). `bpf`: the run's BPF engine, or null.
Result<std::vector<Snapshot>> capture_samples(int pid, const CaptureOptions& options,
                                              Sampling sampling, BpfSource* bpf = nullptr);

}  // namespace ukstack
