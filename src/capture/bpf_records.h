// What the BPF engine's task iterator read (bpf_engine.h), apart from libbpf: its
// records as C++ values, the parser of one pass's output, the interface the
// session reads through (so the stop policy's BPF decisions run against a fake),
// and one capture's records by thread.
#pragma once

#include <sys/user.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "capture/bpf/task_record.h"
#include "procfs/syscall.h"
#include "procfs/task_stat.h"
#include "unwind/stack_copy.h"

namespace ukstack {

// One thread as one pass of the iterator read it.
struct BpfThreadRead {
  int tid = 0;
  std::string name;         // comm: raw bytes from the target, escape before printing
  char state = '?';         // the letter /proc/<tid>/stat shows
  std::uint32_t flags = 0;  // task flags: PF_KTHREAD
  bool zombie = false;
  bpf::TaskMoment before{};
  bpf::TaskMoment after{};
  std::optional<user_regs_struct> registers;    // none for kernel threads and zombies
  std::vector<std::uint64_t> kernel_addresses;  // innermost first
  Result<std::string> kernel_stack = Error{};   // as /proc/<tid>/stack prints it (once named)
  unwind::StackCopy stack;                      // empty when no copy could be made
  std::string stack_error;                      // why, then

  bool kernel_thread() const { return (flags & 0x00200000U) != 0; }  // PF_KTHREAD
  // Off every CPU, asleep, and neither scheduled nor switched between the first
  // read and the last: registers, both stacks and the copy are of one moment.
  bool one_moment() const;
  // /proc/<tid>/syscall's view, from the registers and the state.
  procfs::SyscallState syscall() const;
  // /proc/<tid>/schedstat's view, as the record began.
  procfs::SchedStat sched() const;
};

// The letter /proc shows for a task state (the kernel's task_state_index).
char task_state_letter(std::uint32_t state, std::uint32_t exit_state);

struct BpfPass {
  std::vector<BpfThreadRead> threads;
  int orphan_copies = 0;  // copies of records the kernel made again (their output overflowed)
};

// One pass's iterator output: each TaskRecord and its kernel addresses. Stack
// copies are taken from `copies` by id; what is left counts as orphans. Output
// that does not parse ends the pass (the threads after it are not in it).
BpfPass parse_bpf_pass(std::string_view out,
                       std::unordered_map<std::uint64_t, unwind::StackCopy>& copies);

// Kernel addresses and their names ("sym+0x1a/0x90 [module]", %pB's form).
using KernelNames = std::unordered_map<std::uint64_t, std::string>;

// The kernel stack of each thread of the pass as /proc/<tid>/stack prints it,
// from its addresses and their names (an address without one: as %pB prints it).
void write_kernel_stacks(BpfPass& pass, const KernelNames& names);

// What reads threads through BPF: the engine, or a fake in tests.
class BpfSource {
 public:
  virtual ~BpfSource() = default;
  // One pass over the threads of process `pid` (`tid`: that thread only).
  // `with_stacks`: registers, kernel stack and stack copy; else the counters alone.
  virtual Result<BpfPass> read(int pid, int tid, bool with_stacks) = 0;
};

// One capture's records, by thread, and the way to take one again. Made from one
// pass over every thread, or empty (on demand): then threads are read one by one
// as the capture asks, until a second thread is asked for, which makes it read
// every thread in one pass (a program that needs BPF for one thread usually needs
// it for all: a frame-pointer build).
class BpfRecords {
 public:
  BpfRecords(BpfSource& source, int pid, std::optional<BpfPass> pass);
  bool has_pass() const { return has_pass_; }
  // The thread's record from the pass; null when the pass did not see it.
  BpfThreadRead* find(int tid);
  // On demand: the thread's record, read now (or the pass's, once there is one).
  BpfThreadRead* demand(int tid);
  // A new record of the thread, replacing the one kept; null when there is none.
  BpfThreadRead* take_again(int tid);
  // Whether any thread was read through BPF.
  bool used() const { return used_; }

 private:
  BpfSource& source_;
  int pid_;
  bool has_pass_ = false;
  bool used_ = false;
  int demands_ = 0;
  std::unordered_map<int, BpfThreadRead> threads_;
};

}  // namespace ukstack
