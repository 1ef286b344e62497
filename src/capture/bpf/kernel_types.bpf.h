/* The few kernel types the task iterator reads, declared for CO-RE: only the
 * fields used, each access relocated by libbpf against the running kernel's BTF
 * at load time. So the build needs no vmlinux.h and no BTF from the build
 * machine's kernel (a package builder's chroot has none). */
#ifndef UKSTACK_BPF_KERNEL_TYPES_H
#define UKSTACK_BPF_KERNEL_TYPES_H

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct seq_file;
struct pt_regs;

struct sched_entity {
  __u64 sum_exec_runtime;
};

struct sched_info {
  unsigned long pcount;
  unsigned long long run_delay;
};

struct task_struct {
  unsigned int __state;
  int on_cpu;
  unsigned int flags;
  int exit_state;
  int pid;
  int tgid;
  struct sched_entity se;
  struct sched_info sched_info;
  unsigned long nvcsw;
  unsigned long nivcsw;
  char comm[16];
};

struct bpf_iter_meta {
  struct seq_file *seq;
  __u64 session_id;
  __u64 seq_num;
};

struct bpf_iter__task {
  struct bpf_iter_meta *meta;
  struct task_struct *task;
};

#pragma clang attribute pop

#endif
