// Go's goroutines, read from the runtime's own data through an address space (a
// live process, a core, a test's fake): runtime.allgs, and for each g its id,
// status, wait reason (named by the runtime's own waitReasonStrings), where it was
// created and started, its saved registers and the OS thread of its m. The layouts
// come from GoRuntimeLayout (the binary's DWARF). Nothing is stopped here: a caller
// that needs one moment stops the process around the read.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/remote_addr.h"
#include "base/result.h"
#include "unwind/address_space.h"
#include "unwind/go_runtime_layout.h"

namespace ukstack::unwind {

struct GoroutineInfo {
  RemoteAddr g;  // the runtime.g's address
  std::uint64_t goid = 0;
  std::uint32_t status_code = 0;  // atomicstatus as read, the _Gscan bit included
  std::string status;             // "waiting", "running"...; "" when the runtime names none
  bool being_scanned = false;     // the _Gscan bit was set (status is the rest)
  std::string wait_reason;        // "IO wait"; only while waiting, "" when none was given
  std::int64_t wait_since = 0;    // runtime nanotime() when the wait began; 0: not recorded
  RemoteAddr gopc;                // the go statement that created it
  RemoteAddr start_pc;            // the function it started in
  RemoteAddr sched_pc;            // registers saved when it last left its thread (gobuf)
  RemoteAddr sched_sp;
  RemoteAddr sched_bp;
  RemoteAddr syscall_sp;  // where it entered a system call (0 when not in one)
  RemoteAddr syscall_pc;
  RemoteAddr stack_hi;             // the top of its stack
  RemoteAddr m;                    // its M (OS thread) while it has one, else 0
  std::optional<int> thread_id;    // that M's procid
  std::vector<std::string> notes;  // what of this goroutine could not be read
};

struct GoroutineList {
  std::vector<GoroutineInfo> goroutines;  // in allgs order; dead ones left out
  std::size_t dead = 0;                   // g's kept by the runtime for reuse
  std::vector<std::string> notes;         // about the list as a whole
  std::vector<std::string> wait_reasons;  // the runtime's names, by number ("" unreadable)
};

// An M: an OS thread the Go runtime made, and the goroutine it runs.
struct GoThread {
  RemoteAddr m;
  int tid = 0;      // m.procid
  RemoteAddr curg;  // 0: it runs none (idle in the scheduler, or on its own g0 stack)
};

// Goroutine counts above this are taken for a corrupted runtime, not read.
inline constexpr std::uint64_t kMaxGoroutines = 10'000'000;

// Every goroutine in runtime.allgs. An Error when the list itself cannot be had
// (allgs unreadable, an absurd length); a g that cannot be read, or reads as
// nonsense, is a note in the list or in that goroutine, never a failure of the rest.
Result<GoroutineList> read_goroutines(const AddressSpace& memory, const GoRuntimeLayout& layout);

// The g's at `gs` (read again to check an earlier read), in a batch, their wait
// reasons named from `wait_reasons` (GoroutineList::wait_reasons); one that cannot
// be read has a note.
std::vector<GoroutineInfo> read_goroutines_at(const AddressSpace& memory,
                                              const GoRuntimeLayout& layout,
                                              std::span<const RemoteAddr> gs,
                                              const std::vector<std::string>& wait_reasons);

// The g at `g` alone.
GoroutineInfo read_goroutine(const AddressSpace& memory, const GoRuntimeLayout& layout,
                             RemoteAddr g, const std::vector<std::string>& wait_reasons);

// M's in runtime.allm beyond this are taken for a cycle or a corrupted list.
inline constexpr std::size_t kMaxGoThreads = 100'000;

// Every M of runtime.allm that has a thread id. An Error when the layout has no
// allm or the list's head cannot be read; a list that breaks off (an unreadable M,
// a cycle) gives the M's read so far.
Result<std::vector<GoThread>> read_go_threads(const AddressSpace& memory,
                                              const GoRuntimeLayout& layout);

}  // namespace ukstack::unwind
