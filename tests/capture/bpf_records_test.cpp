// The BPF engine's records as the user side reads them: the iterator's output
// parsed (with copies matched by id, and truncated or foreign output cut off
// cleanly), task states as /proc names them, the system call and the kernel stack
// as /proc/<tid>/syscall and /proc/<tid>/stack would show them.
#include "capture/bpf_records.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace ukstack {
namespace {

bpf::TaskRecord record_of(int tid, std::uint64_t copy_id, int kernel_frames) {
  bpf::TaskRecord record{};
  record.magic = UKSTACK_TASK_RECORD_MAGIC;
  record.tid = static_cast<std::uint32_t>(tid);
  record.tgid = 100;
  std::strcpy(record.comm, "worker");
  record.before.state = record.after.state = 1;  // TASK_INTERRUPTIBLE
  record.before.nvcsw = record.after.nvcsw = 7;
  record.regs[16] = 0x7f0000001000;  // ip
  record.regs[19] = 0x7ffd00000f00;  // sp
  record.regs[15] = 232;             // orig_ax: epoll_wait
  record.regs[14] = 5;               // di
  record.kernel_frames = kernel_frames;
  record.copy_id = copy_id;
  return record;
}

void append(std::string& out, const bpf::TaskRecord& record,
            const std::vector<std::uint64_t>& addresses) {
  out.append(reinterpret_cast<const char*>(&record), sizeof record);
  out.append(reinterpret_cast<const char*>(addresses.data()), addresses.size() * 8);
}

unwind::StackCopy copy_at(std::uint64_t base, std::size_t size) {
  unwind::StackCopy copy;
  copy.base = RemoteAddr(base);
  copy.bytes.resize(size);
  return copy;
}

TEST(BpfRecords, ParsesRecordsTheirAddressesAndTheirCopies) {
  std::string out;
  append(out, record_of(101, 1, 2), {0xffffffff81000010, 0xffffffff81000020});
  append(out, record_of(102, 2, 0), {});
  std::unordered_map<std::uint64_t, unwind::StackCopy> copies;
  copies.emplace(1, copy_at(0x7ffd00000000, 8192));
  copies.emplace(2, copy_at(0x7ffc00000000, 4096));
  copies.emplace(9, copy_at(0x7ffb00000000, 4096));  // a record the kernel made again

  BpfPass pass = parse_bpf_pass(out, copies);
  ASSERT_EQ(pass.threads.size(), 2u);
  EXPECT_EQ(pass.orphan_copies, 1);
  EXPECT_TRUE(copies.empty());
  const BpfThreadRead& first = pass.threads[0];
  EXPECT_EQ(first.tid, 101);
  EXPECT_EQ(first.name, "worker");
  EXPECT_EQ(first.state, 'S');
  EXPECT_TRUE(first.one_moment());
  EXPECT_EQ(first.kernel_addresses,
            (std::vector<std::uint64_t>{0xffffffff81000010, 0xffffffff81000020}));
  EXPECT_EQ(first.stack.base, RemoteAddr(0x7ffd00000000));
  EXPECT_EQ(first.stack.bytes.size(), 8192u);
  ASSERT_TRUE(first.registers);
  EXPECT_EQ(first.registers->rip, 0x7f0000001000u);
  EXPECT_EQ(pass.threads[1].stack.base, RemoteAddr(0x7ffc00000000));
}

TEST(BpfRecords, OutputCutShortEndsThePassAtTheLastWholeRecord) {
  std::string out;
  append(out, record_of(101, 0, 1), {0xffffffff81000010});
  append(out, record_of(102, 0, 3), {0xffffffff81000010, 0xffffffff81000020, 0xffffffff81000030});
  std::unordered_map<std::uint64_t, unwind::StackCopy> copies;
  for (std::size_t cut = 0; cut < out.size(); ++cut) {
    BpfPass pass = parse_bpf_pass(std::string_view(out).substr(0, cut), copies);
    EXPECT_LE(pass.threads.size(), 1u) << "cut at " << cut;
  }
  std::string foreign = out;
  foreign[0] ^= 0x55;  // not a record
  EXPECT_TRUE(parse_bpf_pass(foreign, copies).threads.empty());
  std::string absurd;
  append(absurd, record_of(101, 0, 100000), {});  // more frames than a record holds
  EXPECT_TRUE(parse_bpf_pass(absurd, copies).threads.empty());
}

TEST(BpfRecords, ACopyThatNeverCameIsSaidSo) {
  std::string out;
  append(out, record_of(101, 5, 0), {});
  bpf::TaskRecord full = record_of(102, 0, 0);
  full.copy_error = -ENOSPC;
  append(out, full, {});
  std::unordered_map<std::uint64_t, unwind::StackCopy> copies;
  BpfPass pass = parse_bpf_pass(out, copies);
  ASSERT_EQ(pass.threads.size(), 2u);
  EXPECT_TRUE(pass.threads[0].stack.bytes.empty());
  EXPECT_EQ(pass.threads[0].stack_error, "stack copy lost");
  EXPECT_EQ(pass.threads[1].stack_error, "no room for the stack copy");
}

TEST(BpfRecords, KernelThreadsAndZombiesHaveNoRegisters) {
  std::string out;
  bpf::TaskRecord kthread = record_of(2, 0, 0);
  kthread.flags = 0x00200000;
  append(out, kthread, {});
  bpf::TaskRecord zombie = record_of(101, 0, 0);
  zombie.before.state = zombie.after.state = 0;
  zombie.before.exit_state = zombie.after.exit_state = 0x20;
  append(out, zombie, {});
  std::unordered_map<std::uint64_t, unwind::StackCopy> copies;
  BpfPass pass = parse_bpf_pass(out, copies);
  ASSERT_EQ(pass.threads.size(), 2u);
  EXPECT_TRUE(pass.threads[0].kernel_thread());
  EXPECT_FALSE(pass.threads[0].registers);
  EXPECT_TRUE(pass.threads[1].zombie);
  EXPECT_EQ(pass.threads[1].state, 'Z');
  EXPECT_FALSE(pass.threads[1].registers);
}

TEST(BpfRecords, TaskStatesAreTheLettersProcShows) {
  EXPECT_EQ(task_state_letter(0x0000, 0), 'R');
  EXPECT_EQ(task_state_letter(0x0001, 0), 'S');
  EXPECT_EQ(task_state_letter(0x0002, 0), 'D');
  EXPECT_EQ(task_state_letter(0x0004, 0), 'T');
  EXPECT_EQ(task_state_letter(0x0008, 0), 't');
  EXPECT_EQ(task_state_letter(0x0000, 0x10), 'X');
  EXPECT_EQ(task_state_letter(0x0000, 0x20), 'Z');
  EXPECT_EQ(task_state_letter(0x0040, 0), 'P');
  EXPECT_EQ(task_state_letter(0x0402, 0), 'I');  // TASK_IDLE
  EXPECT_EQ(task_state_letter(0x8001, 0), 'D');  // frozen
  EXPECT_EQ(task_state_letter(0x0108, 0), 't');  // traced and wakekill
}

TEST(BpfRecords, TheSystemCallIsReadFromTheRegistersAsProcDoes) {
  std::string out;
  append(out, record_of(101, 0, 0), {});
  bpf::TaskRecord faulting = record_of(102, 0, 0);
  faulting.regs[15] = static_cast<std::uint64_t>(-1);  // blocked, not in a system call
  append(out, faulting, {});
  bpf::TaskRecord running = record_of(103, 0, 0);
  running.before.state = running.after.state = 0;
  append(out, running, {});
  std::unordered_map<std::uint64_t, unwind::StackCopy> copies;
  BpfPass pass = parse_bpf_pass(out, copies);
  ASSERT_EQ(pass.threads.size(), 3u);

  procfs::SyscallState in_call = pass.threads[0].syscall();
  EXPECT_EQ(in_call.kind, procfs::SyscallState::Kind::InSyscall);
  EXPECT_EQ(in_call.nr, 232);
  EXPECT_EQ(in_call.args[0], 5u);
  EXPECT_EQ(in_call.sp, RemoteAddr(0x7ffd00000f00));
  EXPECT_EQ(in_call.pc, RemoteAddr(0x7f0000001000));
  EXPECT_EQ(pass.threads[1].syscall().kind, procfs::SyscallState::Kind::NotInSyscall);
  EXPECT_EQ(pass.threads[2].syscall().kind, procfs::SyscallState::Kind::Running);
  EXPECT_FALSE(pass.threads[2].one_moment());  // running: never of one moment
}

TEST(BpfRecords, KernelStacksArePrintedAsProcPrintsThem) {
  std::string out;
  append(out, record_of(101, 0, 2), {0xffffffff81000010, 0xffffffff81000099});
  std::unordered_map<std::uint64_t, unwind::StackCopy> copies;
  BpfPass pass = parse_bpf_pass(out, copies);
  write_kernel_stacks(pass, {{0xffffffff81000010, "do_epoll_wait+0x10/0x540"}});
  ASSERT_TRUE(pass.threads[0].kernel_stack);
  EXPECT_EQ(*pass.threads[0].kernel_stack,
            "[<0>] do_epoll_wait+0x10/0x540\n[<0>] 0xffffffff81000099\n");
}

TEST(BpfRecords, OneMomentNeedsEveryCounterStill) {
  std::string out;
  append(out, record_of(101, 0, 0), {});
  std::unordered_map<std::uint64_t, unwind::StackCopy> copies;
  const BpfThreadRead still = parse_bpf_pass(out, copies).threads.at(0);
  ASSERT_TRUE(still.one_moment());
  auto moved = [&](auto change) {
    BpfThreadRead read = still;
    change(read);
    return read.one_moment();
  };
  EXPECT_FALSE(moved([](BpfThreadRead& r) { r.after.nvcsw++; }));
  EXPECT_FALSE(moved([](BpfThreadRead& r) { r.after.nivcsw++; }));
  EXPECT_FALSE(moved([](BpfThreadRead& r) { r.after.times_run++; }));
  EXPECT_FALSE(moved([](BpfThreadRead& r) { r.after.cpu_ns++; }));
  EXPECT_FALSE(moved([](BpfThreadRead& r) { r.after.on_cpu = 1; }));
  EXPECT_FALSE(moved([](BpfThreadRead& r) { r.after.state = 0; }));
}

}  // namespace
}  // namespace ukstack
