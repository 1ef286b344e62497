// The interface every user-stack backend implements (libdw now; libunwind and the
// no-stop backend behind the same shape). A backend is opened once per process and
// then unwinds one thread at a time from what was sampled while it was stopped.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/found_by.h"
#include "base/remote_addr.h"
#include "base/result.h"
#include "procfs/maps.h"
#include "unwind/address_space.h"
#include "unwind/core_path.h"
#include "unwind/live_address_space.h"
#include "unwind/registers.h"
#include "unwind/stack_copy.h"

namespace ukstack::unwind {

struct UnwoundFrame {
  RemoteAddr pc;
  bool is_activation = false;  // innermost or signal frame: pc itself is the instruction
  std::string function;        // demangled; empty when no symbol covers pc
  std::uint64_t offset = 0;    // pc - start of function
  std::string module;          // path of the ELF (as mapped), or "" for anonymous memory
  std::string file;            // source file, when debug info has it
  int line = 0;
  bool inlined = false;
  // Inlined frames share their physical frame's. Empty when the backend cannot say.
  std::optional<FoundBy> found_by;
  // For naming it elsewhere (--resymbolize): the module's GNU build-id (lower-case
  // hex, "" when unknown) and pc - the module's load bias (pc in the ELF file's own
  // addresses). Inlined frames share their physical frame's.
  std::string build_id;
  std::optional<std::uint64_t> module_offset;
};

struct UnwoundStack {
  std::vector<UnwoundFrame> frames;
  std::optional<std::string> error;  // why the unwind ended before the outermost frame
  // False when the unwind ended quietly but maybe early: from a partial register
  // set (no-stop), a caller's frame needed a register the kernel does not expose.
  bool complete = true;
  // The unwind read the live process's memory beyond the sample's stack copy.
  bool read_live_memory = false;
};

// What was taken from one thread: its registers and the copy of its stack. The copy
// may be empty (no-stop unwinding reads the live stack).
struct ThreadSample {
  int tid = 0;
  RegisterSet registers;
  StackCopy stack;
};

enum class Backend { Libdw, Libunwind };

struct UnwindOptions {
  Backend backend = Backend::Libdw;
  std::size_t max_frames = 256;
  bool inlines = true;                  // inlined calls as frames of their own
  std::vector<std::string> debug_dirs;  // searched before the standard ones
  // Core files from another machine (--sysroot): the directory holding that
  // machine's executable, libraries and debug info; empty: this machine's.
  std::string sysroot;
  // Total time for debuginfod requests (DEBUGINFOD_URLS), counted from the first.
  std::chrono::milliseconds debuginfod_budget = std::chrono::seconds(10);
};

class Unwinder {
 public:
  virtual ~Unwinder() = default;
  virtual std::string_view method() const = 0;
  virtual UnwoundStack unwind(const ThreadSample& sample) = 0;
  // The frames one address shows (its inlined calls, then its function), named as
  // in an unwind; `is_activation` false for a return address. Empty when the
  // backend names no addresses outside an unwind.
  virtual std::vector<UnwoundFrame> describe(RemoteAddr /*pc*/, bool /*is_activation*/) {
    return {};
  }
};

// The live process an unwinder is opened for: a live thread's id (maps and memory
// are read through it), the memory map as the caller read it, and its memory
// (owned by the caller, kept alive longer than the unwinder).
struct LiveProcess {
  int pid = 0;
  std::vector<procfs::Mapping> mappings;
  const AddressSpace* memory = nullptr;
};

// The backend options.backend names, opened for one process. Memory beyond a
// sample's stack copy is read from process.memory.
Result<std::unique_ptr<Unwinder>> open_unwinder(LiveProcess process, const UnwindOptions& options);

// libdw: modules reported once, then DWARF CFI unwinding.
Result<std::unique_ptr<Unwinder>> open_libdw_unwinder(LiveProcess process,
                                                      const UnwindOptions& options);

// libdw over a core file's modules and memory (`memory`, a CoreAddressSpace of
// the same core, kept alive longer than the unwinder), for stacks that are no
// thread's: a goroutine's, from the registers its runtime saved.
Result<std::unique_ptr<Unwinder>> open_core_stack_unwinder(const CorePath& core_path,
                                                           const std::string& exe_path,
                                                           const AddressSpace& memory,
                                                           const UnwindOptions& options);

// libunwind, with our own accessors (registers from the sample, memory from the
// stack copy and process.memory). Only when built with UKSTACK_WITH_LIBUNWIND.
Result<std::unique_ptr<Unwinder>> open_libunwind_unwinder(LiveProcess process,
                                                          const UnwindOptions& options);

}  // namespace ukstack::unwind
