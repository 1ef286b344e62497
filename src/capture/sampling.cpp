#include "capture/sampling.h"

#include <string>
#include <thread>

#include "capture/tracer.h"
#include "procfs/source.h"

namespace ukstack {

Result<std::vector<Snapshot>> capture_samples(int pid, const CaptureOptions& options,
                                              Sampling sampling, CaptureSeams seams) {
  const Clock::time_point run_deadline = Clock::now() + options.run_deadline;
  auto session = CaptureSession::open(pid, options, std::move(seams));
  if (!session) return session.error();

  std::vector<Snapshot> samples;
  Clock::time_point started = Clock::now();
  for (int i = 0; i < sampling.count; ++i) {
    if (i > 0) {
      const Clock::time_point next = started + sampling.interval;
      if (next >= run_deadline) break;  // the run's bound: what was taken is the answer
      // Nothing of the target is held between captures: a plain wait.
      std::this_thread::sleep_until(next);
      started = Clock::now();
    }
    const bool last = i + 1 == sampling.count;
    auto snapshot = (*session)->capture(last, run_deadline);
    if (!snapshot) {
      if (samples.empty()) return snapshot.error();
      Error error = snapshot.error();
      error.message += " (after " + std::to_string(samples.size()) + " of " +
                       std::to_string(sampling.count) + " samples)";
      return error;
    }
    samples.push_back(std::move(*snapshot));
  }
  return samples;
}

Result<std::vector<Snapshot>> capture_samples(int pid, const CaptureOptions& options,
                                              Sampling sampling) {
  procfs::RealProcSource proc;
  PtraceTracer tracer;
  return capture_samples(pid, options, sampling, CaptureSeams{.proc = &proc, .tracer = &tracer});
}

}  // namespace ukstack
