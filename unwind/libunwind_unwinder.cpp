// The libunwind backend: a remote address space with our own accessors, so nothing
// here stops or touches a thread. Registers come from the sample (an unknown one is
// -UNW_EBADREG), memory from the stack copy and process_vm_readv beyond it.
// Unwind tables are found with libunwind-ptrace's _UPT_find_proc_info, which needs
// no stopped thread: it reads /proc/<pid>/maps and the ELF file's .eh_frame_hdr,
// and reads target memory only through our access_mem. Names come from the same
// libdw Symbolizer as the libdw backend, so both backends' frames compare.
#include <libunwind-ptrace.h>
#include <libunwind.h>

#include <cstdio>
#include <string>

#include "unwind/dwfl_session.h"
#include "unwind/sample_memory.h"
#include "unwind/symbolizer.h"
#include "unwind/unwinder.h"

namespace ukstack::unwind {

namespace {

class LibunwindUnwinder final : public Unwinder {
 public:
  LibunwindUnwinder(std::unique_ptr<DwflSession> session, int pid, UnwindOptions options)
      : session_(std::move(session)),
        symbolizer_(session_->get(), options.inlines),
        memory_(pid),
        options_(std::move(options)) {
    symbolizer_.set_mappings(&session_->mappings());
  }
  ~LibunwindUnwinder() override;
  LibunwindUnwinder(const LibunwindUnwinder&) = delete;
  LibunwindUnwinder& operator=(const LibunwindUnwinder&) = delete;

  Status open(int pid);
  std::string_view method() const override { return "libunwind"; }
  UnwoundStack unwind(const ThreadSample& sample) override;

  // libunwind's accessors. libunwind-ptrace calls access_mem with its own argument
  // (its UPT_info), so the unwinder in charge is found through `current_`, set for
  // the duration of one unwind() on this thread. They never throw.
  static int find_proc_info(unw_addr_space_t, unw_word_t ip, unw_proc_info_t*, int need_unwind_info, void*);
  static void put_unwind_info(unw_addr_space_t, unw_proc_info_t*, void*);
  static int get_dyn_info_list_addr(unw_addr_space_t, unw_word_t* addr, void*);
  static int access_mem(unw_addr_space_t, unw_word_t addr, unw_word_t* value, int write, void*);
  static int access_reg(unw_addr_space_t, unw_regnum_t regnum, unw_word_t* value, int write, void*);
  static int access_fpreg(unw_addr_space_t, unw_regnum_t, unw_fpreg_t*, int, void*);
  static int resume(unw_addr_space_t, unw_cursor_t*, void*);
  static int get_proc_name(unw_addr_space_t, unw_word_t, char*, size_t, unw_word_t*, void*);

 private:
  static thread_local LibunwindUnwinder* current_;

  std::unique_ptr<DwflSession> session_;
  Symbolizer symbolizer_;
  SampleMemory memory_;
  UnwindOptions options_;
  unw_accessors_t accessors_{};
  unw_addr_space_t address_space_ = nullptr;
  void* upt_ = nullptr;  // libunwind-ptrace's per-process state (maps, ELF image)
  const ThreadSample* sample_ = nullptr;
};

thread_local LibunwindUnwinder* LibunwindUnwinder::current_ = nullptr;

std::string hex(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "%#llx", static_cast<unsigned long long>(value));
  return text;
}

LibunwindUnwinder::~LibunwindUnwinder() {
  if (address_space_ != nullptr) unw_destroy_addr_space(address_space_);
  if (upt_ != nullptr) _UPT_destroy(upt_);
}

Status LibunwindUnwinder::open(int pid) {
  accessors_.find_proc_info = &find_proc_info;
  accessors_.put_unwind_info = &put_unwind_info;
  accessors_.get_dyn_info_list_addr = &get_dyn_info_list_addr;
  accessors_.access_mem = &access_mem;
  accessors_.access_reg = &access_reg;
  accessors_.access_fpreg = &access_fpreg;
  accessors_.resume = &resume;
  accessors_.get_proc_name = &get_proc_name;
  address_space_ = unw_create_addr_space(&accessors_, 0);
  if (address_space_ == nullptr) return Error{0, "libunwind: cannot create an address space"};
  // Unwind info found for an address stays valid for the process's life (the
  // modules were listed once); per-thread state is not cached.
  unw_set_caching_policy(address_space_, UNW_CACHE_GLOBAL);
  upt_ = _UPT_create(pid);
  if (upt_ == nullptr) return Error{0, "libunwind: cannot set up for process " + std::to_string(pid)};
  return {};
}

int LibunwindUnwinder::find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t* info,
                                      int need_unwind_info, void*) {
  if (current_ == nullptr) return -UNW_EINVAL;
  return _UPT_find_proc_info(as, ip, info, need_unwind_info, current_->upt_);
}

void LibunwindUnwinder::put_unwind_info(unw_addr_space_t as, unw_proc_info_t* info, void*) {
  if (current_ != nullptr) _UPT_put_unwind_info(as, info, current_->upt_);
}

int LibunwindUnwinder::get_dyn_info_list_addr(unw_addr_space_t, unw_word_t*, void*) {
  // The dynamic unwind-info registry (_U_dyn_register, used by few JITs) is not
  // looked for: finding it means reading the target's symbols through ptrace.
  return -UNW_ENOINFO;
}

int LibunwindUnwinder::access_mem(unw_addr_space_t, unw_word_t addr, unw_word_t* value, int write, void*) {
  if (current_ == nullptr || write != 0) return -UNW_EINVAL;  // never writes to the target
  std::uint64_t word = 0;
  if (!current_->memory_.read_word(addr, word)) return -UNW_EINVAL;
  *value = word;
  return 0;
}

int LibunwindUnwinder::access_reg(unw_addr_space_t, unw_regnum_t regnum, unw_word_t* value, int write, void*) {
  // libunwind's x86-64 register numbers are the DWARF ones (rax=0 ... r15=15, rip=16).
  if (current_ == nullptr || write != 0) return -UNW_EINVAL;
  if (regnum < 0 || regnum >= kDwarfRegisterCount) return -UNW_EBADREG;
  const RegisterSet& registers = current_->sample_->registers;
  if (!registers.known.test(static_cast<std::size_t>(regnum))) return -UNW_EBADREG;
  *value = registers.values[static_cast<std::size_t>(regnum)];
  return 0;
}

int LibunwindUnwinder::access_fpreg(unw_addr_space_t, unw_regnum_t, unw_fpreg_t*, int, void*) {
  return -UNW_EBADREG;
}

int LibunwindUnwinder::resume(unw_addr_space_t, unw_cursor_t*, void*) { return -UNW_EINVAL; }

int LibunwindUnwinder::get_proc_name(unw_addr_space_t, unw_word_t, char*, size_t, unw_word_t*, void*) {
  return -UNW_ENOINFO;  // names come from the Symbolizer
}

UnwoundStack LibunwindUnwinder::unwind(const ThreadSample& sample) {
  UnwoundStack stack;
  sample_ = &sample;
  memory_.begin(&sample.stack);
  current_ = this;

  std::vector<std::pair<std::uint64_t, bool>> pcs;
  std::optional<std::string> error;
  unw_cursor_t cursor;
  int result = unw_init_remote(&cursor, address_space_, nullptr);
  if (result < 0) {
    error = std::string("libunwind cannot start the unwind: ") + unw_strerror(result);
  }
  bool next_is_activation = true;  // the innermost frame's pc is the instruction itself
  unw_word_t previous_pc = 0, previous_sp = 0;
  while (result >= 0) {
    unw_word_t pc = 0, sp = 0;
    if (unw_get_reg(&cursor, UNW_REG_IP, &pc) < 0 || pc == 0) break;
    unw_get_reg(&cursor, UNW_REG_SP, &sp);
    // Without unwind info libunwind guesses through rbp; a guess that lands on the
    // same frame again would repeat for ever.
    if (!pcs.empty() && pc == previous_pc && sp == previous_sp) {
      error = "unwind stopped: the frame at " + hex(pc) + " unwinds to itself (no usable unwind info)";
      break;
    }
    previous_pc = pc;
    previous_sp = sp;
    pcs.emplace_back(pc, next_is_activation);
    if (pcs.size() >= options_.max_frames) {
      error = "stack deeper than " + std::to_string(options_.max_frames) + " frames; cut there";
      break;
    }
    // Below a signal frame the pc is where the signal interrupted, not a return address.
    next_is_activation = unw_is_signal_frame(&cursor) > 0;
    result = unw_step(&cursor);
    if (result < 0) error = std::string("unwind stopped: ") + unw_strerror(result);
  }

  current_ = nullptr;
  memory_.end();
  sample_ = nullptr;

  for (const auto& [pc, is_activation] : pcs) {
    append_frames(symbolizer_.lookup(pc, is_activation), pc, is_activation, stack.frames);
  }
  stack.error = std::move(error);
  return stack;
}

}  // namespace

Result<std::unique_ptr<Unwinder>> open_libunwind_unwinder(int pid, const UnwindOptions& options) {
  auto session = DwflSession::open_process(pid, options.debug_dirs, options.debuginfod_budget);
  if (!session) return session.error();
  auto unwinder = std::make_unique<LibunwindUnwinder>(std::move(*session), pid, options);
  if (auto opened = unwinder->open(pid); !opened) return opened.error();
  return std::unique_ptr<Unwinder>(std::move(unwinder));
}

}  // namespace ukstack::unwind
