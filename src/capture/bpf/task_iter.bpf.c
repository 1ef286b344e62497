/* ukstack's BPF engine: a sleepable task iterator that reads, for each thread of
 * one process and without stopping it, what /proc and ptrace would give after a
 * stop: the user registers saved at kernel entry, the kernel stack, a copy of the
 * user stack, and the counters before and after that prove them one moment.
 * Loaded once per run by bpf_engine.cpp; the layout is in task_record.h. */
/* In this order: each needs the ones before it. */
// clang-format off
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
// clang-format on

#include "kernel_types.bpf.h"
#include "task_record.h"

#define PF_KTHREAD 0x00200000

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set before load: how many pages of user stack to copy, from sp's page up. */
const volatile __u32 copy_pages = 4;

/* Set before each pass. */
__u32 target_tgid = 0;
__u32 target_tid = 0; /* 0: every thread of target_tgid */
__u32 mode = UKSTACK_MODE_READ;
__u32 names_count = 0; /* UKSTACK_MODE_NAME: how many of names_to_find */
__u32 named = 0;       /* UKSTACK_MODE_NAME: set once the names are printed */
__u64 names_to_find[UKSTACK_NAME_BATCH];

__u64 next_copy_id = 0;

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4 << 20); /* resized before load */
} stack_copies SEC(".maps");

struct KernelStack {
  u64 ips[UKSTACK_MAX_KERNEL_FRAMES];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, u32);
  __type(value, struct KernelStack);
} kernel_stack_room SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, u32);
  __type(value, struct TaskRecord);
} record_room SEC(".maps");

static void read_moment(struct task_struct *task, struct TaskMoment *moment) {
  moment->state = task->__state;
  moment->exit_state = task->exit_state;
  moment->on_cpu = task->on_cpu;
  moment->nvcsw = task->nvcsw;
  moment->nivcsw = task->nivcsw;
  moment->cpu_ns = task->se.sum_exec_runtime;
  /* CONFIG_SCHED_INFO; without it, the context switches alone prove the moment. */
  if (bpf_core_field_exists(task->sched_info)) {
    moment->wait_ns = task->sched_info.run_delay;
    moment->times_run = task->sched_info.pcount;
  }
}

/* The user stack from sp's page up, page by page: the first page that cannot be
 * read (the end of the stack's mapping) ends the copy. */
static void copy_user_stack(struct task_struct *task, struct TaskRecord *record) {
  const u64 size = sizeof(struct StackCopyHead) + (u64)copy_pages * UKSTACK_PAGE_SIZE;
  struct StackCopyHead *copy = bpf_ringbuf_reserve(&stack_copies, size, 0);
  if (!copy) {
    record->copy_error = -ENOSPC;
    return;
  }
  const u64 sp = record->regs[19];
  const u64 base = sp & ~(u64)(UKSTACK_PAGE_SIZE - 1);
  char *pages = (char *)(copy + 1);
  u32 copied = 0;
  for (u32 i = 0; i < UKSTACK_MAX_COPY_PAGES && i < copy_pages; i++) {
    if (bpf_copy_from_user_task(pages + (u64)i * UKSTACK_PAGE_SIZE, UKSTACK_PAGE_SIZE,
                                (void *)(base + (u64)i * UKSTACK_PAGE_SIZE), task, 0) != 0) {
      break;
    }
    copied += UKSTACK_PAGE_SIZE;
  }
  if (copied == 0) {
    bpf_ringbuf_discard(copy, 0);
    record->copy_error = -EFAULT;
    return;
  }
  copy->copy_id = __sync_fetch_and_add(&next_copy_id, 1) + 1;
  copy->tid = record->tid;
  copy->bytes = copied;
  copy->base = base;
  record->copy_id = copy->copy_id;
  record->copy_bytes = copied;
  record->copy_base = base;
  bpf_ringbuf_submit(copy, 0);
}

/* bpf_loop: the verifier checks the body once, not once per iteration. */
struct NameLoop {
  struct seq_file *seq;
};

static long print_name(u32 index, struct NameLoop *loop) {
  if (index >= UKSTACK_NAME_BATCH) return 1;
  BPF_SEQ_PRINTF(loop->seq, "%pB\n", names_to_find[index]);
  return 0;
}

SEC("iter.s/task")
int read_task(struct bpf_iter__task *ctx) {
  struct seq_file *seq = ctx->meta->seq;
  struct task_struct *task = ctx->task;
  if (!task || task->tgid != target_tgid) return 0;
  if (target_tid != 0 && task->pid != target_tid) return 0;
  if (mode == UKSTACK_MODE_NAME) {
    /* Any one thread of the target will do: the names are the kernel's. */
    if (named) return 0;
    named = 1;
    struct NameLoop loop = {.seq = seq};
    bpf_loop(names_count, print_name, &loop, 0);
    return 0;
  }

  u32 zero = 0;
  struct TaskRecord *record = bpf_map_lookup_elem(&record_room, &zero);
  struct KernelStack *stack = bpf_map_lookup_elem(&kernel_stack_room, &zero);
  if (!record || !stack) return 0;
  __builtin_memset(record, 0, sizeof(*record));
  record->magic = UKSTACK_TASK_RECORD_MAGIC;
  record->tid = task->pid;
  record->tgid = task->tgid;
  record->flags = task->flags;
  bpf_probe_read_kernel_str(record->comm, sizeof(record->comm), task->comm);

  read_moment(task, &record->before);
  long frames = 0;
  const int user_task = !(record->flags & PF_KTHREAD);
  if (mode == UKSTACK_MODE_READ) {
    if (user_task) {
      struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
      record->regs_error = bpf_probe_read_kernel(record->regs, sizeof(record->regs), regs);
    }
    frames = bpf_get_task_stack(task, stack->ips, sizeof(stack->ips), 0);
    record->kernel_frames = frames < 0 ? (s32)frames : (s32)(frames / sizeof(u64));
    if (user_task && record->regs_error == 0) copy_user_stack(task, record);
  }
  read_moment(task, &record->after);

  bpf_seq_write(seq, record, sizeof(*record));
  u64 bytes = record->kernel_frames > 0 ? (u64)record->kernel_frames * sizeof(u64) : 0;
  if (bytes > 0 && bytes <= sizeof(stack->ips)) {
    bytes &= (2 * sizeof(stack->ips) - 1); /* what the verifier can bound */
    if (bytes <= sizeof(stack->ips)) bpf_seq_write(seq, stack->ips, bytes);
  }
  return 0;
}
