// /proc/<tid>/stat, /proc/<tid>/status and /proc/<tid>/schedstat. The name in stat
// is between the first '(' and the LAST ')': a thread may name itself "a) S (b".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ukstack::procfs {

struct TaskStat {
  int tid = 0;
  std::string name;  // raw bytes from the target: escape before printing
  char state = '?';  // R S D T t Z X I ...
  int ppid = 0;
  int pgrp = 0;             // process group
  unsigned long flags = 0;  // PF_KTHREAD (0x00200000) marks kernel threads
  bool is_kernel_thread() const { return (flags & 0x00200000UL) != 0; }
};

struct TaskStatus {
  int tgid = 0;  // the process a thread belongs to (its leader's tid)
  // The process's PID in its own (innermost) PID namespace: NStgid's last field, what
  // getpid() returns in a container. 0 when the kernel does not show it (before 4.1).
  int ns_tgid = 0;
  int tracer_pid = 0;
  std::uint64_t voluntary_ctxt_switches = 0;
  std::uint64_t nonvoluntary_ctxt_switches = 0;
  int uid_real = -1;
  int uid_effective = -1;
};

// /proc/<tid>/schedstat: "<ns on cpu> <ns waiting for a cpu> <times scheduled in>".
// The kernel prints "0 0 0" when it keeps no scheduler statistics.
struct SchedStat {
  std::uint64_t cpu_ns = 0;
  std::uint64_t wait_ns = 0;
  std::uint64_t times_run = 0;
  bool kept() const { return cpu_ns != 0 || times_run != 0; }
  // Equal counts: the task was never on a CPU between the two reads.
  bool same_run_as(const SchedStat& other) const {
    return cpu_ns == other.cpu_ns && times_run == other.times_run;
  }
};

Result<TaskStat> parse_stat(std::string_view text);
Result<TaskStatus> parse_status(std::string_view text);
Result<SchedStat> parse_schedstat(std::string_view text);

// /proc/<tid>/wchan: a symbol name, or "0" / "" when not sleeping.
std::string parse_wchan(std::string_view text);

}  // namespace ukstack::procfs
