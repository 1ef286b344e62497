#include "unwind/symbolizer.h"

#include <cxxabi.h>
#include <elfutils/libdwfl.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "unwind/go_pclntab_file.h"
#include "unwind/inline_frames.h"

namespace ukstack::unwind {

std::string demangle(const char* name) {
  if (name == nullptr) return {};
  if (name[0] != '_' || name[1] != 'Z') return name;
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> demangled(
      abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
  return status == 0 && demangled ? std::string(demangled.get()) : std::string(name);
}

std::string without_symbol_version(const char* name) {
  // "pthread_cond_wait@@GLIBC_2.3.2" -> "pthread_cond_wait": the version is ELF
  // plumbing, not part of the function's name.
  std::string text(name);
  if (auto at = text.find('@'); at != std::string::npos && at > 0) text.resize(at);
  return text;
}

std::string without_go_abi_suffix(std::string name) {
  // ".abi0" (assembly, ABI0) and ".abiinternal"; only a digit or "internal" after
  // ".abi", so a C++ or C name that merely contains ".abi" is left alone.
  auto dot = name.rfind(".abi");
  if (dot == std::string::npos || dot == 0) return name;
  std::string_view tail = std::string_view(name).substr(dot + 4);
  bool abi = tail == "internal" ||
             (!tail.empty() && tail.find_first_not_of("0123456789") == std::string_view::npos);
  if (abi) name.resize(dot);
  return name;
}

std::string anonymous_module_name(const std::vector<procfs::Mapping>& mappings,
                                  std::uint64_t address) {
  for (const auto& mapping : mappings) {
    if (address < mapping.start.value() || address >= mapping.end.value()) continue;
    if (mapping.path.empty()) return "[anon]";
    return mapping.deleted ? mapping.path + " (deleted)" : mapping.path;
  }
  return {};
}

bool in_anonymous_code(const std::vector<procfs::Mapping>& mappings, std::uint64_t address) {
  // Asked for most addresses, of processes with thousands of mappings (two per
  // thread stack): by binary search, as /proc/<pid>/maps lists them by address.
  auto after = std::upper_bound(mappings.begin(), mappings.end(), address,
                                [](std::uint64_t value, const procfs::Mapping& mapping) {
                                  return value < mapping.start.value();
                                });
  if (after == mappings.begin()) return false;
  const procfs::Mapping& mapping = *std::prev(after);
  return address < mapping.end.value() && mapping.perms.size() > 2 && mapping.perms[2] == 'x' &&
         (mapping.path.empty() || mapping.path.front() != '/');
}

std::string module_build_id(Dwfl_Module* module) {
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  const int length = dwfl_module_build_id(module, &bits, &vaddr);
  std::string hex;
  if (length <= 0 || bits == nullptr) return hex;
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 0; i < length; ++i) {
    hex += kDigits[bits[i] >> 4];
    hex += kDigits[bits[i] & 0xf];
  }
  return hex;
}

const Symbol& Symbolizer::lookup(std::uint64_t pc, bool is_activation) {
  std::uint64_t address = is_activation || pc == 0 ? pc : pc - 1;
  auto it = cache_.find(address);
  if (it == cache_.end()) it = cache_.emplace(address, resolve(address)).first;
  return it->second;
}

Symbol Symbolizer::resolve(std::uint64_t address) {
  Symbol symbol;
  Dwfl_Module* module = dwfl_addrmodule(dwfl_, address);
  // libdwfl gives a module every address from its first mapping to its last: JIT
  // code in anonymous memory between them (Node.js maps its text far above the
  // rest of its executable) is not the module's.
  if (module != nullptr && mappings_ != nullptr && in_anonymous_code(*mappings_, address)) {
    module = nullptr;
  }
  if (module == nullptr) {
    if (mappings_ != nullptr) symbol.module = anonymous_module_name(*mappings_, address);
    return symbol;
  }

  const char* module_name =
      dwfl_module_info(module, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  if (module_name != nullptr) symbol.module = module_name;
  if (GElf_Addr bias = 0; dwfl_module_getelf(module, &bias) != nullptr) {
    symbol.bias = bias;
    symbol.build_id = module_build_id(module);
  }

  GElf_Off offset = 0;
  GElf_Sym elf_symbol;
  const char* name =
      dwfl_module_addrinfo(module, address, &offset, &elf_symbol, nullptr, nullptr, nullptr);
  if (name != nullptr) {
    symbol.function = without_go_abi_suffix(demangle(without_symbol_version(name).c_str()));
    symbol.start = address - offset;
  } else if (const GoPclntab* go_table = go_pclntab(module); go_table != nullptr) {
    // No symbol table (a Go binary built with -ldflags='-s -w'): Go's own table names
    // the function, in link-time addresses, and gives file:line where DWARF is gone too.
    GElf_Addr bias = 0;
    (void)dwfl_module_getelf(module, &bias);
    const std::uint64_t link_address = address - bias;
    if (auto function = go_table->function_at(link_address)) {
      symbol.function = without_go_abi_suffix(go_elf_symbol_name(function->name));
      symbol.start = function->entry + bias;
      if (auto line = go_table->source_line(*function, link_address)) {
        symbol.file = line->file;
        symbol.line = line->line;
      }
    }
  }

  if (SourceLine line; cus_.source_line(module, address, line)) {
    // A line record that starts before the function does belongs to another one:
    // code without line info (crt1's _start) would otherwise borrow a neighbour's.
    bool same_function = symbol.function.empty() || line.address >= symbol.start;
    if (same_function) {
      symbol.file = std::move(line.file);
      symbol.line = line.line;
    }
  }

  if (inlines_) {
    // The address's own line belongs to the innermost inlined function; each
    // outer one (and finally the physical function) is at the call site of the
    // call it holds.
    std::vector<InlinedCall> calls;
    Dwarf_Die cu;
    Dwarf_Addr bias = 0;
    if (cus_.cu_at(module, address, &cu, &bias)) calls = inlined_calls(&cu, bias, address);
    std::string file = std::move(symbol.file);
    int line = symbol.line;
    for (auto& call : calls) {
      symbol.inlined.push_back({std::move(call.function), std::move(file), line});
      file = std::move(call.call_file);
      line = call.call_line;
    }
    symbol.file = std::move(file);
    symbol.line = line;
  }
  return symbol;
}

const GoPclntab* Symbolizer::go_pclntab(Dwfl_Module* module) {
  auto [it, inserted] = go_tables_.try_emplace(module);
  if (inserted) {
    GElf_Addr bias = 0;
    it->second = read_go_pclntab(dwfl_module_getelf(module, &bias));
  }
  return it->second ? &*it->second : nullptr;
}

void append_frames(const Symbol& symbol, std::uint64_t pc, bool is_activation,
                   std::vector<UnwoundFrame>& frames, std::optional<FoundBy> found_by) {
  UnwoundFrame frame;
  frame.pc = RemoteAddr(pc);
  frame.is_activation = is_activation;
  frame.found_by = found_by;
  frame.module = symbol.module;
  if (symbol.bias && !symbol.build_id.empty()) {
    frame.build_id = symbol.build_id;
    frame.module_offset = pc - *symbol.bias;
  }
  for (const InlineFrame& inlined : symbol.inlined) {
    UnwoundFrame inner = frame;
    inner.function = inlined.function;
    inner.file = inlined.file;
    inner.line = inlined.line;
    inner.inlined = true;
    frames.push_back(std::move(inner));
  }
  frame.function = symbol.function;
  frame.offset = symbol.function.empty() ? 0 : pc - symbol.start;
  frame.file = symbol.file;
  frame.line = symbol.line;
  frames.push_back(std::move(frame));
}

}  // namespace ukstack::unwind
