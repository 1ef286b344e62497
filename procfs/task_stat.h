// /proc/<tid>/stat and /proc/<tid>/status. The name in stat is between the first
// '(' and the LAST ')': a thread may name itself "a) S (b".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "procfs/result.h"

namespace ukstack::procfs {

struct TaskStat {
  int tid = 0;
  std::string name;   // raw bytes from the target: escape before printing
  char state = '?';   // R S D T t Z X I ...
  int ppid = 0;
  unsigned long flags = 0;  // PF_KTHREAD (0x00200000) marks kernel threads
  bool is_kernel_thread() const { return (flags & 0x00200000UL) != 0; }
};

struct TaskStatus {
  int tracer_pid = 0;
  std::uint64_t voluntary_ctxt_switches = 0;
  std::uint64_t nonvoluntary_ctxt_switches = 0;
  int uid_real = -1;
  int uid_effective = -1;
};

Result<TaskStat> parse_stat(std::string_view text);
Result<TaskStatus> parse_status(std::string_view text);

// /proc/<tid>/wchan: a symbol name, or "0" / "" when not sleeping.
std::string parse_wchan(std::string_view text);

// "State: S (sleeping)" style description of a state letter.
std::string_view describe_state(char state);

}  // namespace ukstack::procfs
