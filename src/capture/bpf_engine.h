// The BPF capture engine (DESIGN.md, "Engines"): one pass of a sleepable task
// iterator reads, for every thread of a process and without stopping any, what a
// ptrace stop would give (the user registers saved at kernel entry, a copy of the
// user stack) and what /proc gives (state, kernel stack, scheduler counters), with
// the counters read again at the end: a record whose counters did not move is of
// one moment. Needs kernel 5.18 (bpf_copy_from_user_task in a sleepable iterator),
// BTF, and root or CAP_BPF with CAP_PERFMON. x86-64 only.
//
// BPF skips ptrace's access checks: the session checks its caller's first
// (trace_access.h).
#pragma once

#include <cstddef>
#include <memory>

#include "base/result.h"
#include "capture/bpf_records.h"

namespace ukstack {

class BpfEngine final : public BpfSource {
 public:
  // Loads the program, once per run: an Error says, in words a user can act on,
  // why BPF cannot be used here (kernel too old, no BTF, not permitted, lockdown,
  // built without it).
  static Result<std::unique_ptr<BpfEngine>> load(std::size_t stack_copy_bytes);
  ~BpfEngine() override;
  BpfEngine(const BpfEngine&) = delete;
  BpfEngine& operator=(const BpfEngine&) = delete;

  Result<BpfPass> read(int pid, int tid, bool with_stacks) override;

  // Records the kernel made twice because the first did not fit its output buffer.
  int reruns() const { return reruns_; }

 private:
  struct State;
  explicit BpfEngine(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  int reruns_ = 0;
};

}  // namespace ukstack
