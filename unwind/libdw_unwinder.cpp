// The libdw backend. dwfl_attach_state with our own callbacks: the thread's initial
// registers come from the sample, memory from the stack copy first and the address
// space (the live process: process_vm_readv) beyond it. Nothing here stops or
// touches a thread.
#include <dwarf.h>
#include <elfutils/libdwfl.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "unwind/cfi_rules.h"
#include "unwind/dwfl_session.h"
#include "unwind/frame_collector.h"
#include "unwind/sample_memory.h"
#include "unwind/symbolizer.h"
#include "unwind/unwinder.h"

namespace ukstack::unwind {

namespace {

class LibdwUnwinder final : public Unwinder {
 public:
  LibdwUnwinder(std::unique_ptr<DwflSession> session, const AddressSpace& memory,
                UnwindOptions options)
      : session_(std::move(session)),
        symbolizer_(session_->get(), options.inlines),
        provenance_(session_->get()),
        memory_(memory),
        options_(std::move(options)) {
    symbolizer_.set_mappings(&session_->mappings());
  }

  Status attach(int pid);
  std::string_view method() const override { return "libdw"; }
  UnwoundStack unwind(const ThreadSample& sample) override;
  std::vector<UnwoundFrame> describe(RemoteAddr pc, bool is_activation) override {
    std::vector<UnwoundFrame> frames;
    append_frames(symbolizer_.lookup(pc.value(), is_activation), pc.value(), is_activation, frames);
    return frames;
  }
  bool ends_at_outermost(Dwarf_Addr address);

  // libdw's C callbacks. They never throw: errors are returned as false / -1.
  static pid_t next_thread(Dwfl*, void* self, void** thread_arg);
  static bool get_thread(Dwfl*, pid_t tid, void* self, void** thread_arg);
  static bool memory_read(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* self);
  static bool set_initial_registers(Dwfl_Thread* thread, void* self);

 private:
  std::unique_ptr<DwflSession> session_;
  Symbolizer symbolizer_;
  CfiProvenance provenance_;
  SampleMemory memory_;
  UnwindOptions options_;
  const ThreadSample* current_ = nullptr;
  bool next_thread_given_ = false;
};

const Dwfl_Thread_Callbacks kThreadCallbacks = {
    .next_thread = &LibdwUnwinder::next_thread,
    .get_thread = &LibdwUnwinder::get_thread,
    .memory_read = &LibdwUnwinder::memory_read,
    .set_initial_registers = &LibdwUnwinder::set_initial_registers,
    .detach = nullptr,
    .thread_detach = nullptr,
};

}  // namespace

Status LibdwUnwinder::attach(int pid) {
  // No Elf given, libdw takes the architecture from the first module it can open,
  // but passes over deleted files and [vdso]: then ours (see architecture_elf).
  if (!dwfl_attach_state(session_->get(), nullptr, pid, &kThreadCallbacks, this) &&
      !dwfl_attach_state(session_->get(), session_->architecture_elf(), pid, &kThreadCallbacks,
                         this)) {
    return Error{0, std::string("libdw cannot unwind this process: ") + libdw_error()};
  }
  return {};
}

pid_t LibdwUnwinder::next_thread(Dwfl*, void* self, void** thread_arg) {
  auto* unwinder = static_cast<LibdwUnwinder*>(self);
  if (unwinder->current_ == nullptr || unwinder->next_thread_given_) return 0;
  unwinder->next_thread_given_ = true;
  *thread_arg = self;
  return unwinder->current_->tid;
}

bool LibdwUnwinder::get_thread(Dwfl*, pid_t tid, void* self, void** thread_arg) {
  auto* unwinder = static_cast<LibdwUnwinder*>(self);
  if (unwinder->current_ == nullptr || unwinder->current_->tid != tid) return false;
  *thread_arg = self;
  return true;
}

bool LibdwUnwinder::memory_read(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* self) {
  std::uint64_t word = 0;
  if (!static_cast<LibdwUnwinder*>(self)->memory_.read_word(addr, word)) return false;
  *result = word;
  return true;
}

bool LibdwUnwinder::set_initial_registers(Dwfl_Thread* thread, void* self) {
  const RegisterSet& registers = static_cast<LibdwUnwinder*>(self)->current_->registers;
  if (registers.complete()) {
    return dwfl_thread_state_registers(thread, 0, kDwarfRegisterCount, registers.values.data());
  }
  // Only some registers known (no-stop sampling): the others stay undefined, and a
  // frame whose CFA needs one ends the unwind.
  for (int regno = 0; regno < kDwarfRip; ++regno) {
    if (!registers.known.test(static_cast<std::size_t>(regno))) continue;
    if (!dwfl_thread_state_registers(thread, regno, 1,
                                     &registers.values[static_cast<std::size_t>(regno)])) {
      return false;
    }
  }
  dwfl_thread_state_register_pc(thread, registers.values[kDwarfRip]);
  return true;
}

UnwoundStack LibdwUnwinder::unwind(const ThreadSample& sample) {
  current_ = &sample;
  next_thread_given_ = false;
  memory_.begin(&sample.stack);

  FrameCollector collector(symbolizer_, provenance_, options_.max_frames);
  int result =
      dwfl_getthread_frames(session_->get(), sample.tid, &FrameCollector::on_frame, &collector);
  // Kept before symbolizing: later libdw calls overwrite the error state.
  std::optional<std::string> unwind_error;
  if (result == -1) unwind_error = libdw_error();
  current_ = nullptr;
  memory_.end();

  UnwoundStack stack = collector.stack(unwind_error);
  stack.read_live_memory = memory_.read_beyond_copy();
  if (!stack.error && !collector.reached_stack_top() && !sample.registers.complete() &&
      !collector.pcs().empty()) {
    const auto& [pc, is_activation] = collector.pcs().back();
    stack.complete = ends_at_outermost(is_activation ? pc : pc - 1);
  }
  return stack;
}

// libdw ends an unwind quietly when the return address is undefined, whether the
// CFI says so (the outermost frame: _start, clone3) or a register the rule needs
// was never known (rbp for a frame-pointer CFA, when unwinding without stopping).
// Only the first is a complete stack. The last frame's CFI tells them apart: an
// undefined return-address rule, or a CFA from rsp (then the return address was
// read from the stack, and was 0), is a real end.
bool LibdwUnwinder::ends_at_outermost(Dwarf_Addr address) {
  OwnedDwarfFrame frame = cfi_frame_at(session_->get(), address);
  if (frame == nullptr) return false;

  Dwarf_Op ops_storage[3];
  Dwarf_Op* ops = nullptr;
  std::size_t nops = 0;
  if (dwarf_frame_register(frame.get(), kDwarfRip, ops_storage, &ops, &nops) == 0 && nops == 0 &&
      ops == nullptr) {
    return true;  // DW_CFA_undefined: this frame has no caller
  }
  if (dwarf_frame_cfa(frame.get(), &ops, &nops) != 0 || nops != 1) return false;
  unsigned cfa_register = ops[0].atom == DW_OP_bregx
                              ? static_cast<unsigned>(ops[0].number)
                              : static_cast<unsigned>(ops[0].atom - DW_OP_breg0);
  return ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_bregx && cfa_register == kDwarfRsp;
}

Result<std::unique_ptr<Unwinder>> open_libdw_unwinder(LiveProcess process,
                                                      const UnwindOptions& options) {
  const int pid = process.pid;
  auto session = DwflSession::open_process(pid, std::move(process.mappings), options.debug_dirs,
                                           options.debuginfod_budget);
  if (!session) return session.error();
  auto unwinder = std::make_unique<LibdwUnwinder>(std::move(*session), *process.memory, options);
  if (auto attached = unwinder->attach(pid); !attached) return attached.error();
  return std::unique_ptr<Unwinder>(std::move(unwinder));
}

Result<std::unique_ptr<Unwinder>> open_core_stack_unwinder(const CorePath& core_path,
                                                           const std::string& exe_path,
                                                           const AddressSpace& memory,
                                                           const UnwindOptions& options) {
  auto session =
      DwflSession::open_core(core_path, exe_path, options.debug_dirs, options.debuginfod_budget,
                             /*attach_threads=*/false, options.sysroot);
  if (!session) return session.error();
  auto unwinder = std::make_unique<LibdwUnwinder>(std::move(*session), memory, options);
  // The pid is only libdw's label for the thread state: the core's own is not needed.
  if (auto attached = unwinder->attach(1); !attached) return attached.error();
  return std::unique_ptr<Unwinder>(std::move(unwinder));
}

}  // namespace ukstack::unwind
