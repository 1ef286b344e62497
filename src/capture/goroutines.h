// The goroutines of a Go program (issue 11): found once per process, read at
// every capture (each goroutine with a copy of its stack), then unwound with the
// process's own unwinder and tied to the threads that run them.
//
// When the read happens decides what it shows: while every thread is stopped
// (--stop all) or from a core it is one instant; otherwise it is read without a
// stop and checked (read_goroutines_checked), and what kept changing is marked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "model/snapshot.h"
#include "unwind/address_space.h"
#include "unwind/go_runtime.h"
#include "unwind/go_runtime_layout.h"
#include "unwind/stack_copy.h"
#include "unwind/unwinder.h"

namespace ukstack {

// The Go runtime of a program, as its executable describes it: nullopt when the
// program is not Go (no .go.buildinfo or .gopclntab section); else its layout, or
// why the goroutines cannot be read (say, the DWARF was stripped).
struct GoProgram {
  std::optional<unwind::GoRuntimeLayout> layout;
  std::string why_not;
};
std::optional<GoProgram> find_go_program(const std::string& exe_path, std::uint64_t load_bias);

// One goroutine as read: the runtime's record of it and a copy of its stack from
// the sp it will be unwound from (none for a running one: its thread has its frames).
struct GoroutineSample {
  unwind::GoroutineInfo info;
  unwind::StackCopy stack;
  bool changed_while_read = false;  // still changing after the retries: a mixed picture
};

struct GoroutineCapture {
  std::vector<GoroutineSample> goroutines;
  std::vector<unwind::GoThread> threads;  // the M's, where runtime.allm could be read
  std::vector<std::string> notes;
  bool read = false;  // false: the list itself could not be read (notes say why)
};

// A copy of a goroutine's stack is this long at most; beyond, the unwind reads
// the target's memory (live) or finds no more (a core that lacks it).
inline constexpr std::size_t kMaxGoroutineStackCopy = 256 * 1024;

// One pass: the list, each goroutine and its stack. For a stopped process or a core.
GoroutineCapture read_goroutine_stacks(const unwind::AddressSpace& memory,
                                       const unwind::GoRuntimeLayout& layout);

// The same without a stop, checked: each goroutine's record is read again after
// its stack was copied; one whose status, registers or id changed is read again
// (`retries` times at most), then marked as changed while read.
GoroutineCapture read_goroutines_checked(const unwind::AddressSpace& memory,
                                         const unwind::GoRuntimeLayout& layout, int retries = 2);

// Unwinds each goroutine with `unwinder` (as a thread: from its saved registers
// and stack copy), ties goroutines and threads (Goroutine::tid, Thread::go_goroutine)
// and sets snapshot.goroutines, goroutines_read and goroutine_notes. `unwinder` may
// be null (then the goroutines have no frames, and a note says why). `now_ns`: the
// runtime's clock (CLOCK_MONOTONIC) at the capture, to say how long each waited.
void add_goroutines(Snapshot& snapshot, GoroutineCapture capture, unwind::Unwinder* unwinder,
                    GoroutineRead how, std::optional<std::int64_t> now_ns);

// "not a Go program" is no note; a Go program whose goroutines cannot be read is.
void add_goroutine_note(Snapshot& snapshot, const GoProgram& program);

}  // namespace ukstack
