// Where CPython keeps what a reader of its threads and frames needs: the offsets
// of the interpreter list in _PyRuntime, of the thread list, the frame chain, the
// GIL, the code objects and their strings, for one interpreter version. Three
// sources, best first: the binary's own DWARF (a -dbg package, a build with -g),
// the _Py_DebugOffsets that CPython 3.13+ keeps at the start of _PyRuntime for
// tools like this one, and a built-in table for the release builds of 3.9-3.12
// on x86-64 (computed from those versions' headers, see python_layout.cpp).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "base/result.h"
#include "unwind/debug_types.h"
#include "unwind/python_line_table.h"

namespace ukstack::unwind {

struct PythonVersion {
  int major = 0;
  int minor = 0;
  int micro = -1;  // -1: not known (a version taken from a file name)

  std::string text() const;  // "3.11.2", or "3.11"
  auto operator<=>(const PythonVersion&) const = default;
};

// PY_VERSION_HEX (0x030B02F0 for 3.11.2 final) as a version.
PythonVersion python_version_from_hex(std::uint64_t hex);

// How a version chains its frames, and how a C call into the eval loop
// (_PyEval_EvalFrameDefault) shows in that chain.
enum class PythonFrameKind {
  frame_object,  // 3.9, 3.10: PyFrameObject through f_back; one eval call per frame
  entry_flag,    // 3.11: _PyInterpreterFrame; is_entry marks a call's outermost frame
  shim_frames,   // 3.12+: a frame owned by the C stack (owner >= 3) sits under each call's
};

struct PythonLayout {
  // _PyRuntime: the first interpreter (a PyInterpreterState*).
  std::uint64_t runtime_interpreters_head = 0;

  // The GIL's state (struct _gil_runtime_state): inside _PyRuntime at runtime_gil
  // (3.9-3.11), or pointed to by each interpreter's interp_gil_pointer (3.12+).
  std::optional<std::uint64_t> runtime_gil;
  std::optional<std::uint64_t> interp_gil_pointer;
  std::uint64_t gil_locked = 0;       // an int: nonzero while held
  std::uint64_t gil_last_holder = 0;  // the PyThreadState* that took it last

  // PyInterpreterState.
  std::uint64_t interp_next = 0;
  std::uint64_t interp_threads_head = 0;

  // PyThreadState.
  std::uint64_t tstate_next = 0;
  std::uint64_t tstate_interp = 0;
  std::uint64_t tstate_thread_id = 0;                    // pthread_self() of its thread
  std::optional<std::uint64_t> tstate_native_thread_id;  // the OS thread id, 3.11+
  // The frame chain's head: 3.9/3.10 `frame`, 3.11/3.12 `cframe` (a _PyCFrame*
  // whose current_frame is at cframe_current_frame), 3.13+ `current_frame`.
  std::uint64_t tstate_frame = 0;
  std::optional<std::uint64_t> cframe_current_frame;

  // Frames (PyFrameObject or _PyInterpreterFrame).
  PythonFrameKind frame_kind = PythonFrameKind::frame_object;
  std::uint64_t frame_previous = 0;  // f_back / previous
  std::uint64_t frame_code = 0;      // f_code / f_executable
  // 3.9/3.10 f_lasti (an int: bytes in 3.9, code units in 3.10); 3.11/3.12
  // prev_instr, 3.13+ instr_ptr (pointers into the code's co_code_adaptive).
  std::uint64_t frame_instruction = 0;
  std::uint64_t frame_is_entry = 0;  // entry_flag: a bool
  std::uint64_t frame_owner = 0;     // shim_frames: a char
  bool frame_code_tagged = false;    // 3.14: f_executable is a _PyStackRef, its low bits tags

  // PyCodeObject.
  std::uint64_t code_filename = 0;
  std::uint64_t code_name = 0;
  std::optional<std::uint64_t> code_qualname;  // 3.11+
  std::uint64_t code_firstlineno = 0;          // an int
  std::uint64_t code_linetable = 0;            // co_lnotab (3.9) or co_linetable: bytes
  std::optional<std::uint64_t> code_adaptive;  // co_code_adaptive, 3.11+: the instructions
  PythonLineTableFormat line_table = PythonLineTableFormat::lnotab;

  // Objects.
  std::uint64_t object_type = 8;  // ob_type
  std::uint64_t bytes_size = 0;   // PyBytesObject ob_size
  std::uint64_t bytes_data = 0;   // ob_sval
  std::uint64_t unicode_length = 0;
  std::uint64_t unicode_state = 0;  // the bit-fields: kind at bits 2-4, compact 5, ascii 6
  std::uint64_t ascii_size = 0;     // sizeof(PyASCIIObject): a compact ASCII string's data
  std::uint64_t compact_size = 0;   // sizeof(PyCompactUnicodeObject): other compact strings'

  bool operator==(const PythonLayout&) const = default;
};

// Whether every offset is one a reader can use (inside a struct of at most 64 KiB:
// beyond that it is not a CPython layout, whoever filled it).
Status check_python_layout(const PythonLayout& layout);

// The layout of a release (non-debug) build of `version` on x86-64, from the
// built-in table: 3.9, 3.10, 3.11 and 3.12. An Error for any other version.
Result<PythonLayout> python_layout_from_table(const PythonVersion& version);

// The layout from the interpreter's debug information (its own types: struct _ts,
// struct _PyInterpreterFrame...), for 3.9 and later.
Result<PythonLayout> python_layout_from_debug_info(const DebugTypes& types,
                                                   const PythonVersion& version);

// The start of _Py_DebugOffsets ("xdebugpy" then PY_VERSION_HEX): the version it
// states, or nullopt when the bytes do not start with the cookie.
std::optional<PythonVersion> python_debug_offsets_version(std::span<const std::byte> runtime_start);

// How many bytes at the start of _PyRuntime python_layout_from_debug_offsets reads.
inline constexpr std::size_t kPythonDebugOffsetsSize = 1024;

// The layout from _Py_DebugOffsets as 3.13 and 3.14 lay it out (the bytes at the
// start of _PyRuntime). An Error when the cookie is missing, the version is one
// whose structure is not known, the build is free-threaded, or the offsets make no
// layout.
Result<PythonLayout> python_layout_from_debug_offsets(std::span<const std::byte> runtime_start);

}  // namespace ukstack::unwind
