#include "unwind/python_program.h"

#include <gelf.h>

#include <cstring>
#include <regex>
#include <set>
#include <span>
#include <string_view>

#include "base/unique_fd.h"
#include "unwind/debug_types.h"
#include "unwind/dwfl_session.h"
#include "unwind/elf_file.h"
#include "unwind/go_runtime_layout.h"

namespace ukstack::unwind {

std::string PythonProgram::description() const {
  return "Python " + version.text() + ", layouts from " + layout_source;
}

std::optional<PythonVersion> python_version_from_file_name(const std::string& path) {
  const std::string_view name = std::string_view(path).substr(path.rfind('/') + 1);
  static const std::regex pattern(R"(^(lib)?python3\.(\d{1,2})[a-z]*(\.so.*)?$)");
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_match(name.begin(), name.end(), match, pattern)) return std::nullopt;
  return PythonVersion{3, std::stoi(match[2].str()), -1};
}

bool may_hold_python(std::string_view path) {
  const std::string_view name = path.substr(path.rfind('/') + 1);
  return name.starts_with("python3") || name.starts_with("libpython3");
}

namespace {

bool named_like_libc(std::string_view path) {
  const std::string_view name = path.substr(path.rfind('/') + 1);
  return name.starts_with("libc.so") || name.starts_with("libc-2.");
}

// The symbols a Python program is found and checked by, at link-time addresses.
struct PythonSymbols {
  std::optional<GElf_Sym> runtime;  // _PyRuntime
  std::optional<GElf_Sym> version;  // Py_Version (3.11+)
  std::optional<GElf_Sym> code_type;
  std::optional<GElf_Sym> unicode_type;
  std::optional<GElf_Sym> bytes_type;
};

// The symbols in .symtab, else .dynsym (a stripped interpreter keeps the latter:
// the runtime's globals are exported for extensions).
PythonSymbols find_python_symbols(Elf* elf) {
  PythonSymbols found;
  for (GElf_Word wanted_type : {SHT_SYMTAB, SHT_DYNSYM}) {
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
      GElf_Shdr header;
      if (gelf_getshdr(scn, &header) == nullptr || header.sh_type != wanted_type ||
          header.sh_entsize == 0) {
        continue;
      }
      Elf_Data* data = elf_getdata(scn, nullptr);
      if (data == nullptr) continue;
      const std::size_t count = header.sh_size / header.sh_entsize;
      for (std::size_t i = 0; i < count; ++i) {
        GElf_Sym symbol;
        if (gelf_getsym(data, static_cast<int>(i), &symbol) == nullptr ||
            symbol.st_shndx == SHN_UNDEF || symbol.st_value == 0) {
          continue;
        }
        const char* name = elf_strptr(elf, header.sh_link, symbol.st_name);
        if (name == nullptr || (name[0] != '_' && name[0] != 'P')) continue;
        const std::string_view view(name);
        if (view == "_PyRuntime") found.runtime = symbol;
        if (view == "Py_Version") found.version = symbol;
        if (view == "PyCode_Type") found.code_type = symbol;
        if (view == "PyUnicode_Type") found.unicode_type = symbol;
        if (view == "PyBytes_Type") found.bytes_type = symbol;
      }
    }
    if (found.runtime) return found;
  }
  return found;
}

// The allocated section holding [address, address + size): found by address, not
// by the symbol's st_shndx, which objcopy leaves stale in .dynsym when it removes a
// section before it.
Elf_Scn* section_at(Elf* elf, std::uint64_t address, std::uint64_t size, GElf_Shdr& header) {
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    if (gelf_getshdr(scn, &header) == nullptr || (header.sh_flags & SHF_ALLOC) == 0 ||
        header.sh_type == SHT_NOBITS) {
      continue;
    }
    if (address >= header.sh_addr && address - header.sh_addr + size <= header.sh_size) return scn;
  }
  return nullptr;
}

// Py_Version's value (PY_VERSION_HEX, an unsigned long in .rodata) from the file.
std::optional<PythonVersion> version_from_symbol(Elf* elf, const GElf_Sym& symbol) {
  GElf_Shdr header;
  Elf_Scn* scn = section_at(elf, symbol.st_value, 8, header);
  if (scn == nullptr) return std::nullopt;
  Elf_Data* data = elf_getdata(scn, nullptr);
  const std::uint64_t at = symbol.st_value - header.sh_addr;
  if (data == nullptr || data->d_buf == nullptr || at + 8 > data->d_size) return std::nullopt;
  std::uint64_t hex = 0;
  std::memcpy(&hex, static_cast<const char*>(data->d_buf) + at, sizeof hex);
  auto version = python_version_from_hex(hex);
  if (version.major != 3) return std::nullopt;
  return version;
}

// offsetof(struct pthread, tid) from libc's debug information, when it has it.
std::optional<std::uint64_t> pthread_tid_offset(const std::string& libc_path,
                                                const std::vector<std::string>& debug_dirs) {
  auto session = DwflSession::open_file(libc_path, debug_dirs);
  if (!session) return std::nullopt;
  auto tid = DebugTypes((*session)->get()).member("struct pthread", "tid");
  if (!tid || tid->size != 4) return std::nullopt;
  return tid->offset;
}

// One file that has _PyRuntime: everything about it but the layout.
struct Candidate {
  std::string path;        // to open it by
  std::string shown_path;  // as the process names it
  std::uint64_t bias = 0;
  PythonSymbols symbols;
  std::optional<PythonVersion> symbol_version;
};

// Picks the version and the layout (DWARF, debug offsets, table) and makes the program.
Result<PythonProgram> make_program(const Candidate& candidate, const AddressSpace& memory,
                                   const std::vector<std::string>& debug_dirs) {
  PythonProgram program;
  program.module = candidate.shown_path;
  program.runtime = RemoteAddr(candidate.symbols.runtime->st_value + candidate.bias);
  auto at_runtime = [&](const std::optional<GElf_Sym>& symbol) -> std::optional<RemoteAddr> {
    if (!symbol) return std::nullopt;
    return RemoteAddr(symbol->st_value + candidate.bias);
  };
  program.code_type = at_runtime(candidate.symbols.code_type);
  program.unicode_type = at_runtime(candidate.symbols.unicode_type);
  program.bytes_type = at_runtime(candidate.symbols.bytes_type);

  std::vector<std::byte> runtime_start(kPythonDebugOffsetsSize);
  auto read = memory.read(program.runtime, runtime_start);
  runtime_start.resize(read ? *read : 0);
  const auto offsets_version = python_debug_offsets_version(runtime_start);

  std::optional<PythonVersion> version = candidate.symbol_version;
  if (!version) version = offsets_version;
  if (!version) version = python_version_from_file_name(candidate.shown_path);
  if (!version) {
    return Error{0, candidate.shown_path +
                        " has CPython's _PyRuntime but no version ukstack can find "
                        "(no Py_Version, no _Py_DebugOffsets, no version in its name)"};
  }
  program.version = *version;
  const std::string what = "Python " + version->text() + " (" + candidate.shown_path + ")";

  // Why the debug information gave no layout, for the error when nothing else does.
  std::string without_dwarf = "no debug information";
  if (auto session = DwflSession::open_file(candidate.path, debug_dirs)) {
    DebugTypes types((*session)->get());
    auto layout = python_layout_from_debug_info(types, *version);
    if (layout) {
      program.layout = std::move(*layout);
      program.layout_source = "debug info";
      return program;
    }
    without_dwarf = layout.error().message;
  }
  if (offsets_version) {
    auto layout = python_layout_from_debug_offsets(runtime_start);
    if (!layout) return Error{0, what + ": " + layout.error().message + " (" + without_dwarf + ")"};
    program.layout = std::move(*layout);
    program.layout_source = "_Py_DebugOffsets";
    return program;
  }
  auto layout = python_layout_from_table(*version);
  if (!layout) {
    return Error{0, what + ": " + layout.error().message + " (" + without_dwarf +
                        (version->minor >= 13 ? ", and _PyRuntime has no _Py_DebugOffsets)" : ")")};
  }
  program.layout = std::move(*layout);
  program.layout_source =
      "built-in table for " + std::to_string(version->major) + "." + std::to_string(version->minor);
  return program;
}

// The candidate in the ELF file `elf`, when it has _PyRuntime.
std::optional<Candidate> candidate_in(Elf* elf, std::string path, std::string shown_path) {
  PythonSymbols symbols = find_python_symbols(elf);
  if (!symbols.runtime) return std::nullopt;
  Candidate candidate;
  candidate.path = std::move(path);
  candidate.shown_path = std::move(shown_path);
  if (symbols.version) candidate.symbol_version = version_from_symbol(elf, *symbols.version);
  candidate.symbols = symbols;
  return candidate;
}

}  // namespace

Result<std::optional<PythonProgram>> find_python_program(
    const std::vector<procfs::Mapping>& mappings, const std::string& file_prefix,
    const AddressSpace& memory, const std::vector<std::string>& debug_dirs) {
  std::set<std::string> looked_at;
  std::string libc;
  bool first_file = true;
  std::optional<Candidate> found;
  for (const auto& mapping : mappings) {
    if (mapping.path.empty() || mapping.path[0] != '/' || mapping.deleted) continue;
    const bool executable = std::exchange(first_file, false);
    if (named_like_libc(mapping.path)) libc = mapping.path;
    if (found || !looked_at.insert(mapping.path).second) continue;
    if (!executable && !may_hold_python(mapping.path)) continue;
    UniqueFd fd;
    auto elf = open_elf(file_prefix + mapping.path, "file", fd);
    if (!elf) continue;
    found = candidate_in(elf->get(), file_prefix + mapping.path, mapping.path);
    if (!found) continue;
    auto bias = executable_load_bias(found->path, mappings);
    if (!bias) {
      return Error{
          0, "cannot place " + mapping.path + " (CPython) in the process: " + bias.error().message};
    }
    found->bias = *bias;
  }
  if (!found) return std::optional<PythonProgram>();
  auto program = make_program(*found, memory, debug_dirs);
  if (!program) return program.error();
  if (!program->layout.tstate_native_thread_id && !libc.empty()) {
    if (auto offset = pthread_tid_offset(file_prefix + libc, debug_dirs)) {
      program->pthread_tid_offset = *offset;
      program->pthread_tid_source = "libc's debug info";
    }
  }
  return std::optional(std::move(*program));
}

namespace {

struct CoreModules {
  std::optional<Candidate> found;
  std::string libc;  // the file of the core's libc, when there is one
};

int visit_core_module(Dwfl_Module* module, void**, const char* name, Dwarf_Addr, void* arg) {
  auto& modules = *static_cast<CoreModules*>(arg);
  if (modules.found || name == nullptr) return DWARF_CB_OK;
  Dwarf_Addr bias = 0;
  Elf* elf = dwfl_module_getelf(module, &bias);
  // The file to read the DWARF of: the one libdw opened, else the path the core
  // names (this machine's file there, as CoreAddressSpace reads it).
  const char* main_file = nullptr;
  dwfl_module_info(module, nullptr, nullptr, nullptr, nullptr, nullptr, &main_file, nullptr);
  std::string path = main_file != nullptr ? main_file : name[0] == '/' ? name : "";
  if (named_like_libc(name)) modules.libc = path;
  if (elf == nullptr) return DWARF_CB_OK;
  // The executable is the module with a program interpreter (PT_INTERP), or a
  // static one (ET_EXEC); libraries only when named like libpython3.
  bool executable = false;
  GElf_Ehdr ehdr;
  if (gelf_getehdr(elf, &ehdr) != nullptr) {
    executable = ehdr.e_type == ET_EXEC;
    std::size_t count = 0;
    if (elf_getphdrnum(elf, &count) == 0) {
      for (std::size_t i = 0; i < count && !executable; ++i) {
        GElf_Phdr phdr;
        executable =
            gelf_getphdr(elf, static_cast<int>(i), &phdr) != nullptr && phdr.p_type == PT_INTERP;
      }
    }
  }
  if (!executable && !may_hold_python(name)) return DWARF_CB_OK;
  auto candidate = candidate_in(elf, std::move(path), name);
  if (!candidate) return DWARF_CB_OK;
  candidate->bias = bias;
  modules.found = std::move(candidate);
  return DWARF_CB_OK;
}

}  // namespace

Result<std::optional<PythonProgram>> find_python_program(Dwfl* dwfl, const AddressSpace& memory) {
  CoreModules modules;
  if (dwfl_getmodules(dwfl, &visit_core_module, &modules, 0) == -1) {
    return Error{0, "cannot list the modules of the core: " + libdw_error()};
  }
  if (!modules.found) return std::optional<PythonProgram>();
  auto program = make_program(*modules.found, memory, {});
  if (!program) return program.error();
  if (!program->layout.tstate_native_thread_id && !modules.libc.empty()) {
    if (auto offset = pthread_tid_offset(modules.libc, {})) {
      program->pthread_tid_offset = *offset;
      program->pthread_tid_source = "libc's debug info";
    }
  }
  return std::optional(std::move(*program));
}

}  // namespace ukstack::unwind
