// Python frames in a native stack (issue 14): where the interpreter's own frames go
// among the native ones, and the Python-only view. Pure passes over model frames.
//
// CPython runs Python code in _PyEval_EvalFrameDefault. One C-level call of it runs
// a run of Python frames (3.11+: a Python function calling another stays in the same
// call; 3.9/3.10: one frame per call). The runs, innermost first, belong to the
// _PyEval_EvalFrameDefault frames of the native stack, innermost first; each run goes
// just inside its eval frame, so a stack reads kernel → C function → Python → eval →
// native → Python → eval → native.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "model/snapshot.h"

namespace ukstack {

// Whether a native frame is CPython's eval loop (a physical frame, not inlined).
bool is_eval_loop_frame(const Frame& frame);

// The interpreter's own call machinery (vectorcall, call helpers, the eval loop):
// native frames a Python-only view hides. Functions that implement Python
// callables (time_sleep, zlib_compress_impl, sock_accept) are not machinery.
bool is_interpreter_machinery(const Frame& frame);

// Puts `runs` (each the Python frames of one eval-loop call, innermost first) into
// `user` at its eval-loop frames. Returns what did not fit, for the thread's notes:
// runs beyond the native stack's eval frames (its unwind was cut short) are put at
// its end; eval frames without a run are left as they are.
std::vector<std::string> merge_python_frames(Stack& user, std::span<const std::vector<Frame>> runs);

// The native frame a Python frame called into: walking out from the innermost
// frame, the last native frame before the first Python frame that is not
// machinery ("time_sleep", "zlib_compress_impl"); null when there is none.
const Frame* c_function_called_from_python(const Stack& user);

// --no-native: in each user stack that has Python frames, only Python frames and,
// above each, the C function it called (the kernel half stays). Stacks without
// Python frames are left whole.
void hide_native_frames(Snapshot& snapshot);

}  // namespace ukstack
