// The libunwind backend: a remote address space with our own accessors, so nothing
// here stops or touches a thread. Registers come from the sample (an unknown one is
// -UNW_EBADREG), memory from the stack copy and the address space beyond it.
// Unwind tables are found through the Dwfl's modules (opened through map_files or
// inside the target's root, see DwflSession), not by opening the path maps shows:
// a binary deleted after start, or one in another mount namespace, is unwound
// too. libunwind then searches the module's .eh_frame_hdr table in target memory,
// or, for a module linked without one (a static program), a table built here from
// its .eh_frame (LocalTables).
// Names come from the same libdw Symbolizer as the libdw backend, so both
// backends' frames compare.
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <libunwind.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/format.h"
#include "unwind/dwfl_session.h"
#include "unwind/eh_frame_index.h"
#include "unwind/sample_memory.h"
#include "unwind/symbolizer.h"
#include "unwind/unwinder.h"

// libunwind's own search of a remote .eh_frame_hdr table (what its ptrace helper
// uses). Exported by libunwind-x86_64 (libunwind-generic) but not declared in its
// headers; the declaration is that of libunwind's include/dwarf.h.
extern "C" int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip,
                                                  unw_dyn_info_t* di, unw_proc_info_t* pi,
                                                  int need_unwind_info, void* arg);

namespace ukstack::unwind {

namespace {

// Search tables built in our memory (eh_frame_index) that libunwind reads like the
// target's own .eh_frame_hdr table, through access_mem: each gets an address no
// user memory has (x86-64 user addresses stay below 2^57), where access_mem serves
// its words instead of reading the target.
class LocalTables {
 public:
  // The address at which `entries` are served from now on.
  std::uint64_t add(std::vector<std::int32_t> entries) {
    tables_.push_back(std::move(entries));
    return kBase + ((tables_.size() - 1) << kSlotBits);
  }
  bool contains(std::uint64_t address) const {
    return address >= kBase && ((address - kBase) >> kSlotBits) < tables_.size();
  }
  // An aligned word of a table (libunwind reads memory a word at a time).
  bool read_word(std::uint64_t address, std::uint64_t& word) const {
    if (!contains(address)) return false;
    const auto& table = tables_[(address - kBase) >> kSlotBits];
    const std::uint64_t offset = (address - kBase) & ((std::uint64_t{1} << kSlotBits) - 1);
    const std::uint64_t size = table.size() * sizeof(std::int32_t);
    if (offset > size || size - offset < sizeof word) return false;
    std::memcpy(&word, reinterpret_cast<const char*>(table.data()) + offset, sizeof word);
    return true;
  }

 private:
  static constexpr std::uint64_t kBase = std::uint64_t{1} << 60;
  static constexpr unsigned kSlotBits = 36;  // 64 GiB a table: far more than any needs
  std::vector<std::vector<std::int32_t>> tables_;
};

class LibunwindUnwinder final : public Unwinder {
 public:
  LibunwindUnwinder(std::unique_ptr<DwflSession> session, const AddressSpace& memory,
                    UnwindOptions options)
      : session_(std::move(session)),
        symbolizer_(session_->get(), options.inlines),
        memory_(memory),
        options_(std::move(options)) {
    symbolizer_.set_mappings(&session_->mappings());
  }
  ~LibunwindUnwinder() override;
  LibunwindUnwinder(const LibunwindUnwinder&) = delete;
  LibunwindUnwinder& operator=(const LibunwindUnwinder&) = delete;

  Status open();
  std::string_view method() const override { return "libunwind"; }
  UnwoundStack unwind(const ThreadSample& sample) override;
  std::vector<UnwoundFrame> describe(RemoteAddr pc, bool is_activation) override {
    std::vector<UnwoundFrame> frames;
    append_frames(symbolizer_.lookup(pc.value(), is_activation), pc.value(), is_activation, frames);
    return frames;
  }

  // libunwind's accessors. The unwinder in charge is found through `current_`, set
  // for the duration of one unwind() on this thread. They never throw.
  static int find_proc_info(unw_addr_space_t, unw_word_t ip, unw_proc_info_t*, int need_unwind_info,
                            void*);
  static void put_unwind_info(unw_addr_space_t, unw_proc_info_t*, void*);
  static int get_dyn_info_list_addr(unw_addr_space_t, unw_word_t* addr, void*);
  static int access_mem(unw_addr_space_t, unw_word_t addr, unw_word_t* value, int write, void*);
  static int access_reg(unw_addr_space_t, unw_regnum_t regnum, unw_word_t* value, int write, void*);
  static int access_fpreg(unw_addr_space_t, unw_regnum_t, unw_fpreg_t*, int, void*);
  static int resume(unw_addr_space_t, unw_cursor_t*, void*);
  static int get_proc_name(unw_addr_space_t, unw_word_t, char*, size_t, unw_word_t*, void*);

 private:
  static thread_local LibunwindUnwinder* current_;

  // The .eh_frame_hdr search table of the module containing `ip`, as libunwind
  // wants it, or one built from its .eh_frame when it was linked without (gcc's
  // -static); none for a module without .eh_frame (Go's static binaries:
  // .debug_frame only) or an address outside every module. Cached per module.
  unw_dyn_info_t* unwind_table_for(unw_word_t ip);
  std::optional<unw_dyn_info_t> built_table(Dwfl_Module* module);

  std::unique_ptr<DwflSession> session_;
  Symbolizer symbolizer_;
  SampleMemory memory_;
  UnwindOptions options_;
  unw_accessors_t accessors_{};
  unw_addr_space_t address_space_ = nullptr;
  const ThreadSample* sample_ = nullptr;
  std::unordered_map<Dwfl_Module*, std::optional<unw_dyn_info_t>> tables_;
  LocalTables local_tables_;
};

thread_local LibunwindUnwinder* LibunwindUnwinder::current_ = nullptr;

LibunwindUnwinder::~LibunwindUnwinder() {
  if (address_space_ != nullptr) unw_destroy_addr_space(address_space_);
}

Status LibunwindUnwinder::open() {
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
  return {};
}

// The size of a value in an .eh_frame_hdr field with this DW_EH_PE encoding; 0 for
// the variable-length (LEB128) ones, never used there in practice.
std::size_t encoded_size(unsigned encoding) {
  switch (encoding & 0x0f) {
    case DW_EH_PE_absptr:
    case DW_EH_PE_udata8:
    case DW_EH_PE_sdata8:
      return 8;
    case DW_EH_PE_udata4:
    case DW_EH_PE_sdata4:
      return 4;
    case DW_EH_PE_udata2:
    case DW_EH_PE_sdata2:
      return 2;
    default:
      return 0;
  }
}

// The module's PT_GNU_EH_FRAME segment (.eh_frame_hdr) read from its ELF file (the
// one DwflSession opened: map_files or inside the target's root), turned into the
// table description libunwind's own ptrace helper builds from the file at the
// maps path (src/dwarf/Gfind_proc_info-lsb.c). The header is 4 encoding bytes, the
// encoded .eh_frame pointer and FDE count, then the table: (initial location, FDE
// address) pairs, sdata4 relative to the header, which libunwind binary-searches
// in target memory through access_mem.
std::optional<unw_dyn_info_t> eh_frame_hdr_table(Dwfl_Module* module) {
  Dwarf_Addr bias = 0;
  Elf* elf = dwfl_module_getelf(module, &bias);
  std::size_t count = 0;
  if (elf == nullptr || elf_getphdrnum(elf, &count) != 0) return std::nullopt;
  for (std::size_t i = 0; i < count; ++i) {
    GElf_Phdr phdr;
    if (gelf_getphdr(elf, static_cast<int>(i), &phdr) == nullptr || phdr.p_type != PT_GNU_EH_FRAME)
      continue;
    Elf_Data* data =
        elf_getdata_rawchunk(elf, static_cast<int64_t>(phdr.p_offset), phdr.p_filesz, ELF_T_BYTE);
    if (data == nullptr || data->d_size < 4) return std::nullopt;
    const auto* hdr = static_cast<const unsigned char*>(data->d_buf);
    const unsigned version = hdr[0], eh_frame_ptr_enc = hdr[1], fde_count_enc = hdr[2],
                   table_enc = hdr[3];
    const std::size_t eh_frame_ptr_size = encoded_size(eh_frame_ptr_enc);
    const std::size_t fde_count_size = encoded_size(fde_count_enc);
    // As libunwind: only a search table of sdata4 entries relative to the header.
    if (version != 1 || table_enc != (DW_EH_PE_datarel | DW_EH_PE_sdata4) ||
        eh_frame_ptr_size == 0 || (fde_count_size != 4 && fde_count_size != 8) ||
        (fde_count_enc & 0x70) != DW_EH_PE_absptr ||
        data->d_size < 4 + eh_frame_ptr_size + fde_count_size) {
      return std::nullopt;
    }
    std::uint64_t fde_count = 0;
    if (fde_count_size == 4) {
      std::uint32_t count32 = 0;
      std::memcpy(&count32, hdr + 4 + eh_frame_ptr_size, sizeof count32);
      fde_count = count32;
    } else {
      std::memcpy(&fde_count, hdr + 4 + eh_frame_ptr_size, sizeof fde_count);
    }
    const std::uint64_t table_offset = 4 + eh_frame_ptr_size + fde_count_size;
    if (fde_count == 0 || fde_count > (data->d_size - table_offset) / 8) return std::nullopt;

    Dwarf_Addr low = 0, high = 0;
    dwfl_module_info(module, nullptr, &low, &high, nullptr, nullptr, nullptr, nullptr);
    unw_dyn_info_t info{};
    info.format = UNW_INFO_FORMAT_REMOTE_TABLE;
    info.start_ip = low;
    info.end_ip = high;
    info.gp = 0;  // x86-64 FDEs use no data-relative pointers
    const std::uint64_t hdr_address = bias + phdr.p_vaddr;
    info.u.rti.segbase = hdr_address;
    info.u.rti.table_data = hdr_address + table_offset;
    // In words, as libunwind counts it: one 8-byte entry per FDE.
    info.u.rti.table_len = fde_count * 8 / sizeof(unw_word_t);
    return info;
  }
  return std::nullopt;
}

unw_dyn_info_t* LibunwindUnwinder::unwind_table_for(unw_word_t ip) {
  Dwfl_Module* module = dwfl_addrmodule(session_->get(), ip);
  if (module == nullptr) return nullptr;
  auto [it, inserted] = tables_.try_emplace(module);
  if (inserted) {
    it->second = eh_frame_hdr_table(module);
    if (!it->second) it->second = built_table(module);
  }
  if (!it->second || ip < it->second->start_ip || ip >= it->second->end_ip) return nullptr;
  return &*it->second;
}

std::optional<unw_dyn_info_t> LibunwindUnwinder::built_table(Dwfl_Module* module) {
  Dwarf_Addr bias = 0;
  Elf* elf = dwfl_module_getelf(module, &bias);
  auto index = elf != nullptr ? eh_frame_index(elf, bias) : std::nullopt;
  if (!index) return std::nullopt;
  Dwarf_Addr low = 0, high = 0;
  dwfl_module_info(module, nullptr, &low, &high, nullptr, nullptr, nullptr, nullptr);
  unw_dyn_info_t info{};
  info.format = UNW_INFO_FORMAT_REMOTE_TABLE;
  info.start_ip = low;
  info.end_ip = high;
  info.gp = 0;
  // The entries are offsets from .eh_frame's address, the FDEs are in target memory.
  info.u.rti.segbase = index->base;
  info.u.rti.table_len = index->size() * 8 / sizeof(unw_word_t);
  info.u.rti.table_data = local_tables_.add(std::move(index->entries));
  return info;
}

int LibunwindUnwinder::find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t* info,
                                      int need_unwind_info, void* arg) {
  if (current_ == nullptr) return -UNW_EINVAL;
  unw_dyn_info_t* table = current_->unwind_table_for(ip);
  if (table == nullptr) return -UNW_ENOINFO;  // libunwind then tries the rbp chain
  return _Ux86_64_dwarf_search_unwind_table(as, ip, table, info, need_unwind_info, arg);
}

void LibunwindUnwinder::put_unwind_info(unw_addr_space_t, unw_proc_info_t*, void*) {
  // Nothing to free. What the table search allocates (pi->unwind_info, format
  // UNW_INFO_FORMAT_TABLE) comes from libunwind's own pool, and libunwind 1.6
  // gives it back itself (dwarf/Gparser.c put_unwind_info: mempool_free); it calls
  // this accessor only for dynamically registered info, which we never report.
  // Freeing here as well would free it twice.
}

int LibunwindUnwinder::get_dyn_info_list_addr(unw_addr_space_t, unw_word_t*, void*) {
  // The dynamic unwind-info registry (_U_dyn_register, used by few JITs) is not
  // looked for: finding it means reading the target's symbols through ptrace.
  return -UNW_ENOINFO;
}

int LibunwindUnwinder::access_mem(unw_addr_space_t, unw_word_t addr, unw_word_t* value, int write,
                                  void*) {
  if (current_ == nullptr || write != 0) return -UNW_EINVAL;  // never writes to the target
  std::uint64_t word = 0;
  if (current_->local_tables_.contains(addr)) {
    if (!current_->local_tables_.read_word(addr, word)) return -UNW_EINVAL;
  } else if (!current_->memory_.read_word(addr, word)) {
    return -UNW_EINVAL;
  }
  *value = word;
  return 0;
}

int LibunwindUnwinder::access_reg(unw_addr_space_t, unw_regnum_t regnum, unw_word_t* value,
                                  int write, void*) {
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

int LibunwindUnwinder::get_proc_name(unw_addr_space_t, unw_word_t, char*, size_t, unw_word_t*,
                                     void*) {
  return -UNW_ENOINFO;  // names come from the Symbolizer
}

// Whether unw_step will unwind the cursor's frame by its CFI: the same lookup
// (through find_proc_info, at pc - 1 for a caller) that unw_step makes. Without
// CFI it follows the rbp chain instead (x86_64/Gstep.c). unw_get_proc_info
// reports a lookup that found nothing as a zeroed info one byte long, not as an
// error; a found FDE has the DWARF table format.
bool has_unwind_info(unw_cursor_t& cursor) {
  unw_proc_info_t info{};
  return unw_get_proc_info(&cursor, &info) == 0 && info.format == UNW_INFO_FORMAT_TABLE;
}

UnwoundStack LibunwindUnwinder::unwind(const ThreadSample& sample) {
  UnwoundStack stack;
  sample_ = &sample;
  memory_.begin(&sample.stack);
  current_ = this;

  struct Found {
    std::uint64_t pc;
    bool is_activation;
    FoundBy found_by;
  };
  std::vector<Found> pcs;
  std::optional<std::string> error;
  unw_cursor_t cursor;
  int result = unw_init_remote(&cursor, address_space_, nullptr);
  if (result < 0) {
    error = std::string("libunwind cannot start the unwind: ") + unw_strerror(result);
  }
  bool next_is_activation = true;  // the innermost frame's pc is the instruction itself
  FoundBy next_found_by = FoundBy::Context;
  unw_word_t previous_pc = 0, previous_sp = 0;
  while (result >= 0) {
    unw_word_t pc = 0, sp = 0;
    if (unw_get_reg(&cursor, UNW_REG_IP, &pc) < 0 || pc == 0) break;
    unw_get_reg(&cursor, UNW_REG_SP, &sp);
    // Without unwind info libunwind guesses through rbp; a guess that lands on the
    // same frame again would repeat for ever.
    if (!pcs.empty() && pc == previous_pc && sp == previous_sp) {
      error =
          "unwind stopped: the frame at " + hex(pc) + " unwinds to itself (no usable unwind info)";
      break;
    }
    previous_pc = pc;
    previous_sp = sp;
    pcs.push_back({pc, next_is_activation, next_found_by});
    if (pcs.size() >= options_.max_frames) {
      error = "stack deeper than " + std::to_string(options_.max_frames) + " frames; cut there";
      break;
    }
    // Below a signal frame the pc is where the signal interrupted, not a return address.
    next_is_activation = unw_is_signal_frame(&cursor) > 0;
    next_found_by = has_unwind_info(cursor) ? FoundBy::Cfi : FoundBy::FramePointer;
    result = unw_step(&cursor);
    if (result < 0) error = std::string("unwind stopped: ") + unw_strerror(result);
  }

  current_ = nullptr;
  memory_.end();
  sample_ = nullptr;

  for (const auto& [pc, is_activation, found_by] : pcs) {
    append_frames(symbolizer_.lookup(pc, is_activation), pc, is_activation, stack.frames, found_by);
  }
  stack.error = std::move(error);
  stack.read_live_memory = memory_.read_beyond_copy();
  return stack;
}

}  // namespace

Result<std::unique_ptr<Unwinder>> open_libunwind_unwinder(LiveProcess process,
                                                          const UnwindOptions& options) {
  const int pid = process.pid;
  auto session = DwflSession::open_process(pid, std::move(process.mappings), options.debug_dirs,
                                           options.debuginfod_budget);
  if (!session) return session.error();
  auto unwinder =
      std::make_unique<LibunwindUnwinder>(std::move(*session), *process.memory, options);
  if (auto opened = unwinder->open(); !opened) return opened.error();
  return std::unique_ptr<Unwinder>(std::move(unwinder));
}

}  // namespace ukstack::unwind
