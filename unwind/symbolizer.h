// Names for addresses, cached: a process with 1,000 threads has only a few dozen
// distinct return addresses, and looking each one up again is where eu-stack spends
// most of its time. One Symbolizer per Dwfl (so per process): an address
// identifies its module, and the cache key is the looked-up address.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "procfs/maps.h"
#include "unwind/cu_index.h"
#include "unwind/go_pclntab.h"
#include "unwind/unwinder.h"

typedef struct Dwfl Dwfl;
typedef struct Dwfl_Module Dwfl_Module;

namespace ukstack::unwind {

// A function inlined at the looked-up address: a frame of its own sharing the pc.
struct InlineFrame {
  std::string function;  // demangled
  std::string file;      // for the innermost, the address's own line; else the call
  int line = 0;          // site of the next inner inlined call
};

struct Symbol {
  std::string function;     // demangled, "" when no symbol covers the address
  std::uint64_t start = 0;  // address of the function's first byte
  std::string module;       // "" for anonymous memory
  std::string file;         // with inlined calls: the call site of the outermost one
  int line = 0;
  std::vector<InlineFrame> inlined;  // innermost first; empty without inline expansion
  // The module's GNU build-id in lower-case hex ("" when it has none or is not
  // known) and its load bias (absolute address - address in the ELF file), unset
  // when the module's ELF could not be had.
  std::string build_id;
  std::optional<std::uint64_t> bias;
};

class Symbolizer {
 public:
  // With `inlines`, each lookup also expands the inlined calls at the address.
  explicit Symbolizer(Dwfl* dwfl, bool inlines = true) : dwfl_(dwfl), inlines_(inlines) {}

  // For a caller frame the return address points after the call, possibly into the
  // next function or line: look up pc - 1. The innermost frame and signal frames
  // are looked up at pc itself.
  const Symbol& lookup(std::uint64_t pc, bool is_activation);

  std::size_t cache_size() const { return cache_.size(); }

  // The process's mappings, to name memory that no ELF module covers ("[anon]",
  // "[anon:name]", "[heap]": JIT code, trampolines). Borrowed: must outlive this.
  void set_mappings(const std::vector<procfs::Mapping>* mappings) { mappings_ = mappings; }

 private:
  Symbol resolve(std::uint64_t address);
  // A Go module's own function table, read on first use; null when it has none.
  const GoPclntab* go_pclntab(Dwfl_Module* module);

  Dwfl* dwfl_;
  bool inlines_;
  CuIndex cus_;
  const std::vector<procfs::Mapping>* mappings_ =
      nullptr;  // CUs by address, also without .debug_aranges (Go)
  std::unordered_map<std::uint64_t, Symbol> cache_;
  // Each reads its module's ELF data, which lives as long as the Dwfl.
  std::unordered_map<Dwfl_Module*, std::optional<GoPclntab>> go_tables_;
};

// The frames one physical frame at pc shows, innermost first: its inlined calls
// (inlined = true, offset 0: they have no entry of their own at this pc) then the
// physical function, all with the physical frame's `found_by`. Appended to `frames`.
void append_frames(const Symbol& symbol, std::uint64_t pc, bool is_activation,
                   std::vector<UnwoundFrame>& frames,
                   std::optional<FoundBy> found_by = std::nullopt);

// What names memory outside every ELF module, from its mapping: "[anon]" for an
// anonymous one, else the name maps gives ("[anon:name]", "[heap]", "[stack]", a
// file that is not an ELF); "" when no mapping covers the address.
std::string anonymous_module_name(const std::vector<procfs::Mapping>& mappings,
                                  std::uint64_t address);

// Whether the address is in an executable mapping of no file (JIT code).
bool in_anonymous_code(const std::vector<procfs::Mapping>& mappings, std::uint64_t address);

// The module's GNU build-id in lower-case hex, "" when it has none (or libdw cannot
// read its ELF).
std::string module_build_id(Dwfl_Module* module);

// "pthread_cond_wait@@GLIBC_2.3.2" -> "pthread_cond_wait".
std::string without_symbol_version(const char* name);

// Go's linker names assembly functions and ABI wrappers with an ABI suffix
// ("runtime.futex.abi0"); gdb shows the DWARF name without it, and so do we.
std::string without_go_abi_suffix(std::string name);

// "_ZN7fixture15cond_wait_innerEv" -> "fixture::cond_wait_inner()"; others unchanged.
std::string demangle(const char* name);

}  // namespace ukstack::unwind
