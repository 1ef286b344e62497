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
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

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

  // "libbpf 1.1", as its headers gave it at build time (for `ukstack --version`);
  // nothing in a build without the engine.
  static std::optional<std::string> library_version();

  // Records the kernel made twice because the first did not fit its output buffer.
  int reruns() const { return reruns_; }

 private:
  struct State;
  explicit BpfEngine(std::unique_ptr<State> state);
  Result<std::string> run(int pid, int tid, std::uint32_t mode);
  void name_kernel_addresses(int pid, BpfPass& pass);
  std::unique_ptr<State> state_;
  int reruns_ = 0;
};

// The engine, loaded on its first read, once per run: its load (the kernel's BTF
// parsed, the program verified, about 15 ms) is not paid by a run that needs no
// BPF (a small process procfs reads whole without a stop).
class LazyBpfEngine final : public BpfSource {
 public:
  explicit LazyBpfEngine(std::size_t stack_copy_bytes) : stack_copy_bytes_(stack_copy_bytes) {}

  Result<BpfPass> read(int pid, int tid, bool with_stacks) override;
  bool tried() const { return loaded_.has_value(); }
  // Loads if not yet tried: null when it loaded, else why not.
  const Error* load_error();
  // The loaded engine's count (BpfEngine::reruns); 0 when it did not load.
  int reruns();

 private:
  Result<std::unique_ptr<BpfEngine>>& loaded();
  std::size_t stack_copy_bytes_;
  std::optional<Result<std::unique_ptr<BpfEngine>>> loaded_;
};

}  // namespace ukstack
