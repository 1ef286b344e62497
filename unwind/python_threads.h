// CPython's threads and their Python frames, read from the interpreter's own data
// through an address space (a live process, a core, a test's fake): every
// interpreter of _PyRuntime, every thread state of each, each one's frame chain
// with function, file and line, and which thread holds the GIL. Nothing is stopped
// here: a caller that needs one moment stops the threads around the read, or
// re-reads a thread's current frame after (read_current_frame) to verify it.
// Corrupted data (a cycle, an absurd length, an unreadable pointer) gives a note
// and an incomplete thread, never a crash, a hang, or a frame that is not one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/remote_addr.h"
#include "base/result.h"
#include "unwind/address_space.h"
#include "unwind/python_program.h"

namespace ukstack::unwind {

struct PythonFrame {
  std::string function;  // co_qualname where the version has it (3.11+), else co_name
  std::string file;      // co_filename
  std::optional<int> line;
  // The outermost Python frame run by one C-level call of _PyEval_EvalFrameDefault:
  // the frames from the innermost down to and including the first `entry` belong to
  // the innermost _PyEval_EvalFrameDefault native frame, the next run to the next
  // one, and so on. 3.9/3.10: every frame (one eval call per frame); 3.11: the
  // frame's is_entry; 3.12+: the frame just inside a shim frame owned by the C
  // stack (the shims themselves are left out).
  bool entry = false;
};

struct PythonThreadState {
  RemoteAddr tstate;
  std::optional<int> tid;           // native_thread_id (3.11+), or the tid of its pthread
  RemoteAddr current_frame;         // the chain's head as read (verify a read without a stop)
  std::vector<PythonFrame> frames;  // innermost first
  std::vector<std::string> notes;   // what could not be read, and why
  bool complete = true;             // false: the frames stop short of the chain's end
};

struct PythonThreads {
  std::vector<PythonThreadState> threads;  // every interpreter's, in list order
  // The thread state holding the GIL (the GIL is locked, and this is its last
  // holder); none when it is free.
  std::optional<RemoteAddr> gil_holder;
  std::vector<std::string> notes;  // about the lists as a whole
};

// Lists longer than these are taken for cycles or corrupted memory.
inline constexpr std::size_t kMaxPythonFrames = 4096;
inline constexpr std::size_t kMaxPythonThreads = 100'000;
inline constexpr std::size_t kMaxPythonInterpreters = 1'000;

// Every thread state of every interpreter. An Error when _PyRuntime's interpreter
// list cannot be read at all; anything else unreadable is a note.
Result<PythonThreads> read_python_threads(const AddressSpace& memory, const PythonProgram& program);

// The head of the thread state's frame chain as it is now (3.11/3.12: through
// its cframe): equal to PythonThreadState::current_frame when the thread did not
// move between two reads.
Result<RemoteAddr> read_current_frame(const AddressSpace& memory, const PythonProgram& program,
                                      RemoteAddr tstate);

// One thread state, read again.
PythonThreadState read_python_thread(const AddressSpace& memory, const PythonProgram& program,
                                     RemoteAddr tstate);

}  // namespace ukstack::unwind
