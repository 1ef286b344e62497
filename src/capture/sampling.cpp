#include "capture/sampling.h"

#include <algorithm>
#include <string>
#include <thread>

#include "capture/tracer.h"
#include "procfs/source.h"

namespace ukstack {

namespace {

// How often threads left lingering are looked at again.
constexpr std::chrono::milliseconds kLingerPoll{1};

// A thread that did not stop by its deadline stays seized (SeizedThread::detach)
// and, once it stops, stopped until it is detached: by the next capture, or at
// ukstack's exit. Between samples, and after the last for as long as one stop may
// take, such threads are let go as soon as they stop.
void let_lingering_go(Tracer& tracer, Clock::time_point until) {
  while (tracer.detach_lingering() > 0 && Clock::now() < until) {
    std::this_thread::sleep_for(std::min<Clock::duration>(kLingerPoll, until - Clock::now()));
  }
}

}  // namespace

Result<std::vector<Snapshot>> capture_samples(int pid, const CaptureOptions& options,
                                              Sampling sampling, CaptureSeams seams) {
  const Clock::time_point run_deadline = Clock::now() + options.run_deadline;
  Tracer& tracer = *seams.tracer;
  auto session = CaptureSession::open(pid, options, std::move(seams));
  if (!session) return session.error();

  std::vector<Snapshot> samples;
  Clock::time_point started = Clock::now();
  for (int i = 0; i < sampling.count; ++i) {
    if (i > 0) {
      const Clock::time_point next = started + sampling.interval;
      if (next >= run_deadline) break;  // the run's bound: what was taken is the answer
      let_lingering_go(tracer, next);
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
  let_lingering_go(tracer, std::min(Clock::now() + options.timeout, run_deadline));
  return samples;
}

Result<std::vector<Snapshot>> capture_samples(int pid, const CaptureOptions& options,
                                              Sampling sampling, BpfSource* bpf) {
  procfs::RealProcSource proc;
  PtraceTracer tracer;
  return capture_samples(pid, options, sampling,
                         CaptureSeams{.proc = &proc, .tracer = &tracer, .bpf = bpf});
}

}  // namespace ukstack
