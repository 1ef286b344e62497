// The stop policy (DESIGN.md, "Stop modes"): for each thread, what is read before
// any stop, whether it is stopped at all, and what is taken while it is. The part
// of ukstack most likely to hurt a production process, so every decision goes
// through the seams (ProcessReader over a ProcSource, Tracer, Unwinder) and is
// unit-tested with fakes (tests/capture/stop_policy_test.cpp).
#pragma once

#include <functional>
#include <set>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "capture/bpf_records.h"
#include "capture/options.h"
#include "capture/raw_thread.h"
#include "capture/seized_thread.h"
#include "capture/tracer.h"
#include "procfs/process_reader.h"
#include "unwind/unwinder.h"

namespace ukstack {

// How often the task list is read again for threads that appeared meanwhile: a
// bound for a process that never stops making threads.
inline constexpr int kMaxRescans = 16;

class StopPolicy {
 public:
  // `unwinder` may be null (it could not be opened): threads are still sampled,
  // and the builder reports why their user half is missing.
  // `verified`: what the session's previous capture verified in place (auto
  // reuses a thread's entry while its schedstat shows it never ran since).
  // `bpf`: this capture's BPF records (the BPF engine); null: procfs only.
  StopPolicy(const CaptureOptions& options, const procfs::ProcessReader& reader, Tracer& tracer,
             unwind::Unwinder* unwinder,
             const std::unordered_map<int, VerifiedThread>* verified = nullptr,
             BpfRecords* bpf = nullptr);

  // auto, each, none: one thread, from its reads to its detach.
  void capture_one(RawThread& raw);
  // all: every thread stopped at once. `fresh` lists threads not seen before (it
  // is called again until it gives none: threads that appear are stopped too).
  // `while_stopped`, when given, runs once every thread is sampled and before any
  // is let go: what else must be read at the same instant (the goroutines).
  void capture_all(std::vector<RawThread>& raws, const std::function<std::vector<int>()>& fresh,
                   Clock::time_point run_deadline,
                   const std::function<void()>& while_stopped = nullptr);

  // Seizes the kernel refused (not for a thread that was exiting).
  int seize_refusals() const { return seize_refusals_; }
  const Error& last_seize_error() const { return last_seize_error_; }

 private:
  bool take_from_bpf(RawThread& raw);
  bool use_bpf_record(RawThread& raw, BpfThreadRead& read);
  bool read_stat(RawThread& raw);
  bool reuse_if_never_ran(RawThread& raw);
  bool read_before_stop(RawThread& raw);
  bool now_exiting(int tid) const;
  void use_no_stop(RawThread& raw, const std::string& why);
  bool try_verified_no_stop(RawThread& raw);
  std::optional<SeizedThread> seize_and_interrupt(RawThread& raw);
  void stop_one(RawThread& raw);
  void sample_stopped(RawThread& raw, SeizedThread& seized, unwind::ByteBuffer buffer);
  void gave_up_waiting(RawThread& raw);
  unwind::ByteBuffer take_stack_buffer();

  const CaptureOptions& options_;
  const procfs::ProcessReader& reader_;
  Tracer& tracer_;
  unwind::Unwinder* unwinder_;
  const std::unordered_map<int, VerifiedThread>* verified_;
  BpfRecords* bpf_;
  int seize_refusals_ = 0;
  Error last_seize_error_;
  unwind::ByteBuffer stack_buffer_;  // one stack copy's room, reused thread after thread
};

// Still blocked where /proc/<tid>/syscall showed it before: same kind of wait,
// same user sp and pc, same call, or (allow_restart) the kernel's restart of it
// after a ptrace stop.
bool at_same_place(const procfs::SyscallState& before, const procfs::SyscallState& after,
                   bool allow_restart);

}  // namespace ukstack
