// The BPF engine of a build without it (-DUKSTACK_WITH_BPF=OFF): it never loads.
#include <cerrno>

#include "capture/bpf_engine.h"

namespace ukstack {

struct BpfEngine::State {};

BpfEngine::BpfEngine(std::unique_ptr<State> state) : state_(std::move(state)) {}
BpfEngine::~BpfEngine() = default;

Result<std::unique_ptr<BpfEngine>> BpfEngine::load(std::size_t /*stack_copy_bytes*/) {
  return Error{ENOSYS, "this ukstack was built without the BPF engine (UKSTACK_WITH_BPF=OFF)"};
}

Result<std::string> BpfEngine::run(int /*pid*/, int /*tid*/, std::uint32_t /*mode*/) {
  return Error{ENOSYS, "this ukstack was built without the BPF engine"};
}

void BpfEngine::name_kernel_addresses(int /*pid*/, BpfPass& /*pass*/) {}

Result<BpfPass> BpfEngine::read(int /*pid*/, int /*tid*/, bool /*with_stacks*/) {
  return Error{ENOSYS, "this ukstack was built without the BPF engine"};
}

std::optional<std::string> BpfEngine::library_version() { return std::nullopt; }

}  // namespace ukstack
