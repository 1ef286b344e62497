// The engine loaded on first use (bpf_engine.h): the same with or without the BPF
// engine built in (without it, the load says so).
#include "capture/bpf_engine.h"

namespace ukstack {

Result<std::unique_ptr<BpfEngine>>& LazyBpfEngine::loaded() {
  if (!loaded_) loaded_.emplace(BpfEngine::load(stack_copy_bytes_));
  return *loaded_;
}

const Error* LazyBpfEngine::load_error() {
  auto& engine = loaded();
  return engine ? nullptr : &engine.error();
}

int LazyBpfEngine::reruns() {
  auto& engine = loaded();
  return engine ? (*engine)->reruns() : 0;
}

Result<BpfPass> LazyBpfEngine::read(int pid, int tid, bool with_stacks) {
  auto& engine = loaded();
  if (!engine) return engine.error();
  return (*engine)->read(pid, tid, with_stacks);
}

}  // namespace ukstack
