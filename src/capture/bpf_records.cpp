#include "capture/bpf_records.h"

#include <bit>
#include <cstdio>
#include <cstring>

namespace ukstack {

namespace {
constexpr std::uint32_t kZombie = 0x20;  // EXIT_ZOMBIE
}  // namespace

char task_state_letter(std::uint32_t state, std::uint32_t exit_state) {
  constexpr std::uint32_t kReport = 0x7f;  // S D T t X Z P: one bit each; R is none
  constexpr std::uint32_t kIdle = 0x402;   // TASK_UNINTERRUPTIBLE | TASK_NOLOAD
  constexpr std::uint32_t kRtlockWait = 0x1000;
  constexpr std::uint32_t kFrozen = 0x8000;
  std::uint32_t report = (state | exit_state) & kReport;
  if ((state & kIdle) == kIdle) report = kReport + 1;
  // As the kernel does: a sleeping lock or a frozen task is shown as D.
  if ((state & kRtlockWait) != 0 || (state & kFrozen) != 0) report = 2;
  static constexpr char kLetters[] = "RSDTtXZPI";
  return kLetters[std::bit_width(report)];
}

bool BpfThreadRead::one_moment() const {
  return before.state == after.state && before.state != 0 && before.on_cpu == 0 &&
         after.on_cpu == 0 && before.nvcsw == after.nvcsw && before.nivcsw == after.nivcsw &&
         before.cpu_ns == after.cpu_ns && before.times_run == after.times_run;
}

procfs::SyscallState BpfThreadRead::syscall() const {
  procfs::SyscallState syscall;
  if (state == 'R' || !registers) return syscall;  // Running
  const user_regs_struct& regs = *registers;
  syscall.sp = RemoteAddr(regs.rsp);
  syscall.pc = RemoteAddr(regs.rip);
  // As the kernel's /proc/<tid>/syscall: orig_ax is -1 outside a system call.
  if (static_cast<long>(regs.orig_rax) == -1) {
    syscall.kind = procfs::SyscallState::Kind::NotInSyscall;
    return syscall;
  }
  syscall.kind = procfs::SyscallState::Kind::InSyscall;
  syscall.nr = static_cast<long>(regs.orig_rax);
  syscall.args = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
  return syscall;
}

procfs::SchedStat BpfThreadRead::sched() const {
  return {.cpu_ns = before.cpu_ns, .wait_ns = before.wait_ns, .times_run = before.times_run};
}

BpfPass parse_bpf_pass(std::string_view out,
                       std::unordered_map<std::uint64_t, unwind::StackCopy>& copies) {
  BpfPass pass;
  while (out.size() >= sizeof(bpf::TaskRecord)) {
    bpf::TaskRecord record;
    std::memcpy(&record, out.data(), sizeof record);
    if (record.magic != UKSTACK_TASK_RECORD_MAGIC) break;
    out.remove_prefix(sizeof record);
    const std::size_t frames =
        record.kernel_frames > 0 ? static_cast<std::size_t>(record.kernel_frames) : 0;
    if (frames > UKSTACK_MAX_KERNEL_FRAMES || out.size() < frames * sizeof(std::uint64_t)) break;

    BpfThreadRead& thread = pass.threads.emplace_back();
    thread.tid = static_cast<int>(record.tid);
    thread.name.assign(record.comm, strnlen(record.comm, sizeof record.comm));
    thread.before = record.before;
    thread.after = record.after;
    thread.state = task_state_letter(record.before.state, record.before.exit_state);
    thread.flags = record.flags;
    thread.zombie = (record.before.exit_state & kZombie) != 0;
    thread.kernel_addresses.resize(frames);
    if (frames > 0) {  // memcpy to an empty vector's null data() is undefined, even of 0 bytes
      std::memcpy(thread.kernel_addresses.data(), out.data(), frames * sizeof(std::uint64_t));
    }
    out.remove_prefix(frames * sizeof(std::uint64_t));
    if (record.kernel_frames >= 0) {
      thread.kernel_stack = std::string();
    } else {
      int errnum = -record.kernel_frames;
      thread.kernel_stack =
          Error{errnum, "kernel stack not readable through BPF: " + std::string(strerror(errnum))};
    }
    if (!thread.kernel_thread() && !thread.zombie && record.regs_error == 0) {
      // The kernel's pt_regs are the first words of user_regs_struct, in order.
      user_regs_struct regs{};
      static_assert(sizeof record.regs <= sizeof regs);
      std::memcpy(&regs, record.regs, sizeof record.regs);
      thread.registers = regs;
    }
    if (record.copy_id != 0) {
      if (auto copy = copies.find(record.copy_id); copy != copies.end()) {
        thread.stack = std::move(copy->second);
        copies.erase(copy);
      } else {
        thread.stack_error = "stack copy lost";
      }
    } else if (record.copy_error != 0) {
      thread.stack_error =
          record.copy_error == -ENOSPC ? "no room for the stack copy" : "user stack not readable";
    }
  }
  pass.orphan_copies = static_cast<int>(copies.size());
  copies.clear();
  return pass;
}

void write_kernel_stacks(BpfPass& pass, const KernelNames& names) {
  for (auto& thread : pass.threads) {
    if (!thread.kernel_stack) continue;
    std::string text;
    for (std::uint64_t address : thread.kernel_addresses) {
      text += "[<0>] ";
      if (auto name = names.find(address); name != names.end()) {
        text += name->second;
      } else {
        char raw[24];
        std::snprintf(raw, sizeof raw, "0x%llx", static_cast<unsigned long long>(address));
        text += raw;
      }
      text += '\n';
    }
    thread.kernel_stack = std::move(text);
  }
}

BpfRecords::BpfRecords(BpfSource& source, int pid, std::optional<BpfPass> pass)
    : source_(source), pid_(pid), has_pass_(pass.has_value()), used_(pass.has_value()) {
  if (!pass) return;
  for (auto& thread : pass->threads) {
    int tid = thread.tid;
    threads_.insert_or_assign(tid, std::move(thread));
  }
}

BpfThreadRead* BpfRecords::demand(int tid) {
  if (!has_pass_ && ++demands_ >= 2) {
    if (auto pass = source_.read(pid_, 0, /*with_stacks=*/true)) {
      has_pass_ = true;
      for (auto& thread : pass->threads) {
        int id = thread.tid;
        threads_.insert_or_assign(id, std::move(thread));
      }
    }
  }
  BpfThreadRead* read = has_pass_ ? find(tid) : nullptr;
  if (read == nullptr) read = take_again(tid);
  if (read != nullptr) used_ = true;
  return read;
}

BpfThreadRead* BpfRecords::find(int tid) {
  auto it = threads_.find(tid);
  return it == threads_.end() ? nullptr : &it->second;
}

BpfThreadRead* BpfRecords::take_again(int tid) {
  auto pass = source_.read(pid_, tid, /*with_stacks=*/true);
  if (!pass) return nullptr;
  for (auto& thread : pass->threads) {
    if (thread.tid == tid) return &threads_.insert_or_assign(tid, std::move(thread)).first->second;
  }
  threads_.erase(tid);
  return nullptr;
}

}  // namespace ukstack
