// Micro-benchmarks of the procfs parsers on the captured samples in fixtures/procfs/.
// A 1,000-thread capture parses ~1,000 of each of stack, syscall and stat texts, and
// the net tables once per process: these say what that costs next to the ~25-35 us
// the kernel takes to produce each text here.
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>

#include "procfs/fd_target.h"
#include "procfs/kernel_stack.h"
#include "procfs/syscall.h"
#include "procfs/task_stat.h"

namespace {

std::string sample(const std::string& name) {
  std::ifstream in(std::string(UKSTACK_PROCFS_SAMPLES) + "/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void BM_parse_kernel_stack(benchmark::State& state, const char* file) {
  const std::string text = sample(file);
  for (auto _ : state) {
    auto frames = ukstack::procfs::parse_kernel_stack(text);
    benchmark::DoNotOptimize(frames);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(text.size()));
}
BENCHMARK_CAPTURE(BM_parse_kernel_stack, accept_6_18, "stack-6.18-accept.txt");
BENCHMARK_CAPTURE(BM_parse_kernel_stack, real_addresses, "stack-real-addresses.txt");
BENCHMARK_CAPTURE(BM_parse_kernel_stack, module_nfs, "stack-module-nfs.txt");

void BM_parse_syscall(benchmark::State& state, const char* file) {
  const std::string text = sample(file);
  for (auto _ : state) {
    auto parsed = ukstack::procfs::parse_syscall(text);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK_CAPTURE(BM_parse_syscall, accept4, "syscall-accept4.txt");
BENCHMARK_CAPTURE(BM_parse_syscall, running, "syscall-running.txt");

void BM_parse_stat(benchmark::State& state, const char* file) {
  const std::string text = sample(file);
  for (auto _ : state) {
    auto parsed = ukstack::procfs::parse_stat(text);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK_CAPTURE(BM_parse_stat, sleep, "stat-sleep.txt");
BENCHMARK_CAPTURE(BM_parse_stat, name_with_parens, "stat-name-with-parens.txt");

void BM_parse_status(benchmark::State& state) {
  const std::string text = sample("status-sleep.txt");
  for (auto _ : state) {
    auto parsed = ukstack::procfs::parse_status(text);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_parse_status);

// One table parsed per capture; its rows scale with the host's sockets, so the
// sample is also repeated to a few thousand rows.
void BM_parse_net_table(benchmark::State& state, const char* protocol, const char* file) {
  const std::string one = sample(file);
  std::string text = one;
  const auto header_end = one.find('\n') + 1;
  for (std::int64_t i = 1; i < state.range(0); ++i) text += one.substr(header_end);
  for (auto _ : state) {
    ukstack::procfs::SocketTable table;
    auto parsed = ukstack::procfs::parse_net_table(protocol, text, table);
    benchmark::DoNotOptimize(parsed);
    benchmark::DoNotOptimize(table);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(text.size()));
}
BENCHMARK_CAPTURE(BM_parse_net_table, tcp, "tcp", "net-tcp.txt")->Arg(1)->Arg(1000);
BENCHMARK_CAPTURE(BM_parse_net_table, tcp6, "tcp6", "net-tcp6.txt")->Arg(1);
BENCHMARK_CAPTURE(BM_parse_net_table, unix_sockets, "unix", "net-unix.txt")->Arg(1)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
