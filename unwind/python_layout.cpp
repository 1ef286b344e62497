#include "unwind/python_layout.h"

#include <array>
#include <cstring>
#include <string_view>

namespace ukstack::unwind {

std::string PythonVersion::text() const {
  std::string text = std::to_string(major) + "." + std::to_string(minor);
  if (micro >= 0) text += "." + std::to_string(micro);
  return text;
}

PythonVersion python_version_from_hex(std::uint64_t hex) {
  return {static_cast<int>((hex >> 24) & 0xff), static_cast<int>((hex >> 16) & 0xff),
          static_cast<int>((hex >> 8) & 0xff)};
}

namespace {

constexpr std::uint64_t kMaxStructOffset = 1 << 16;

// What differs between versions beyond offsets: how frames chain and which line
// table the code objects carry.
void set_version_shape(PythonLayout& layout, const PythonVersion& version) {
  if (version.minor <= 10) {
    layout.frame_kind = PythonFrameKind::frame_object;
    layout.line_table =
        version.minor == 9 ? PythonLineTableFormat::lnotab : PythonLineTableFormat::linetable;
  } else {
    layout.frame_kind =
        version.minor == 11 ? PythonFrameKind::entry_flag : PythonFrameKind::shim_frames;
    layout.line_table = PythonLineTableFormat::locations;
  }
  layout.frame_code_tagged = version.minor >= 14;
}

bool supported_by_readers(const PythonVersion& version) {
  return version.major == 3 && version.minor >= 9;
}

}  // namespace

Status check_python_layout(const PythonLayout& layout) {
  const std::uint64_t offsets[] = {layout.runtime_interpreters_head,
                                   layout.runtime_gil.value_or(0),
                                   layout.interp_gil_pointer.value_or(0),
                                   layout.gil_locked,
                                   layout.gil_last_holder,
                                   layout.interp_next,
                                   layout.interp_threads_head,
                                   layout.tstate_next,
                                   layout.tstate_interp,
                                   layout.tstate_thread_id,
                                   layout.tstate_native_thread_id.value_or(0),
                                   layout.tstate_frame,
                                   layout.cframe_current_frame.value_or(0),
                                   layout.frame_previous,
                                   layout.frame_code,
                                   layout.frame_instruction,
                                   layout.frame_is_entry,
                                   layout.frame_owner,
                                   layout.code_filename,
                                   layout.code_name,
                                   layout.code_qualname.value_or(0),
                                   layout.code_firstlineno,
                                   layout.code_linetable,
                                   layout.code_adaptive.value_or(0),
                                   layout.object_type,
                                   layout.bytes_size,
                                   layout.bytes_data,
                                   layout.unicode_length,
                                   layout.unicode_state,
                                   layout.ascii_size,
                                   layout.compact_size};
  for (std::uint64_t offset : offsets) {
    if (offset >= kMaxStructOffset) {
      return Error{0, "a CPython structure offset of " + std::to_string(offset) +
                          " bytes: not a layout ukstack can read"};
    }
  }
  if (!layout.runtime_gil && !layout.interp_gil_pointer) {
    return Error{0, "the CPython layout does not say where the GIL is"};
  }
  if (layout.frame_kind == PythonFrameKind::shim_frames && !layout.code_adaptive) {
    return Error{0, "the CPython layout has no co_code_adaptive for its frames' instructions"};
  }
  // A str's header is read whole and its fields taken from that copy.
  if (layout.compact_size < layout.ascii_size || layout.object_type + 8 > layout.ascii_size ||
      layout.unicode_length + 8 > layout.ascii_size ||
      layout.unicode_state + 4 > layout.ascii_size) {
    return Error{0, "the CPython layout puts a str's fields outside its header"};
  }
  return {};
}

// The built-in table. Each version's numbers were computed by the compiler, not by
// hand: a C file including that version's own headers (Python.h and, with
// Py_BUILD_CORE, internal/pycore_runtime.h, pycore_interp.h, pycore_frame.h)
// printed offsetof() and sizeof() of each field, built with gcc on x86-64 against
// the installed headers of release builds of 3.9.18, 3.10.13, 3.11.2 (Debian's,
// and 3.11.7 gave the same) and 3.12.1. The 3.11 entry is checked against the DWARF
// of Debian's python3.11 by the tests; the others against their own DWARF where a
// build with debug info was at hand (python_layout_test.cpp says how).
Result<PythonLayout> python_layout_from_table(const PythonVersion& version) {
  PythonLayout layout;
  if (version.major != 3 || version.minor < 9 || version.minor > 12) {
    return Error{0, "Python " + version.text() +
                        ": no built-in layout for this version (ukstack knows 3.9 to 3.12 "
                        "without debug information, and 3.13+ from their _Py_DebugOffsets)"};
  }
  set_version_shape(layout, version);
  layout.interp_next = 0;
  layout.tstate_next = 8;
  layout.tstate_interp = 16;
  layout.object_type = 8;
  layout.bytes_size = 16;
  layout.bytes_data = 32;
  layout.unicode_length = 16;
  layout.unicode_state = 32;
  layout.gil_last_holder = 8;  // struct _gil_runtime_state { interval; last_holder; locked; ... }
  layout.gil_locked = 16;
  switch (version.minor) {
    case 9:
    case 10:
      layout.runtime_interpreters_head = 32;
      layout.runtime_gil = 352;        // _PyRuntime.ceval.gil
      layout.interp_threads_head = 8;  // tstate_head
      layout.tstate_thread_id = 176;
      layout.tstate_frame = 24;    // frame
      layout.frame_previous = 24;  // f_back
      layout.frame_code = 32;
      layout.frame_instruction = version.minor == 9 ? 104 : 96;  // f_lasti
      layout.code_filename = 104;
      layout.code_name = 112;
      layout.code_firstlineno = 40;
      layout.code_linetable = 120;  // co_lnotab in 3.9, co_linetable in 3.10
      layout.ascii_size = 48;
      layout.compact_size = 72;
      break;
    case 11:
      layout.runtime_interpreters_head = 40;
      layout.runtime_gil = 360;
      layout.interp_threads_head = 16;
      layout.tstate_thread_id = 152;
      layout.tstate_native_thread_id = 160;
      layout.tstate_frame = 56;  // cframe
      layout.cframe_current_frame = 8;
      layout.frame_previous = 48;
      layout.frame_code = 32;
      layout.frame_instruction = 56;  // prev_instr
      layout.frame_is_entry = 68;
      layout.code_filename = 112;
      layout.code_name = 120;
      layout.code_qualname = 128;
      layout.code_firstlineno = 72;
      layout.code_linetable = 136;
      layout.code_adaptive = 184;
      layout.ascii_size = 48;
      layout.compact_size = 72;
      break;
    case 12:
      layout.runtime_interpreters_head = 40;
      layout.interp_gil_pointer = 384;  // interp->ceval.gil
      layout.interp_threads_head = 72;
      layout.tstate_thread_id = 136;
      layout.tstate_native_thread_id = 144;
      layout.tstate_frame = 56;  // cframe
      layout.cframe_current_frame = 0;
      layout.frame_previous = 8;
      layout.frame_code = 0;
      layout.frame_instruction = 56;  // prev_instr
      layout.frame_owner = 70;
      layout.code_filename = 112;
      layout.code_name = 120;
      layout.code_qualname = 128;
      layout.code_firstlineno = 68;
      layout.code_linetable = 136;
      layout.code_adaptive = 192;
      layout.ascii_size = 40;
      layout.compact_size = 56;
      break;
  }
  if (auto usable = check_python_layout(layout); !usable) return usable.error();
  return layout;
}

namespace {

// Offsets read from DWARF, stopping at the first the binary does not describe.
class DwarfOffsets {
 public:
  explicit DwarfOffsets(const DebugTypes& types) : types_(types) {}

  void get(std::uint64_t& out, std::string_view type, std::string_view path) {
    if (!error_.empty()) return;
    auto member = types_.member(type, path);
    if (!member) {
      error_ = member.error().message;
      return;
    }
    out = member->offset;
  }
  void get(std::optional<std::uint64_t>& out, std::string_view type, std::string_view path) {
    std::uint64_t value = 0;
    get(value, type, path);
    if (error_.empty()) out = value;
  }
  void size(std::uint64_t& out, std::string_view type) {
    if (!error_.empty()) return;
    auto size = types_.type_size(type);
    if (!size) {
      error_ = size.error().message;
      return;
    }
    out = *size;
  }
  const std::string& error() const { return error_; }

 private:
  const DebugTypes& types_;
  std::string error_;
};

}  // namespace

Result<PythonLayout> python_layout_from_debug_info(const DebugTypes& types,
                                                   const PythonVersion& version) {
  if (!supported_by_readers(version)) {
    return Error{0, "Python " + version.text() + " is older than the 3.9 ukstack reads"};
  }
  PythonLayout layout;
  set_version_shape(layout, version);
  const int minor = version.minor;
  DwarfOffsets dwarf(types);
  constexpr std::string_view runtime = "struct pyruntimestate";
  constexpr std::string_view interp = "struct _is";
  constexpr std::string_view tstate = "struct _ts";
  constexpr std::string_view code = "struct PyCodeObject";
  constexpr std::string_view gil = "struct _gil_runtime_state";
  types.find_types({runtime, interp, tstate, code, gil, "struct _PyCFrame", "struct _frame",
                    "struct _PyInterpreterFrame", "struct _object", "PyBytesObject",
                    "PyASCIIObject", "PyCompactUnicodeObject"});

  dwarf.get(layout.runtime_interpreters_head, runtime, "interpreters.head");
  if (minor <= 11) {
    dwarf.get(layout.runtime_gil, runtime, "ceval.gil");
  } else {
    dwarf.get(layout.interp_gil_pointer, interp, "ceval.gil");
  }
  dwarf.get(layout.gil_locked, gil, "locked");
  dwarf.get(layout.gil_last_holder, gil, "last_holder");

  dwarf.get(layout.interp_next, interp, "next");
  dwarf.get(layout.interp_threads_head, interp, minor <= 10 ? "tstate_head" : "threads.head");

  dwarf.get(layout.tstate_next, tstate, "next");
  dwarf.get(layout.tstate_interp, tstate, "interp");
  dwarf.get(layout.tstate_thread_id, tstate, "thread_id");
  if (minor >= 11) dwarf.get(layout.tstate_native_thread_id, tstate, "native_thread_id");
  if (minor <= 10) {
    dwarf.get(layout.tstate_frame, tstate, "frame");
  } else if (minor <= 12) {
    dwarf.get(layout.tstate_frame, tstate, "cframe");
    dwarf.get(layout.cframe_current_frame, "struct _PyCFrame", "current_frame");
  } else {
    dwarf.get(layout.tstate_frame, tstate, "current_frame");
  }

  if (minor <= 10) {
    constexpr std::string_view frame = "struct _frame";
    dwarf.get(layout.frame_previous, frame, "f_back");
    dwarf.get(layout.frame_code, frame, "f_code");
    dwarf.get(layout.frame_instruction, frame, "f_lasti");
  } else {
    constexpr std::string_view frame = "struct _PyInterpreterFrame";
    dwarf.get(layout.frame_previous, frame, "previous");
    dwarf.get(layout.frame_code, frame, minor <= 12 ? "f_code" : "f_executable");
    dwarf.get(layout.frame_instruction, frame, minor <= 12 ? "prev_instr" : "instr_ptr");
    if (minor == 11) {
      dwarf.get(layout.frame_is_entry, frame, "is_entry");
    } else {
      dwarf.get(layout.frame_owner, frame, "owner");
    }
  }

  dwarf.get(layout.code_filename, code, "co_filename");
  dwarf.get(layout.code_name, code, "co_name");
  if (minor >= 11) {
    dwarf.get(layout.code_qualname, code, "co_qualname");
    dwarf.get(layout.code_adaptive, code, "co_code_adaptive");
  }
  dwarf.get(layout.code_firstlineno, code, "co_firstlineno");
  dwarf.get(layout.code_linetable, code, minor == 9 ? "co_lnotab" : "co_linetable");

  dwarf.get(layout.object_type, "struct _object", "ob_type");
  dwarf.get(layout.bytes_size, "PyBytesObject", "ob_base.ob_size");
  dwarf.get(layout.bytes_data, "PyBytesObject", "ob_sval");
  dwarf.get(layout.unicode_length, "PyASCIIObject", "length");
  dwarf.get(layout.unicode_state, "PyASCIIObject", "state");
  dwarf.size(layout.ascii_size, "PyASCIIObject");
  dwarf.size(layout.compact_size, "PyCompactUnicodeObject");
  if (!dwarf.error().empty()) {
    return Error{0, "the debug information of Python " + version.text() +
                        " does not describe its runtime: " + dwarf.error()};
  }
  if (auto usable = check_python_layout(layout); !usable) return usable.error();
  return layout;
}

namespace {

constexpr std::string_view kDebugCookie = "xdebugpy";

// Where each field is in _Py_DebugOffsets, as an index of its 8-byte words (the
// cookie is word 0, the version word 1, free_threaded word 2, then every field a
// uint64_t). From CPython's Include/internal/pycore_runtime.h (3.13) and
// pycore_debug_offsets.h (3.14).
struct DebugOffsetWords {
  std::size_t runtime_interpreters_head;
  std::size_t interp_next, interp_threads_head, interp_ceval_gil, interp_gil_state,
      interp_gil_locked, interp_gil_holder;
  std::size_t tstate_next, tstate_interp, tstate_current_frame, tstate_thread_id,
      tstate_native_thread_id;
  std::size_t frame_previous, frame_executable, frame_instr_ptr, frame_owner;
  std::size_t code_filename, code_name, code_qualname, code_linetable, code_firstlineno,
      code_adaptive;
  std::size_t object_type;
  std::size_t bytes_size, bytes_data;
  std::size_t unicode_state, unicode_length, unicode_ascii_size;
};

// 3.13: runtime_state {size, finalizing, interpreters_head} at 3; interpreter_state
// {size, id, next, threads_head, gc, imports_modules, sysdict, builtins, ceval_gil,
// gil_runtime_state, _enabled, _locked, _holder} at 6; thread_state {size, prev,
// next, interp, current_frame, thread_id, native_thread_id, datastack_chunk,
// status} at 19; interpreter_frame {size, previous, executable, instr_ptr,
// localsplus, owner} at 28; code_object {size, filename, name, qualname,
// linetable, firstlineno, argcount, localsplusnames, localspluskinds,
// co_code_adaptive} at 34; pyobject {size, ob_type} at 44; type_object (4) at 46,
// tuple (3) at 50, list (3) at 53, dict (3) at 56, float (2) at 59, long (3) at 61;
// bytes_object {size, ob_size, ob_sval} at 64; unicode_object {size, state,
// length, asciiobject_size} at 67.
constexpr DebugOffsetWords kDebugOffsets313 = {.runtime_interpreters_head = 5,
                                               .interp_next = 8,
                                               .interp_threads_head = 9,
                                               .interp_ceval_gil = 14,
                                               .interp_gil_state = 15,
                                               .interp_gil_locked = 17,
                                               .interp_gil_holder = 18,
                                               .tstate_next = 21,
                                               .tstate_interp = 22,
                                               .tstate_current_frame = 23,
                                               .tstate_thread_id = 24,
                                               .tstate_native_thread_id = 25,
                                               .frame_previous = 29,
                                               .frame_executable = 30,
                                               .frame_instr_ptr = 31,
                                               .frame_owner = 33,
                                               .code_filename = 35,
                                               .code_name = 36,
                                               .code_qualname = 37,
                                               .code_linetable = 38,
                                               .code_firstlineno = 39,
                                               .code_adaptive = 43,
                                               .object_type = 45,
                                               .bytes_size = 65,
                                               .bytes_data = 66,
                                               .unicode_state = 68,
                                               .unicode_length = 69,
                                               .unicode_ascii_size = 70};

// 3.14 adds interpreter_state.threads_main (after threads_head),
// code_object_generation and tlbc_generation (at its end), interpreter_frame's
// stackpointer and tlbc_index, code_object.co_tlbc, and a set_object (4 words)
// after list_object: interpreter_state {size, id, next, threads_head,
// threads_main, gc, imports_modules, sysdict, builtins, ceval_gil,
// gil_runtime_state, _enabled, _locked, _holder, code_object_generation,
// tlbc_generation} at 6; thread_state at 22; interpreter_frame {size, previous,
// executable, instr_ptr, localsplus, owner, stackpointer, tlbc_index} at 31;
// code_object {..., co_code_adaptive, co_tlbc} at 39; pyobject at 50;
// type_object at 52, tuple at 56, list at 59, set at 62, dict at 66, float at 69,
// long at 71; bytes_object at 74; unicode_object at 77.
constexpr DebugOffsetWords kDebugOffsets314 = {.runtime_interpreters_head = 5,
                                               .interp_next = 8,
                                               .interp_threads_head = 9,
                                               .interp_ceval_gil = 15,
                                               .interp_gil_state = 16,
                                               .interp_gil_locked = 18,
                                               .interp_gil_holder = 19,
                                               .tstate_next = 24,
                                               .tstate_interp = 25,
                                               .tstate_current_frame = 26,
                                               .tstate_thread_id = 27,
                                               .tstate_native_thread_id = 28,
                                               .frame_previous = 32,
                                               .frame_executable = 33,
                                               .frame_instr_ptr = 34,
                                               .frame_owner = 36,
                                               .code_filename = 40,
                                               .code_name = 41,
                                               .code_qualname = 42,
                                               .code_linetable = 43,
                                               .code_firstlineno = 44,
                                               .code_adaptive = 48,
                                               .object_type = 51,
                                               .bytes_size = 75,
                                               .bytes_data = 76,
                                               .unicode_state = 78,
                                               .unicode_length = 79,
                                               .unicode_ascii_size = 80};

constexpr std::size_t kFreeThreadedWord = 2;

std::uint64_t word(std::span<const std::byte> bytes, std::size_t index) {
  std::uint64_t value = 0;
  std::memcpy(&value, bytes.data() + index * 8, sizeof value);
  return value;
}

}  // namespace

std::optional<PythonVersion> python_debug_offsets_version(
    std::span<const std::byte> runtime_start) {
  if (runtime_start.size() < 16 ||
      std::memcmp(runtime_start.data(), kDebugCookie.data(), kDebugCookie.size()) != 0) {
    return std::nullopt;
  }
  return python_version_from_hex(word(runtime_start, 1));
}

Result<PythonLayout> python_layout_from_debug_offsets(std::span<const std::byte> runtime_start) {
  auto version = python_debug_offsets_version(runtime_start);
  if (!version) return Error{0, "_PyRuntime does not start with CPython's _Py_DebugOffsets"};
  const DebugOffsetWords* words = nullptr;
  if (version->major == 3 && version->minor == 13) words = &kDebugOffsets313;
  if (version->major == 3 && version->minor == 14) words = &kDebugOffsets314;
  if (words == nullptr) {
    return Error{0, "Python " + version->text() +
                        ": ukstack does not know how this version lays out its "
                        "_Py_DebugOffsets (it knows 3.13 and 3.14)"};
  }
  const std::size_t needed = (words->unicode_ascii_size + 1) * 8;
  if (runtime_start.size() < needed) {
    return Error{0, "_Py_DebugOffsets of Python " + version->text() + " cut short"};
  }
  if (word(runtime_start, kFreeThreadedWord) != 0) {
    return Error{0, "Python " + version->text() +
                        " is a free-threaded build: ukstack reads the default build only"};
  }
  auto at = [&](std::size_t index) { return word(runtime_start, index); };
  PythonLayout layout;
  set_version_shape(layout, *version);
  layout.runtime_interpreters_head = at(words->runtime_interpreters_head);
  layout.interp_next = at(words->interp_next);
  layout.interp_threads_head = at(words->interp_threads_head);
  // The GIL: each interpreter's ceval.gil points at the one it uses (its own _gil,
  // or the main interpreter's); the fields' places inside it are the distance from
  // _gil to _gil.locked and _gil.last_holder.
  layout.interp_gil_pointer = at(words->interp_ceval_gil);
  const std::uint64_t gil_state = at(words->interp_gil_state);
  if (at(words->interp_gil_locked) < gil_state || at(words->interp_gil_holder) < gil_state) {
    return Error{0, "_Py_DebugOffsets of Python " + version->text() +
                        " put the GIL's fields before the GIL"};
  }
  layout.gil_locked = at(words->interp_gil_locked) - gil_state;
  layout.gil_last_holder = at(words->interp_gil_holder) - gil_state;
  layout.tstate_next = at(words->tstate_next);
  layout.tstate_interp = at(words->tstate_interp);
  layout.tstate_frame = at(words->tstate_current_frame);
  layout.tstate_thread_id = at(words->tstate_thread_id);
  layout.tstate_native_thread_id = at(words->tstate_native_thread_id);
  layout.frame_previous = at(words->frame_previous);
  layout.frame_code = at(words->frame_executable);
  layout.frame_instruction = at(words->frame_instr_ptr);
  layout.frame_owner = at(words->frame_owner);
  layout.code_filename = at(words->code_filename);
  layout.code_name = at(words->code_name);
  layout.code_qualname = at(words->code_qualname);
  layout.code_linetable = at(words->code_linetable);
  layout.code_firstlineno = at(words->code_firstlineno);
  layout.code_adaptive = at(words->code_adaptive);
  layout.object_type = at(words->object_type);
  layout.bytes_size = at(words->bytes_size);
  layout.bytes_data = at(words->bytes_data);
  layout.unicode_state = at(words->unicode_state);
  layout.unicode_length = at(words->unicode_length);
  layout.ascii_size = at(words->unicode_ascii_size);
  // PyCompactUnicodeObject is PyASCIIObject then utf8_length and utf8 (3.12+).
  layout.compact_size = layout.ascii_size + 16;
  if (auto usable = check_python_layout(layout); !usable) return usable.error();
  return layout;
}

}  // namespace ukstack::unwind
