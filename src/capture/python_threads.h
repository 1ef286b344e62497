// A Python program's threads (issue 14): the interpreter's thread states read from
// the target's memory (a live process or a core, through the same reader), their
// Python frames merged into the native stacks of the OS threads they run on, and
// the GIL: who holds it, and a wait on the holder for every thread in take_gil.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "model/snapshot.h"
#include "unwind/address_space.h"
#include "unwind/python_program.h"
#include "unwind/python_threads.h"

namespace ukstack {

// When the Python frames were read.
enum class PythonRead {
  Stopped,        // while every thread was stopped (--stop all)
  CheckedNoStop,  // without a stop, each thread's current frame read again after
  Core,           // from a core file: one instant
};

// The interpreter's thread states with their Python frames, read `how`: without a
// stop, each thread's current frame is read again after, and a thread state that
// moved is read again (then marked when it keeps moving).
struct PythonCapture {
  Result<unwind::PythonThreads> threads;
  PythonRead how = PythonRead::CheckedNoStop;
};
PythonCapture read_python(const unwind::AddressSpace& memory, const unwind::PythonProgram& program,
                          PythonRead how);

// Merges each thread state's Python frames into its thread's user stack (matched by
// native thread id); sets snapshot.python and the GIL waits. After the threads are
// built.
void add_python_frames(Snapshot& snapshot, const unwind::PythonProgram& program,
                       PythonCapture capture);

// A Python program whose interpreter cannot be read (an unknown version, no
// symbols): a note on the snapshot; the native stacks stay as they are.
void add_python_note(Snapshot& snapshot, const Error& why);

}  // namespace ukstack
