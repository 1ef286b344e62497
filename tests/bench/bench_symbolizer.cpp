// Micro-benchmarks of the symbol cache (unwind/symbolizer.h). A Dwfl is built for a
// forked child of this process (same binary, same libraries, same addresses), the
// way ukstack builds one for its target; the addresses looked up are return
// addresses inside functions of this binary, libc and libstdc++, as a stack of a
// blocked thread would have them.
//
//   cached     the same ~dozen addresses looked up again and again (what a
//              1,000-thread process with a few distinct stacks costs per frame)
//   uncached   a fresh Symbolizer per round: every lookup resolves through libdw
//              (module symbols and line tables already loaded): eu-stack's cost
//   cold       a fresh Dwfl and Symbolizer per round: module reporting, ELF and
//              DWARF loading included (the first capture of a process)
#include <benchmark/benchmark.h>
#include <cxxabi.h>
#include <elfutils/libdwfl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "unwind/symbolizer.h"

namespace {

__attribute__((noinline, noipa)) int inner_function(int x) {
  asm volatile("");
  return x + 1;
}
__attribute__((noinline, noipa)) int outer_function(int x) {
  int y = inner_function(x);
  asm volatile("");
  return y * 2;
}

class Child {
 public:
  Child() {
    pid_ = fork();
    if (pid_ == 0) {
      for (;;) pause();
    }
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

Child& child() {
  static Child instance;
  return instance;
}

struct DwflDeleter {
  void operator()(Dwfl* dwfl) const { dwfl_end(dwfl); }
};
using DwflPtr = std::unique_ptr<Dwfl, DwflDeleter>;

char* debuginfo_path = nullptr;
const Dwfl_Callbacks callbacks = {dwfl_linux_proc_find_elf, dwfl_standard_find_debuginfo, nullptr,
                                  &debuginfo_path};

DwflPtr open_dwfl(pid_t pid) {
  DwflPtr dwfl(dwfl_begin(&callbacks));
  if (!dwfl) return dwfl;
  dwfl_report_begin(dwfl.get());
  if (dwfl_linux_proc_report(dwfl.get(), pid) != 0) return nullptr;
  if (dwfl_report_end(dwfl.get(), nullptr, nullptr) != 0) return nullptr;
  return dwfl;
}

// Return addresses: a few bytes into functions of this binary, libc and libstdc++,
// the way caller frames point just after a call instruction.
std::vector<std::uint64_t> return_addresses() {
  const void* functions[] = {
      reinterpret_cast<const void*>(&inner_function),
      reinterpret_cast<const void*>(&outer_function),
      reinterpret_cast<const void*>(&open_dwfl),
      reinterpret_cast<const void*>(&::read),
      reinterpret_cast<const void*>(&::nanosleep),
      reinterpret_cast<const void*>(&::pthread_cond_wait),
      reinterpret_cast<const void*>(&::malloc),
      reinterpret_cast<const void*>(&::accept),
      reinterpret_cast<const void*>(&::epoll_wait),
      reinterpret_cast<const void*>(&std::terminate),
      reinterpret_cast<const void*>(&abi::__cxa_demangle),
      reinterpret_cast<const void*>(&::pthread_create),
  };
  std::vector<std::uint64_t> pcs;
  for (const void* function : functions)
    pcs.push_back(reinterpret_cast<std::uint64_t>(function) + 5);
  return pcs;
}

void BM_lookup_cached(benchmark::State& state) {
  DwflPtr dwfl = open_dwfl(child().pid());
  if (!dwfl) {
    state.SkipWithError("cannot build a Dwfl for the child");
    return;
  }
  const auto pcs = return_addresses();
  ukstack::unwind::Symbolizer symbolizer(dwfl.get());
  for (auto pc : pcs) benchmark::DoNotOptimize(symbolizer.lookup(pc, false));  // warm
  for (auto _ : state) {
    for (auto pc : pcs) benchmark::DoNotOptimize(symbolizer.lookup(pc, false));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * pcs.size()));
  state.counters["distinct"] = static_cast<double>(symbolizer.cache_size());
}
BENCHMARK(BM_lookup_cached);

void BM_lookup_uncached(benchmark::State& state) {
  DwflPtr dwfl = open_dwfl(child().pid());
  if (!dwfl) {
    state.SkipWithError("cannot build a Dwfl for the child");
    return;
  }
  const auto pcs = return_addresses();
  {  // load the modules' symbol tables and line tables once, as a capture would
    ukstack::unwind::Symbolizer warm(dwfl.get());
    for (auto pc : pcs) benchmark::DoNotOptimize(warm.lookup(pc, false));
  }
  for (auto _ : state) {
    ukstack::unwind::Symbolizer symbolizer(dwfl.get());
    for (auto pc : pcs) benchmark::DoNotOptimize(symbolizer.lookup(pc, false));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * pcs.size()));
}
BENCHMARK(BM_lookup_uncached);

void BM_lookup_cold(benchmark::State& state) {
  const auto pcs = return_addresses();
  for (auto _ : state) {
    DwflPtr dwfl = open_dwfl(child().pid());
    if (!dwfl) {
      state.SkipWithError("cannot build a Dwfl for the child");
      return;
    }
    ukstack::unwind::Symbolizer symbolizer(dwfl.get());
    for (auto pc : pcs) benchmark::DoNotOptimize(symbolizer.lookup(pc, false));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * pcs.size()));
}
BENCHMARK(BM_lookup_cold)->Unit(benchmark::kMillisecond)->Iterations(20);

// Module reporting alone: /proc/<pid>/maps read and every mapped file reported.
void BM_report_modules(benchmark::State& state) {
  for (auto _ : state) {
    DwflPtr dwfl = open_dwfl(child().pid());
    benchmark::DoNotOptimize(dwfl);
  }
}
BENCHMARK(BM_report_modules)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
