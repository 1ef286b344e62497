/* The records the BPF task iterator (task_iter.bpf.c) writes and the engine
 * (bpf_engine.cpp) reads: one layout for both sides, so plain C with fixed-width
 * types. x86-64 only: the registers are the kernel's struct pt_regs there, the same
 * order as the ptrace ABI's user_regs_struct.
 *
 * Per thread, the iterator's output holds a TaskRecord, then its kernel stack's
 * return addresses (kernel_frames u64s). The user-stack copy goes to a ring buffer
 * as a StackCopyHead and its pages: a copy is larger than the iterator's 32 KiB
 * output buffer allows. `copy_id` ties the two (a record whose output overflowed
 * is made again, with a new id).
 *
 * Kernel addresses are named afterwards, each distinct one once, by the same
 * program in its naming mode: for up to UKSTACK_NAME_BATCH addresses it prints
 * one line each, "%pB\n", as /proc/<tid>/stack prints a frame after "[<0>] ".
 */
#ifndef UKSTACK_BPF_TASK_RECORD_H
#define UKSTACK_BPF_TASK_RECORD_H

#ifdef __cplusplus
#include <cstdint>
namespace ukstack::bpf {
using u32 = std::uint32_t;
using u64 = std::uint64_t;
using s32 = std::int32_t;
#else
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
#endif

#define UKSTACK_TASK_RECORD_MAGIC 0x756b7374u /* "ukst" */
#define UKSTACK_PT_REGS_WORDS 21
#define UKSTACK_MAX_KERNEL_FRAMES 64
#define UKSTACK_PAGE_SIZE 4096
#define UKSTACK_MAX_COPY_PAGES 64 /* 256 KiB: the most --stack-copy the program allows */
#define UKSTACK_NAME_BATCH 64     /* kernel addresses named per pass: well under 32 KiB */

/* What one pass does (the program's `mode`). */
#define UKSTACK_MODE_READ 0     /* records with registers, kernel stacks, stack copies */
#define UKSTACK_MODE_COUNTERS 1 /* records with the counters only */
#define UKSTACK_MODE_NAME 2     /* names of the addresses in `names_to_find` */

/* What says whether the task moved: read before and after the rest. */
struct TaskMoment {
  u32 state; /* task_struct.__state */
  u32 exit_state;
  u32 on_cpu;
  u32 pad;
  u64 nvcsw;     /* voluntary context switches */
  u64 nivcsw;    /* involuntary ones */
  u64 cpu_ns;    /* se.sum_exec_runtime: /proc/<tid>/schedstat's first field */
  u64 wait_ns;   /* sched_info.run_delay: its second */
  u64 times_run; /* sched_info.pcount: its third */
};

struct TaskRecord {
  u32 magic;
  u32 tid;
  u32 tgid;
  u32 flags; /* task_struct.flags: PF_KTHREAD */
  char comm[16];
  struct TaskMoment before;
  struct TaskMoment after;
  u64 regs[UKSTACK_PT_REGS_WORDS];
  s32 regs_error;    /* 0, or why the registers could not be read */
  s32 kernel_frames; /* frames in the text that follows, or a negative errno */
  u64 copy_id;       /* the StackCopyHead of this record; 0: no copy */
  s32 copy_error;    /* 0, or why there is no copy (-ENOSPC: ring buffer full) */
  u32 copy_bytes;    /* how much the copy holds */
  u64 copy_base;     /* the user address of its first byte */
};

struct StackCopyHead {
  u64 copy_id;
  u32 tid;
  u32 bytes;
  u64 base;
  /* then the pages: `bytes` of them are valid */
};

#ifdef __cplusplus
}  // namespace ukstack::bpf
#endif

#endif
