// Where a Go program keeps its goroutines, and how its runtime lays them out: the
// addresses of runtime.allgs, allglen and waitReasonStrings, the offsets and sizes of
// the runtime.g, gobuf and m fields the goroutine reader needs, and the names of the
// goroutine statuses. Everything comes from the binary's own DWARF (types, variables
// and the runtime's constants), never from a table per Go version: a field whose type
// changed between releases (atomicstatus, a uint32 before Go 1.20 and an
// atomic.Uint32 struct since) is found by its type. Unit tests fill one by hand.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/remote_addr.h"
#include "base/result.h"
#include "procfs/maps.h"
#include "unwind/core_path.h"
#include "unwind/debug_types.h"

namespace ukstack::unwind {

// An unsigned integer (1, 2, 4 or 8 bytes, the target's byte order) inside a struct.
struct GoField {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

struct GoRuntimeLayout {
  // runtime.allgs, a []*runtime.g: its slice header's address and its fields.
  RemoteAddr allgs;
  GoField slice_array;
  GoField slice_len;
  // runtime.allglen (uintptr), where the runtime has it: the count it publishes for
  // readers that do not take its lock.
  std::optional<RemoteAddr> allglen;
  std::uint64_t allglen_size = 0;
  std::uint64_t pointer_size = 8;  // of an element of allgs (a *runtime.g)

  // runtime.waitReasonStrings, a [N]string; a Go string is a data pointer and a length.
  RemoteAddr wait_reason_strings;
  std::uint64_t wait_reason_count = 0;
  std::uint64_t string_size = 0;
  GoField string_data;
  GoField string_len;

  // runtime.g: its size (read whole, in one read) and the fields read from it.
  std::uint64_t g_size = 0;
  GoField goid;
  GoField status;  // atomicstatus, or atomicstatus.value
  GoField wait_reason;
  GoField wait_since;
  GoField gopc;
  GoField start_pc;
  GoField sched_pc;  // sched is a runtime.gobuf; offsets along the whole path
  GoField sched_sp;
  GoField sched_bp;
  GoField syscall_sp;
  GoField syscall_pc;
  GoField m;         // a *runtime.m
  GoField stack_hi;  // the top of its stack (stack.hi): a parked stack is [sched.sp, stack.hi)

  // runtime.m: its size and the OS thread id the runtime recorded for it.
  std::uint64_t m_size = 0;
  GoField m_procid;
  // runtime.allm, the list of every M through m.alllink, and the goroutine an M
  // runs (m.curg): which threads are Go's and idle in the scheduler. Optional: the
  // goroutines are read without it.
  std::optional<RemoteAddr> allm;
  GoField m_alllink;
  GoField m_curg;

  // The goroutine statuses the runtime names (runtime._Gwaiting = 4 → "waiting"),
  // and the bit runtime._Gscan that marks a status as being scanned by the GC.
  std::map<std::uint32_t, std::string> status_names;
  std::uint32_t scan_bit = 0;
};

// An integer member of `type_name` at `path`, by its DWARF type: a plain integer
// (atomicstatus before Go 1.20), or a wrapper struct around one whose "value" is
// read (atomic.Uint32 since). An Error when neither is an integer of 1-8 bytes.
Result<GoField> go_integer_field(const DebugTypes& types, std::string_view type_name,
                                 const std::string& path);

// Whether every field lies inside its struct, with a size ukstack reads (1, 2, 4
// or 8 bytes; pointers 4 or 8): a layout that would make a reader step outside
// its copy of a struct is an Error, whoever filled it.
Status check_go_runtime_layout(const GoRuntimeLayout& layout);

// The layout from the debug information `types` reads. Addresses are those that
// Dwfl gives (a process's or a core's: run-time; one file's: link-time) plus
// `load_bias`.
Result<GoRuntimeLayout> load_go_runtime_layout(const DebugTypes& types,
                                               std::uint64_t load_bias = 0);

// The same from the executable file at `exe_path`, whose link-time addresses are
// moved by `load_bias` (0 for a non-PIE executable; see executable_load_bias).
Result<GoRuntimeLayout> load_go_runtime_layout(const std::string& exe_path,
                                               std::uint64_t load_bias);

// Whether the executable at `exe_path` was built by Go's linker: it has a
// .go.buildinfo or .gopclntab section (both stay in a binary stripped of its
// symbols and DWARF). False when it cannot be read.
bool is_go_executable(const std::string& exe_path);

// Whether it has DWARF (.debug_info, compressed or not): a Go build with
// -ldflags=-w has none, and without it the runtime's layout is not known.
bool has_debug_info(const std::string& exe_path);

// The layout from a core file's modules (its executable as `exe_path` names it, or
// as libdw finds it when empty, under `sysroot` when one is given): addresses at
// the core's run-time places.
Result<GoRuntimeLayout> load_core_go_runtime_layout(const CorePath& core_path,
                                                    const std::string& exe_path,
                                                    const std::string& sysroot = {});

// How far the executable at `exe_path` was moved when loaded, from the process's
// memory map: 0 for a fixed-address (ET_EXEC) file; for a PIE, where its first
// segment was mapped (the mapping of the same file, by inode, at file offset 0)
// less that segment's link-time address.
Result<std::uint64_t> executable_load_bias(const std::string& exe_path,
                                           const std::vector<procfs::Mapping>& mappings);

}  // namespace ukstack::unwind
