#include "unwind/python_threads.h"

#include <algorithm>
#include <cstring>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "base/format.h"
#include "unwind/cached_address_space.h"
#include "unwind/python_line_table.h"
#include "unwind/python_objects.h"

namespace ukstack::unwind {

namespace {

// Frames owned by the C stack (3.12, 3.13: FRAME_OWNED_BY_CSTACK = 3) or by the
// interpreter (3.14: FRAME_OWNED_BY_INTERPRETER = 3, FRAME_OWNED_BY_CSTACK = 4)
// are the shims _PyEval_EvalFrameDefault pushes for itself, not Python code.
constexpr std::int8_t kFirstShimOwner = 3;

// How many bytes of a struct hold every field read from it.
std::size_t span_of(std::initializer_list<std::uint64_t> ends) {
  return static_cast<std::size_t>(std::max(ends));
}

// What a frame needs of its code object, read once per code object and read.
struct CodeInfo {
  std::string error;  // not a code object, or unreadable: the frame is not shown
  std::string function;
  std::string file;
  int first_line = 0;
  std::vector<std::uint8_t> line_table;
  std::string line_table_error;  // no lines for its frames, and why
};

class ThreadReader {
 public:
  ThreadReader(const AddressSpace& memory, const PythonProgram& program)
      : memory_(memory), program_(program), layout_(program.layout) {}

  PythonThreadState read(RemoteAddr tstate);
  Result<RemoteAddr> current_frame(RemoteAddr tstate) const;

 private:
  const CodeInfo& code(RemoteAddr address);
  std::optional<int> line(const CodeInfo& info, RemoteAddr code_object,
                          std::span<const std::byte> frame) const;
  void read_frames(PythonThreadState& thread);
  std::optional<int> thread_id(std::span<const std::byte> tstate);

  const AddressSpace& memory_;
  const PythonProgram& program_;
  const PythonLayout& layout_;
  std::unordered_map<std::uint64_t, CodeInfo> codes_;  // by the code object's address
};

std::optional<int> ThreadReader::thread_id(std::span<const std::byte> tstate) {
  if (layout_.tstate_native_thread_id) {
    const auto tid = load_at<std::uint64_t>(tstate, *layout_.tstate_native_thread_id);
    if (tid > 0 && tid <= 0x7fffffff) return static_cast<int>(tid);
    return std::nullopt;
  }
  // Before 3.11: thread_id is pthread_self(), its struct pthread's address.
  const RemoteAddr pthread(load_at<std::uint64_t>(tstate, layout_.tstate_thread_id));
  if (pthread.is_null()) return std::nullopt;
  auto tid = memory_.read_value<std::int32_t>(pthread + program_.pthread_tid_offset);
  if (!tid || *tid <= 0) return std::nullopt;
  return *tid;
}

Result<RemoteAddr> ThreadReader::current_frame(RemoteAddr tstate) const {
  auto head = read_remote_pointer(memory_, tstate + layout_.tstate_frame);
  if (!head) return head.error();
  if (!layout_.cframe_current_frame || head->is_null()) return *head;
  // 3.11/3.12: the thread state points at its _PyCFrame, which has the frame.
  return read_remote_pointer(memory_, *head + *layout_.cframe_current_frame);
}

const CodeInfo& ThreadReader::code(RemoteAddr address) {
  auto [entry, inserted] = codes_.try_emplace(address.value());
  CodeInfo& info = entry->second;
  if (!inserted) return info;
  std::vector<std::byte> bytes(
      span_of({layout_.object_type + 8, layout_.code_filename + 8, layout_.code_name + 8,
               layout_.code_qualname.value_or(0) + 8, layout_.code_firstlineno + 4,
               layout_.code_linetable + 8}));
  if (address.is_null() || !memory_.read_exact(address, bytes)) {
    info.error = "cannot read its code object at " + hex(address.value());
    return info;
  }
  if (program_.code_type &&
      RemoteAddr(load_at<std::uint64_t>(bytes, layout_.object_type)) != *program_.code_type) {
    info.error = "its code object at " + hex(address.value()) + " is not a code object";
    return info;
  }
  const RemoteAddr name(load_at<std::uint64_t>(
      bytes, layout_.code_qualname ? *layout_.code_qualname : layout_.code_name));
  auto function = read_python_str(memory_, layout_, name, program_.unicode_type);
  auto file = read_python_str(memory_, layout_,
                              RemoteAddr(load_at<std::uint64_t>(bytes, layout_.code_filename)),
                              program_.unicode_type);
  if (!function || !file) {
    info.error = "the code object at " + hex(address.value()) + " has no readable name: " +
                 (!function ? function.error().message : file.error().message);
    return info;
  }
  info.function = std::move(*function);
  info.file = std::move(*file);
  info.first_line = load_at<std::int32_t>(bytes, layout_.code_firstlineno);
  auto table = read_python_bytes(memory_, layout_,
                                 RemoteAddr(load_at<std::uint64_t>(bytes, layout_.code_linetable)),
                                 kMaxPythonLineTable, program_.bytes_type);
  if (table) {
    info.line_table = std::move(*table);
  } else {
    info.line_table_error =
        "no line for " + info.function + ": its line table: " + table.error().message;
  }
  return info;
}

std::optional<int> ThreadReader::line(const CodeInfo& info, RemoteAddr code_object,
                                      std::span<const std::byte> frame) const {
  switch (layout_.line_table) {
    case PythonLineTableFormat::lnotab:  // f_lasti in bytes
      return lnotab_line(info.line_table, info.first_line,
                         load_at<std::int32_t>(frame, layout_.frame_instruction));
    case PythonLineTableFormat::linetable:  // f_lasti in code units, the table in bytes
      return linetable_line(
          info.line_table, info.first_line,
          std::int64_t{load_at<std::int32_t>(frame, layout_.frame_instruction)} * 2);
    case PythonLineTableFormat::locations: {
      // A pointer into the code object's own instructions: 3.11/3.12's
      // prev_instr (one unit before the first when the frame has not started),
      // 3.13's instr_ptr.
      const RemoteAddr instruction(load_at<std::uint64_t>(frame, layout_.frame_instruction));
      const RemoteAddr first = code_object + layout_.code_adaptive.value_or(0);
      if (instruction < first) {
        // Only "one unit before the first" is a real place (a frame not started).
        return instruction + 2 == first ? location_table_line(info.line_table, info.first_line, -1)
                                        : std::nullopt;
      }
      // Past every unit a table can describe: not this code's instruction.
      const std::uint64_t distance = instruction - first;
      if (distance / 2 > kMaxPythonLineTable * 8) return std::nullopt;
      return location_table_line(info.line_table, info.first_line,
                                 static_cast<std::int64_t>(distance / 2));
    }
  }
  return std::nullopt;
}

void ThreadReader::read_frames(PythonThreadState& thread) {
  const std::size_t frame_size =
      span_of({layout_.frame_previous + 8, layout_.frame_code + 8, layout_.frame_instruction + 8,
               layout_.frame_is_entry + 1, layout_.frame_owner + 1});
  std::vector<std::byte> frame_bytes(frame_size);
  std::unordered_set<std::uint64_t> seen;
  std::size_t walked = 0;
  for (RemoteAddr frame = thread.current_frame; !frame.is_null();) {
    if (++walked > kMaxPythonFrames) {
      thread.notes.push_back("more than " + std::to_string(kMaxPythonFrames) +
                             " Python frames: taken for corrupted memory, the rest left out");
      thread.complete = false;
      return;
    }
    if (!seen.insert(frame.value()).second) {
      thread.notes.push_back("the Python frame chain loops back to the frame at " +
                             hex(frame.value()) + ": the rest left out");
      thread.complete = false;
      return;
    }
    if (!memory_.read_exact(frame, frame_bytes)) {
      thread.notes.push_back("cannot read the Python frame at " + hex(frame.value()) +
                             ": the rest left out");
      thread.complete = false;
      return;
    }
    const RemoteAddr previous(load_at<std::uint64_t>(frame_bytes, layout_.frame_previous));
    if (layout_.frame_kind == PythonFrameKind::shim_frames &&
        load_at<std::int8_t>(frame_bytes, layout_.frame_owner) >= kFirstShimOwner) {
      // The frame just inside this shim is the outermost of its eval call.
      if (!thread.frames.empty()) thread.frames.back().entry = true;
      frame = previous;
      continue;
    }
    std::uint64_t code_word = load_at<std::uint64_t>(frame_bytes, layout_.frame_code);
    if (layout_.frame_code_tagged) code_word &= ~std::uint64_t{3};  // a _PyStackRef's tag bits
    const RemoteAddr code_object(code_word);
    const CodeInfo& info = code(code_object);
    if (!info.error.empty()) {
      thread.notes.push_back("the Python frame at " + hex(frame.value()) +
                             " is not read: " + info.error + "; the rest left out");
      thread.complete = false;
      return;
    }
    PythonFrame python_frame;
    python_frame.function = info.function;
    python_frame.file = info.file;
    if (info.line_table_error.empty()) {
      python_frame.line = line(info, code_object, frame_bytes);
    } else if (std::find(thread.notes.begin(), thread.notes.end(), info.line_table_error) ==
               thread.notes.end()) {
      thread.notes.push_back(info.line_table_error);
    }
    switch (layout_.frame_kind) {
      case PythonFrameKind::frame_object:
        python_frame.entry = true;
        break;
      case PythonFrameKind::entry_flag:
        python_frame.entry = load_at<std::uint8_t>(frame_bytes, layout_.frame_is_entry) != 0;
        break;
      case PythonFrameKind::shim_frames:
        break;  // set when the shim under it is met
    }
    thread.frames.push_back(std::move(python_frame));
    frame = previous;
  }
}

PythonThreadState ThreadReader::read(RemoteAddr tstate) {
  PythonThreadState thread;
  thread.tstate = tstate;
  std::vector<std::byte> bytes(
      span_of({layout_.tstate_next + 8, layout_.tstate_interp + 8, layout_.tstate_thread_id + 8,
               layout_.tstate_native_thread_id.value_or(0) + 8, layout_.tstate_frame + 8}));
  if (!memory_.read_exact(tstate, bytes)) {
    thread.notes.push_back("cannot read the Python thread state at " + hex(tstate.value()));
    thread.complete = false;
    return thread;
  }
  thread.tid = thread_id(bytes);
  auto head = current_frame(tstate);
  if (!head) {
    thread.notes.push_back("cannot read the current frame of the Python thread state at " +
                           hex(tstate.value()));
    thread.complete = false;
    return thread;
  }
  thread.current_frame = *head;
  read_frames(thread);
  return thread;
}

// The thread state holding the GIL in the GIL state at `gil`, if it is locked.
std::optional<RemoteAddr> gil_holder(const AddressSpace& memory, const PythonLayout& layout,
                                     RemoteAddr gil, std::vector<std::string>& notes) {
  auto locked = memory.read_value<std::int32_t>(gil + layout.gil_locked);
  auto holder = read_remote_pointer(memory, gil + layout.gil_last_holder);
  if (!locked || !holder) {
    notes.push_back("cannot read the GIL's state at " + hex(gil.value()));
    return std::nullopt;
  }
  if (*locked == 0 || holder->is_null()) return std::nullopt;
  return *holder;
}

}  // namespace

Result<RemoteAddr> read_current_frame(const AddressSpace& memory, const PythonProgram& program,
                                      RemoteAddr tstate) {
  return ThreadReader(memory, program).current_frame(tstate);
}

PythonThreadState read_python_thread(const AddressSpace& memory, const PythonProgram& program,
                                     RemoteAddr tstate) {
  const CachedAddressSpace cached(memory);
  return ThreadReader(cached, program).read(tstate);
}

Result<PythonThreads> read_python_threads(const AddressSpace& uncached,
                                          const PythonProgram& program) {
  const PythonLayout& layout = program.layout;
  // Frames lie close together on each thread's data stack, and every thread
  // shares code objects and names: a page read once serves them all.
  const CachedAddressSpace memory(uncached);
  auto first = read_remote_pointer(memory, program.runtime + layout.runtime_interpreters_head);
  if (!first) {
    return Error{first.error().errnum,
                 "cannot read the interpreter list of Python's _PyRuntime at " +
                     hex(program.runtime.value())};
  }
  PythonThreads result;
  ThreadReader reader(memory, program);
  std::unordered_set<std::uint64_t> interpreters_seen;
  std::unordered_set<std::uint64_t> threads_seen;
  if (layout.runtime_gil) {
    result.gil_holder =
        gil_holder(memory, layout, program.runtime + *layout.runtime_gil, result.notes);
  }
  for (RemoteAddr interp = *first; !interp.is_null();) {
    if (interpreters_seen.size() >= kMaxPythonInterpreters ||
        !interpreters_seen.insert(interp.value()).second) {
      result.notes.push_back("the list of Python interpreters loops or runs past " +
                             std::to_string(kMaxPythonInterpreters) + ": the rest left out");
      break;
    }
    auto next = read_remote_pointer(memory, interp + layout.interp_next);
    auto threads = read_remote_pointer(memory, interp + layout.interp_threads_head);
    if (!next || !threads) {
      result.notes.push_back("cannot read the Python interpreter state at " + hex(interp.value()));
      break;
    }
    if (layout.interp_gil_pointer && !result.gil_holder) {
      // 3.12+: each interpreter points at the GIL it uses (its own or the main one's).
      if (auto gil = read_remote_pointer(memory, interp + *layout.interp_gil_pointer);
          gil && !gil->is_null()) {
        result.gil_holder = gil_holder(memory, layout, *gil, result.notes);
      }
    }
    for (RemoteAddr tstate = *threads; !tstate.is_null();) {
      if (threads_seen.size() >= kMaxPythonThreads || !threads_seen.insert(tstate.value()).second) {
        result.notes.push_back("the list of Python thread states loops or runs past " +
                               std::to_string(kMaxPythonThreads) + ": the rest left out");
        break;
      }
      result.threads.push_back(reader.read(tstate));
      auto following = read_remote_pointer(memory, tstate + layout.tstate_next);
      if (!following) {
        result.notes.push_back("the list of Python thread states breaks off at " +
                               hex(tstate.value()));
        break;
      }
      tstate = *following;
    }
    interp = *next;
  }
  return result;
}

}  // namespace ukstack::unwind
