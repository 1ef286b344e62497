#include "unwind/go_runtime_layout.h"

#include <gelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/unique_fd.h"
#include "unwind/dwfl_session.h"
#include "unwind/elf_file.h"

namespace ukstack::unwind {

namespace {

constexpr const char* kG = "runtime.g";
constexpr const char* kM = "runtime.m";

Result<GoField> integer_field(const DebugTypes& types, std::string_view type_name,
                              const std::string& path) {
  auto member = types.member(type_name, path);
  if (!member) return member.error();
  if (member->aggregate ||
      (member->size != 1 && member->size != 2 && member->size != 4 && member->size != 8)) {
    return Error{0, std::string(type_name) + "." + path + " is " + member->type_name + " (" +
                        std::to_string(member->size) + " bytes), not an integer ukstack can read"};
  }
  return GoField{member->offset, member->size};
}

// Fills each field, or stops at the first one the binary does not describe.
Status fill(const DebugTypes& types, std::string_view type_name,
            std::initializer_list<std::pair<GoField*, const char*>> fields) {
  for (auto [field, path] : fields) {
    auto found = go_integer_field(types, type_name, path);
    if (!found) return found.error();
    *field = *found;
  }
  return {};
}

Result<RemoteAddr> biased_global(const DebugTypes& types, std::string_view name,
                                 std::uint64_t load_bias) {
  auto address = types.global_address(name);
  if (!address) return address.error();
  return *address + load_bias;
}

// The statuses the runtime defines as runtime._G<name> constants. The names are
// those Go's own traceback prints ("goroutine 1 [IO wait]" aside, "runnable",
// "running", "syscall", "waiting", "dead"...); one the binary lacks stays unnamed.
void load_status_names(const DebugTypes& types, GoRuntimeLayout& layout) {
  for (const char* name :
       {"idle", "runnable", "running", "syscall", "waiting", "dead", "copystack", "preempted"}) {
    auto value = types.constant(std::string("runtime._G") + name);
    if (value && *value >= 0) layout.status_names[static_cast<std::uint32_t>(*value)] = name;
  }
  if (auto scan = types.constant("runtime._Gscan"); scan && *scan > 0) {
    layout.scan_bit = static_cast<std::uint32_t>(*scan);
  }
}

}  // namespace

Result<GoField> go_integer_field(const DebugTypes& types, std::string_view type_name,
                                 const std::string& path) {
  if (auto wrapped = integer_field(types, type_name, path + ".value")) return wrapped;
  return integer_field(types, type_name, path);
}

Status check_go_runtime_layout(const GoRuntimeLayout& layout) {
  auto readable = [](const GoField& field, std::uint64_t struct_size) {
    const bool sized = field.size == 1 || field.size == 2 || field.size == 4 || field.size == 8;
    return sized && field.offset <= struct_size && field.size <= struct_size - field.offset;
  };
  const std::uint64_t slice_size = 3 * layout.pointer_size;  // array, len, cap
  const struct {
    const GoField& field;
    std::uint64_t struct_size;
    const char* name;
  } fields[] = {
      {layout.slice_array, slice_size, "the array of runtime.allgs"},
      {layout.slice_len, slice_size, "the length of runtime.allgs"},
      {layout.string_data, layout.string_size, "string.str"},
      {layout.string_len, layout.string_size, "string.len"},
      {layout.goid, layout.g_size, "runtime.g.goid"},
      {layout.status, layout.g_size, "runtime.g.atomicstatus"},
      {layout.wait_reason, layout.g_size, "runtime.g.waitreason"},
      {layout.wait_since, layout.g_size, "runtime.g.waitsince"},
      {layout.gopc, layout.g_size, "runtime.g.gopc"},
      {layout.start_pc, layout.g_size, "runtime.g.startpc"},
      {layout.sched_pc, layout.g_size, "runtime.g.sched.pc"},
      {layout.sched_sp, layout.g_size, "runtime.g.sched.sp"},
      {layout.sched_bp, layout.g_size, "runtime.g.sched.bp"},
      {layout.syscall_sp, layout.g_size, "runtime.g.syscallsp"},
      {layout.syscall_pc, layout.g_size, "runtime.g.syscallpc"},
      {layout.m, layout.g_size, "runtime.g.m"},
      {layout.stack_hi, layout.g_size, "runtime.g.stack.hi"},
      {layout.m_procid, layout.m_size, "runtime.m.procid"},
  };
  if (layout.pointer_size != 4 && layout.pointer_size != 8) {
    return Error{0, "Go pointers of " + std::to_string(layout.pointer_size) +
                        " bytes: not a layout ukstack can read"};
  }
  for (const auto& [field, struct_size, name] : fields) {
    if (!readable(field, struct_size)) {
      return Error{0, std::string("the debug information gives ") + name + " " +
                          std::to_string(field.size) + " bytes at offset " +
                          std::to_string(field.offset) + " of " + std::to_string(struct_size) +
                          ": not a layout ukstack can read"};
    }
  }
  if (layout.allm &&
      (!readable(layout.m_alllink, layout.m_size) || !readable(layout.m_curg, layout.m_size))) {
    return Error{0,
                 "the debug information gives runtime.m.alllink or runtime.m.curg outside "
                 "runtime.m: not a layout ukstack can read"};
  }
  if (layout.allglen && layout.allglen_size != 4 && layout.allglen_size != 8) {
    return Error{0, "runtime.allglen is not a 4- or 8-byte integer"};
  }
  return {};
}

Result<GoRuntimeLayout> load_go_runtime_layout(const DebugTypes& types, std::uint64_t load_bias) {
  GoRuntimeLayout layout;
  auto allgs = biased_global(types, "runtime.allgs", load_bias);
  if (!allgs) return allgs.error();
  layout.allgs = *allgs;
  if (auto allglen = biased_global(types, "runtime.allglen", load_bias)) {
    auto size = types.variable_size("runtime.allglen");
    if (size && (*size == 4 || *size == 8)) {
      layout.allglen = *allglen;
      layout.allglen_size = *size;
    }
  }
  // The slice header's layout, from allgs's own type.
  if (auto status =
          fill(types, "[]*runtime.g", {{&layout.slice_array, "array"}, {&layout.slice_len, "len"}});
      !status) {
    return status.error();
  }
  auto pointer = types.member(kG, "m");
  if (!pointer) return pointer.error();
  layout.pointer_size = pointer->size;

  auto reasons = biased_global(types, "runtime.waitReasonStrings", load_bias);
  if (!reasons) return reasons.error();
  layout.wait_reason_strings = *reasons;
  auto string_size = types.type_size("string");
  auto reasons_size = types.variable_size("runtime.waitReasonStrings");
  if (!string_size) return string_size.error();
  if (!reasons_size) return reasons_size.error();
  if (*string_size == 0) return Error{0, "Go's string type has no size in the debug information"};
  layout.string_size = *string_size;
  layout.wait_reason_count = *reasons_size / *string_size;
  if (auto status =
          fill(types, "string", {{&layout.string_data, "str"}, {&layout.string_len, "len"}});
      !status) {
    return status.error();
  }

  auto g_size = types.type_size(kG);
  if (!g_size) return g_size.error();
  layout.g_size = *g_size;
  if (auto status = fill(types, kG,
                         {{&layout.goid, "goid"},
                          {&layout.status, "atomicstatus"},
                          {&layout.wait_reason, "waitreason"},
                          {&layout.wait_since, "waitsince"},
                          {&layout.gopc, "gopc"},
                          {&layout.start_pc, "startpc"},
                          {&layout.sched_pc, "sched.pc"},
                          {&layout.sched_sp, "sched.sp"},
                          {&layout.sched_bp, "sched.bp"},
                          {&layout.syscall_sp, "syscallsp"},
                          {&layout.syscall_pc, "syscallpc"},
                          {&layout.m, "m"},
                          {&layout.stack_hi, "stack.hi"}});
      !status) {
    return status.error();
  }
  auto m_size = types.type_size(kM);
  if (!m_size) return m_size.error();
  layout.m_size = *m_size;
  if (auto status = fill(types, kM, {{&layout.m_procid, "procid"}}); !status) {
    return status.error();
  }
  if (auto allm = biased_global(types, "runtime.allm", load_bias);
      allm && fill(types, kM, {{&layout.m_alllink, "alllink"}, {&layout.m_curg, "curg"}})) {
    layout.allm = *allm;
  }
  load_status_names(types, layout);
  if (auto usable = check_go_runtime_layout(layout); !usable) return usable.error();
  return layout;
}

Result<GoRuntimeLayout> load_go_runtime_layout(const std::string& exe_path,
                                               std::uint64_t load_bias) {
  auto session = DwflSession::open_file(exe_path, {});
  if (!session) return session.error();
  // libdw places a lone PIE at a base of its own choosing: take that back out
  // before adding ours.
  const Dwarf_Addr placed = (*session)->file_placement();
  DebugTypes types((*session)->get());
  // Unsigned arithmetic: the sum is right modulo 2^64 whichever is larger.
  auto layout = load_go_runtime_layout(types, load_bias - placed);
  if (!layout) {
    return Error{layout.error().errnum,
                 "cannot read the goroutines of " + exe_path + ": " + layout.error().message};
  }
  return layout;
}

Result<GoRuntimeLayout> load_core_go_runtime_layout(const CorePath& core_path,
                                                    const std::string& exe_path,
                                                    const std::string& sysroot) {
  auto session = DwflSession::open_core(core_path, exe_path, {}, std::chrono::milliseconds(0),
                                        /*attach_threads=*/false, sysroot);
  if (!session) return session.error();
  DebugTypes types((*session)->get());
  auto layout = load_go_runtime_layout(types, 0);
  if (!layout) {
    return Error{layout.error().errnum, "cannot read the goroutines of core file " +
                                            core_path.shown + ": " + layout.error().message};
  }
  return layout;
}

namespace {

// Whether the ELF file at `path` has a section of one of these names.
bool has_any_section(const std::string& path, std::initializer_list<std::string_view> wanted) {
  UniqueFd fd;
  auto elf = open_elf(path, "executable", fd);
  if (!elf) return false;
  std::size_t names = 0;
  if (elf_getshdrstrndx(elf->get(), &names) != 0) return false;
  for (Elf_Scn* section = elf_nextscn(elf->get(), nullptr); section != nullptr;
       section = elf_nextscn(elf->get(), section)) {
    GElf_Shdr header;
    if (gelf_getshdr(section, &header) == nullptr) continue;
    const char* name = elf_strptr(elf->get(), names, header.sh_name);
    if (name == nullptr) continue;
    if (std::ranges::find(wanted, std::string_view(name)) != wanted.end()) return true;
  }
  return false;
}

}  // namespace

bool is_go_executable(const std::string& exe_path) {
  return has_any_section(exe_path, {".go.buildinfo", ".gopclntab", ".data.rel.ro.gopclntab"});
}

bool has_debug_info(const std::string& exe_path) {
  return has_any_section(exe_path, {".debug_info", ".zdebug_info"});
}

Result<std::uint64_t> executable_load_bias(const std::string& exe_path,
                                           const std::vector<procfs::Mapping>& mappings) {
  UniqueFd fd;
  auto elf = open_elf(exe_path, "executable", fd);
  if (!elf) return elf.error();
  GElf_Ehdr ehdr;
  if (gelf_getehdr(elf->get(), &ehdr) == nullptr) {
    return Error{0, "executable " + exe_path + " has no ELF header"};
  }
  if (ehdr.e_type == ET_EXEC) return std::uint64_t{0};

  // The first PT_LOAD's page, as the loader maps it at file offset 0.
  std::size_t count = 0;
  if (elf_getphdrnum(elf->get(), &count) != 0) {
    return Error{0, "executable " + exe_path + " has no program headers"};
  }
  std::optional<std::uint64_t> first_load;
  for (std::size_t i = 0; i < count; ++i) {
    GElf_Phdr phdr;
    if (gelf_getphdr(elf->get(), static_cast<int>(i), &phdr) == nullptr) continue;
    if (phdr.p_type != PT_LOAD) continue;
    const std::uint64_t page = phdr.p_vaddr - phdr.p_offset;  // the vaddr of file offset 0
    if (!first_load || page < *first_load) first_load = page;
  }
  if (!first_load) return Error{0, "executable " + exe_path + " has no loadable segment"};

  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno(errno, "cannot stat " + exe_path);
  for (const auto& mapping : mappings) {
    if (mapping.inode == st.st_ino && mapping.offset == 0) {
      return mapping.start.value() - *first_load;
    }
  }
  return Error{0, "executable " + exe_path + " is not mapped in the process"};
}

}  // namespace ukstack::unwind
