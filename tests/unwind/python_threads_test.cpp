// The CPython thread reader on interpreters laid out by hand in a FakeAddressSpace,
// in the shapes of 3.11 (is_entry), 3.12 (shim frames, the GIL behind a pointer)
// and 3.9 (PyFrameObject, co_lnotab, the tid in glibc's struct pthread), each at
// the offsets of the built-in table; and corrupted ones (a cycle, an unreadable
// frame, an absurd length, an object that is not a code object), which give notes
// and incomplete threads, never a crash or a wrong frame.
#include "unwind/python_threads.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "unwind/fake_address_space.h"
#include "unwind/python_layout.h"

namespace ukstack::unwind {
namespace {

// A struct's bytes, written field by field.
struct Blob {
  std::vector<std::byte> bytes;
  explicit Blob(std::size_t size) : bytes(size) {}
  template <class T>
  Blob& put(std::uint64_t offset, T value) {
    std::memcpy(bytes.data() + offset, &value, sizeof value);
    return *this;
  }
  Blob& put(std::uint64_t offset, RemoteAddr value) { return put(offset, value.value()); }
};

constexpr RemoteAddr kRuntime(0x100000);
constexpr RemoteAddr kCodeType(0x200000);
constexpr RemoteAddr kUnicodeType(0x200100);
constexpr RemoteAddr kBytesType(0x200200);
constexpr RemoteAddr kUnmapped(0xdead0000);

// One interpreter's data in fake memory, at the table's offsets for `version`.
class FakePython {
 public:
  explicit FakePython(PythonVersion version) {
    program_.version = version;
    program_.runtime = kRuntime;
    program_.layout = *python_layout_from_table(version);
    program_.layout_source = "built-in table";
    program_.code_type = kCodeType;
    program_.unicode_type = kUnicodeType;
    program_.bytes_type = kBytesType;
  }
  const PythonLayout& layout() const { return program_.layout; }
  const PythonProgram& program() const { return program_; }
  FakeAddressSpace& memory() { return memory_; }

  RemoteAddr place(const Blob& blob) {
    const RemoteAddr at = next_;
    memory_.add(at, blob.bytes);
    next_ = next_ + ((blob.bytes.size() + 0x40 + 0xf) & ~std::uint64_t{0xf});
    return at;
  }

  // A compact str: ASCII when every character is, else Latin-1 (kind 1), UCS-2
  // (kind 2) or UCS-4 (kind 4) as the widest character needs.
  RemoteAddr str(const std::u32string& text, std::int64_t claimed_length = -1) {
    char32_t widest = 0;
    for (char32_t c : text) widest = std::max(widest, c);
    const bool ascii = widest < 0x80;
    const unsigned kind = widest < 0x100 ? 1 : widest < 0x10000 ? 2 : 4;
    const std::uint64_t header = ascii ? layout().ascii_size : layout().compact_size;
    Blob blob(header + (text.size() + 1) * kind);
    blob.put(layout().object_type, kUnicodeType);
    blob.put<std::int64_t>(layout().unicode_length,
                           claimed_length >= 0 ? claimed_length : std::int64_t(text.size()));
    blob.put<std::uint32_t>(layout().unicode_state,
                            (kind << 2) | (1u << 5) | (ascii ? 1u << 6 : 0u));
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (kind == 1) blob.put<std::uint8_t>(header + i, static_cast<std::uint8_t>(text[i]));
      if (kind == 2) blob.put<std::uint16_t>(header + i * 2, static_cast<std::uint16_t>(text[i]));
      if (kind == 4) blob.put<std::uint32_t>(header + i * 4, static_cast<std::uint32_t>(text[i]));
    }
    return place(blob);
  }
  RemoteAddr str(const std::string& ascii) {
    return str(std::u32string(ascii.begin(), ascii.end()));
  }

  RemoteAddr bytes(const std::vector<std::uint8_t>& data, std::int64_t claimed_size = -1) {
    Blob blob(layout().bytes_data + data.size() + 1);
    blob.put(layout().object_type, kBytesType);
    blob.put<std::int64_t>(layout().bytes_size,
                           claimed_size >= 0 ? claimed_size : std::int64_t(data.size()));
    std::memcpy(blob.bytes.data() + layout().bytes_data, data.data(), data.size());
    return place(blob);
  }

  // A code object whose instruction i (code units in 3.10+, 2-byte instructions
  // in 3.9) is on line lines[i], the table in the version's own encoding.
  struct Code {
    std::string name, qualname, file;
    int first_line = 1;
    std::vector<int> lines;
  };
  RemoteAddr code(const Code& code, RemoteAddr type = kCodeType, RemoteAddr name = {}) {
    const auto& l = layout();
    Blob blob(l.code_adaptive.value_or(l.code_linetable + 8) + code.lines.size() * 2 + 8);
    blob.put(l.object_type, type);
    blob.put(l.code_filename, str(code.file));
    const RemoteAddr short_name = str(code.name);
    blob.put(l.code_name, short_name);
    if (l.code_qualname) blob.put(*l.code_qualname, name.is_null() ? str(code.qualname) : name);
    if (!l.code_qualname && !name.is_null()) blob.put(l.code_name, name);
    blob.put<std::int32_t>(l.code_firstlineno, code.first_line);
    blob.put(l.code_linetable, bytes(line_table(code)));
    return place(blob);
  }

  // The frame object or interpreter frame of `code` at instruction `at`.
  struct Frame {
    RemoteAddr code;
    int at = 0;
    RemoteAddr previous;
    bool is_entry = false;  // 3.11
    std::int8_t owner = 0;  // 3.12+
  };
  RemoteAddr frame(const Frame& frame) {
    const auto& l = layout();
    Blob blob(std::max({l.frame_previous, l.frame_code, l.frame_instruction, l.frame_is_entry,
                        l.frame_owner}) +
              8);
    blob.put(l.frame_previous, frame.previous);
    blob.put(l.frame_code, frame.code);
    switch (l.line_table) {
      case PythonLineTableFormat::lnotab:
        blob.put<std::int32_t>(l.frame_instruction, frame.at * 2);  // bytes
        break;
      case PythonLineTableFormat::linetable:
        blob.put<std::int32_t>(l.frame_instruction, frame.at);  // code units
        break;
      case PythonLineTableFormat::locations:
        blob.put(l.frame_instruction, frame.code + *l.code_adaptive + std::uint64_t(frame.at) * 2);
        break;
    }
    if (l.frame_kind == PythonFrameKind::entry_flag) {
      blob.put<std::uint8_t>(l.frame_is_entry, frame.is_entry ? 1 : 0);
    }
    if (l.frame_kind == PythonFrameKind::shim_frames) blob.put(l.frame_owner, frame.owner);
    return place(blob);
  }

  // A thread state at a fixed address (so that lists can be linked before it is
  // filled), with its OS thread id where the version keeps it.
  RemoteAddr thread_state(RemoteAddr at, RemoteAddr next, int tid, RemoteAddr top_frame) {
    const auto& l = layout();
    Blob blob(std::max({l.tstate_next, l.tstate_interp, l.tstate_thread_id,
                        l.tstate_native_thread_id.value_or(0), l.tstate_frame}) +
              8);
    blob.put(l.tstate_next, next);
    if (l.tstate_native_thread_id) {
      blob.put<std::uint64_t>(*l.tstate_native_thread_id, static_cast<std::uint64_t>(tid));
      blob.put<std::uint64_t>(l.tstate_thread_id, 0x7f0000001000 + at.value());
    } else {
      // pthread_self(): a struct pthread with the tid inside.
      Blob pthread(program_.pthread_tid_offset + 8);
      pthread.put<std::int32_t>(program_.pthread_tid_offset, tid);
      blob.put(l.tstate_thread_id, place(pthread));
    }
    if (l.cframe_current_frame) {
      Blob cframe(*l.cframe_current_frame + 16);
      cframe.put(*l.cframe_current_frame, top_frame);
      blob.put(l.tstate_frame, place(cframe));
    } else {
      blob.put(l.tstate_frame, top_frame);
    }
    memory_.add(at, blob.bytes);
    return at;
  }

  // _PyRuntime with one interpreter whose threads start at `first_thread`, and
  // the GIL held by `holder` (none: free).
  void runtime(RemoteAddr first_thread, RemoteAddr holder = {}) {
    const auto& l = layout();
    Blob gil(32);
    gil.put<std::int32_t>(l.gil_locked, holder.is_null() ? 0 : 1);
    // A GIL released keeps its last holder: only `locked` says it is free.
    gil.put(l.gil_last_holder, holder.is_null() ? RemoteAddr(0x7777000) : holder);
    Blob interp(std::max({l.interp_next, l.interp_threads_head, l.interp_gil_pointer.value_or(0)}) +
                8);
    interp.put(l.interp_next, RemoteAddr());
    interp.put(l.interp_threads_head, first_thread);
    if (l.interp_gil_pointer) interp.put(*l.interp_gil_pointer, place(gil));
    Blob runtime(std::max(l.runtime_interpreters_head, l.runtime_gil.value_or(0) + 32) + 8);
    runtime.put(l.runtime_interpreters_head, place(interp));
    if (l.runtime_gil) std::memcpy(runtime.bytes.data() + *l.runtime_gil, gil.bytes.data(), 32);
    memory_.add(kRuntime, runtime.bytes);
  }

 private:
  std::vector<std::uint8_t> line_table(const Code& code) const {
    std::vector<std::uint8_t> table;
    int line = code.first_line;
    for (std::size_t i = 0; i < code.lines.size(); ++i) {
      const int delta = code.lines[i] - line;
      line = code.lines[i];
      switch (layout().line_table) {
        case PythonLineTableFormat::lnotab:
          // (address increment, line increment): instruction i starts at byte 2i,
          // so the first pair moves the line at address 0.
          table.push_back(i == 0 ? 0 : 2);
          table.push_back(static_cast<std::uint8_t>(static_cast<std::int8_t>(delta)));
          break;
        case PythonLineTableFormat::linetable:
          // A range of one 2-byte instruction and its line delta.
          table.push_back(2);
          table.push_back(static_cast<std::uint8_t>(static_cast<std::int8_t>(delta)));
          break;
        case PythonLineTableFormat::locations: {
          // One code unit, "no columns" (code 13), the delta as a signed varint.
          table.push_back(0x80 | (13 << 3));
          unsigned raw = delta < 0 ? (unsigned(-delta) << 1) | 1 : unsigned(delta) << 1;
          do {
            std::uint8_t group = raw & 63;
            raw >>= 6;
            if (raw != 0) group |= 64;
            table.push_back(group);
          } while (raw != 0);
          break;
        }
      }
    }
    return table;
  }

  PythonProgram program_;
  FakeAddressSpace memory_;
  RemoteAddr next_{0x300000};
};

constexpr RemoteAddr kThreadA(0x10000);
constexpr RemoteAddr kThreadB(0x11000);
constexpr RemoteAddr kThreadC(0x12000);

const FakePython::Code kWorkerRun = {
    "run", "Worker.run", "/srv/app/worker.py", 10, {11, 12, 12, 14, 15}};
const FakePython::Code kHandle = {"handle", "handle", "/srv/app/app.py", 200, {201, 212, 212}};
const FakePython::Code kModule = {"<module>", "<module>", "/srv/app/main.py", 1, {1, 3, 5}};

std::vector<std::string> names(const PythonThreadState& thread) {
  std::vector<std::string> out;
  for (const auto& frame : thread.frames) out.push_back(frame.function);
  return out;
}

TEST(PythonThreads, Python311ThreadsFramesLinesEntriesAndTheGil) {
  FakePython py({3, 11, 2});
  const RemoteAddr run = py.code(kWorkerRun);
  const RemoteAddr handle = py.code(kHandle);
  const RemoteAddr module = py.code(kModule);
  // Thread A: <module> (entry) → handle → Worker.run, the last two in one eval call
  // called from C (handle is an entry too: a C function called it).
  const RemoteAddr a3 =
      py.frame({.code = module, .at = 2, .previous = RemoteAddr(), .is_entry = true, .owner = 0});
  const RemoteAddr a2 =
      py.frame({.code = handle, .at = 1, .previous = a3, .is_entry = true, .owner = 0});
  const RemoteAddr a1 =
      py.frame({.code = run, .at = 3, .previous = a2, .is_entry = false, .owner = 0});
  // Thread B: handle alone. Thread C: no Python frame (a thread with nothing running).
  const RemoteAddr b1 =
      py.frame({.code = handle, .at = 0, .previous = RemoteAddr(), .is_entry = true, .owner = 0});
  py.thread_state(kThreadA, kThreadB, 4101, a1);
  py.thread_state(kThreadB, kThreadC, 4102, b1);
  py.thread_state(kThreadC, {}, 4103, {});
  py.runtime(kThreadA, /*holder=*/kThreadB);

  auto threads = read_python_threads(py.memory(), py.program());
  ASSERT_TRUE(threads.ok()) << threads.error().message;
  EXPECT_TRUE(threads->notes.empty()) << ::testing::PrintToString(threads->notes);
  ASSERT_EQ(threads->threads.size(), 3u);
  EXPECT_EQ(threads->gil_holder, std::optional(kThreadB));

  const auto& a = threads->threads[0];
  EXPECT_EQ(a.tstate, kThreadA);
  EXPECT_EQ(a.tid, std::optional(4101));
  EXPECT_EQ(a.current_frame, a1);
  EXPECT_TRUE(a.complete);
  EXPECT_TRUE(a.notes.empty()) << ::testing::PrintToString(a.notes);
  ASSERT_EQ(names(a), (std::vector<std::string>{"Worker.run", "handle", "<module>"}));
  EXPECT_EQ(a.frames[0].file, "/srv/app/worker.py");
  EXPECT_EQ(a.frames[0].line, std::optional(14));
  EXPECT_FALSE(a.frames[0].entry);
  EXPECT_EQ(a.frames[1].file, "/srv/app/app.py");
  EXPECT_EQ(a.frames[1].line, std::optional(212));
  EXPECT_TRUE(a.frames[1].entry);
  EXPECT_EQ(a.frames[2].line, std::optional(5));
  EXPECT_TRUE(a.frames[2].entry);

  const auto& b = threads->threads[1];
  EXPECT_EQ(b.tid, std::optional(4102));
  ASSERT_EQ(names(b), std::vector<std::string>{"handle"});
  EXPECT_EQ(b.frames[0].line, std::optional(201));

  const auto& c = threads->threads[2];
  EXPECT_EQ(c.tid, std::optional(4103));
  EXPECT_TRUE(c.frames.empty());
  EXPECT_TRUE(c.complete);

  // The lead's verification of a read without a stop: the head read again.
  EXPECT_EQ(read_current_frame(py.memory(), py.program(), kThreadA).value(), a1);
  // One thread alone, read again.
  EXPECT_EQ(names(read_python_thread(py.memory(), py.program(), kThreadB)),
            std::vector<std::string>{"handle"});
}

TEST(PythonThreads, Python311GilFreeHasNoHolder) {
  FakePython py({3, 11, 2});
  py.thread_state(kThreadA, {}, 4101, {});
  py.runtime(kThreadA, /*holder=*/{});
  auto threads = read_python_threads(py.memory(), py.program());
  ASSERT_TRUE(threads.ok()) << threads.error().message;
  EXPECT_EQ(threads->gil_holder, std::nullopt);
}

TEST(PythonThreads, Python312ShimFramesMarkEntriesAndAreLeftOut) {
  FakePython py({3, 12, 1});
  const RemoteAddr run = py.code(kWorkerRun);
  const RemoteAddr handle = py.code(kHandle);
  const RemoteAddr module = py.code(kModule);
  // Innermost first: run, handle, [shim], <module>, [shim]. A shim's code is not
  // a code object (None in 3.13): it must not be read as one.
  const RemoteAddr shim2 = py.frame({.code = RemoteAddr(0x4242),
                                     .at = 0,
                                     .previous = RemoteAddr(),
                                     .is_entry = false,
                                     .owner = 3});
  const RemoteAddr f3 =
      py.frame({.code = module, .at = 1, .previous = shim2, .is_entry = false, .owner = 0});
  const RemoteAddr shim1 = py.frame(
      {.code = RemoteAddr(0x4242), .at = 0, .previous = f3, .is_entry = false, .owner = 3});
  const RemoteAddr f2 =
      py.frame({.code = handle, .at = 2, .previous = shim1, .is_entry = false, .owner = 0});
  const RemoteAddr f1 =
      py.frame({.code = run, .at = 0, .previous = f2, .is_entry = false, .owner = 0});
  py.thread_state(kThreadA, {}, 5001, f1);
  py.runtime(kThreadA, /*holder=*/kThreadA);

  auto threads = read_python_threads(py.memory(), py.program());
  ASSERT_TRUE(threads.ok()) << threads.error().message;
  ASSERT_EQ(threads->threads.size(), 1u);
  EXPECT_EQ(threads->gil_holder, std::optional(kThreadA));  // through interp->ceval.gil
  const auto& a = threads->threads[0];
  EXPECT_TRUE(a.notes.empty()) << ::testing::PrintToString(a.notes);
  ASSERT_EQ(names(a), (std::vector<std::string>{"Worker.run", "handle", "<module>"}));
  EXPECT_EQ(a.frames[0].line, std::optional(11));
  EXPECT_FALSE(a.frames[0].entry);
  EXPECT_EQ(a.frames[1].line, std::optional(212));
  EXPECT_TRUE(a.frames[1].entry);
  EXPECT_EQ(a.frames[2].line, std::optional(3));
  EXPECT_TRUE(a.frames[2].entry);
}

TEST(PythonThreads, Python39FramesAreEachAnEntryAndTidsComeFromPthread) {
  FakePython py({3, 9, 18});
  const RemoteAddr run = py.code(kWorkerRun);
  const RemoteAddr module = py.code(kModule);
  const RemoteAddr f2 =
      py.frame({.code = module, .at = 2, .previous = RemoteAddr(), .is_entry = false, .owner = 0});
  const RemoteAddr f1 =
      py.frame({.code = run, .at = 4, .previous = f2, .is_entry = false, .owner = 0});
  py.thread_state(kThreadA, {}, 6001, f1);
  py.runtime(kThreadA, /*holder=*/kThreadA);

  auto threads = read_python_threads(py.memory(), py.program());
  ASSERT_TRUE(threads.ok()) << threads.error().message;
  ASSERT_EQ(threads->threads.size(), 1u);
  EXPECT_EQ(threads->gil_holder, std::optional(kThreadA));
  const auto& a = threads->threads[0];
  EXPECT_EQ(a.tid, std::optional(6001));
  EXPECT_TRUE(a.notes.empty()) << ::testing::PrintToString(a.notes);
  // 3.9 has no co_qualname: the plain name.
  ASSERT_EQ(names(a), (std::vector<std::string>{"run", "<module>"}));
  EXPECT_EQ(a.frames[0].line, std::optional(15));
  EXPECT_EQ(a.frames[1].line, std::optional(5));
  EXPECT_TRUE(a.frames[0].entry);
  EXPECT_TRUE(a.frames[1].entry);
}

TEST(PythonThreads, Python310LinesFromItsLinetable) {
  FakePython py({3, 10, 13});
  const RemoteAddr handle = py.code(kHandle);
  const RemoteAddr f1 =
      py.frame({.code = handle, .at = 1, .previous = RemoteAddr(), .is_entry = false, .owner = 0});
  py.thread_state(kThreadA, {}, 7001, f1);
  py.runtime(kThreadA);
  auto threads = read_python_threads(py.memory(), py.program());
  ASSERT_TRUE(threads.ok()) << threads.error().message;
  ASSERT_EQ(threads->threads.size(), 1u);
  ASSERT_EQ(names(threads->threads[0]), std::vector<std::string>{"handle"});
  EXPECT_EQ(threads->threads[0].frames[0].line, std::optional(212));
}

TEST(PythonThreads, NamesInEveryKindOfCompactString) {
  FakePython py({3, 11, 2});
  const RemoteAddr latin1 =
      py.code({"x", "x", "/srv/app.py", 1, {1}}, kCodeType, py.str(U"caf\u00e9"));
  const RemoteAddr ucs2 =
      py.code({"x", "x", "/srv/app.py", 1, {1}}, kCodeType, py.str(U"\u03a9mega"));
  const RemoteAddr ucs4 =
      py.code({"x", "x", "/srv/app.py", 1, {1}}, kCodeType, py.str(U"\U0001F600"));
  const RemoteAddr f3 =
      py.frame({.code = ucs4, .at = 0, .previous = RemoteAddr(), .is_entry = true, .owner = 0});
  const RemoteAddr f2 =
      py.frame({.code = ucs2, .at = 0, .previous = f3, .is_entry = false, .owner = 0});
  const RemoteAddr f1 =
      py.frame({.code = latin1, .at = 0, .previous = f2, .is_entry = false, .owner = 0});
  py.thread_state(kThreadA, {}, 4101, f1);
  py.runtime(kThreadA);
  auto threads = read_python_threads(py.memory(), py.program());
  ASSERT_TRUE(threads.ok()) << threads.error().message;
  ASSERT_EQ(threads->threads.size(), 1u);
  EXPECT_EQ(names(threads->threads[0]),
            (std::vector<std::string>{"caf\xc3\xa9", "\xce\xa9mega", "\xf0\x9f\x98\x80"}));
}

TEST(PythonThreads, ACycleInTheFrameChainIsCutWithANote) {
  FakePython py({3, 11, 2});
  const RemoteAddr run = py.code(kWorkerRun);
  // Two frames, each the other's previous: 0x2000 → 0x3000 → 0x2000 ...
  const RemoteAddr first(0x2000);
  Blob loop(std::max(py.layout().frame_previous, py.layout().frame_instruction) + 16);
  loop.put(py.layout().frame_previous, RemoteAddr(0x3000));
  loop.put(py.layout().frame_code, run);
  loop.put(py.layout().frame_instruction, run + *py.layout().code_adaptive);
  py.memory().add(first, loop.bytes);
  Blob back(loop);
  back.put(py.layout().frame_previous, first);
  py.memory().add(RemoteAddr(0x3000), back.bytes);
  py.thread_state(kThreadA, {}, 4101, first);
  py.runtime(kThreadA);

  auto threads = read_python_threads(py.memory(), py.program());
  ASSERT_TRUE(threads.ok()) << threads.error().message;
  ASSERT_EQ(threads->threads.size(), 1u);
  const auto& a = threads->threads[0];
  EXPECT_FALSE(a.complete);
  EXPECT_EQ(a.frames.size(), 2u);
  ASSERT_EQ(a.notes.size(), 1u);
  EXPECT_NE(a.notes[0].find("loops"), std::string::npos) << a.notes[0];
}

TEST(PythonThreads, AnUnreadableFrameEndsTheThreadIncomplete) {
  FakePython py({3, 11, 2});
  const RemoteAddr run = py.code(kWorkerRun);
  const RemoteAddr f1 =
      py.frame({.code = run, .at = 2, .previous = kUnmapped, .is_entry = false, .owner = 0});
  py.thread_state(kThreadA, kThreadB, 4101, f1);
  py.thread_state(kThreadB, {}, 4102, {});
  py.runtime(kThreadA);
  auto threads = read_python_threads(py.memory(), py.program());
  ASSERT_TRUE(threads.ok()) << threads.error().message;
  ASSERT_EQ(threads->threads.size(), 2u);  // the next thread is still read
  const auto& a = threads->threads[0];
  EXPECT_FALSE(a.complete);
  ASSERT_EQ(names(a), std::vector<std::string>{"Worker.run"});
  EXPECT_EQ(a.frames[0].line, std::optional(12));
  ASSERT_EQ(a.notes.size(), 1u);
  EXPECT_NE(a.notes[0].find("cannot read the Python frame at 0xdead0000"), std::string::npos)
      << a.notes[0];
  EXPECT_TRUE(threads->threads[1].complete);
}

TEST(PythonThreads, AnAbsurdNameOrANonCodeObjectIsNoFrame) {
  FakePython py({3, 11, 2});
  const RemoteAddr huge_name =
      py.code({"x", "x", "/srv/app.py", 1, {1}}, kCodeType, py.str(U"run", 1 << 30));
  const RemoteAddr not_code = py.code(kWorkerRun, /*type=*/RemoteAddr(0x999000));
  const RemoteAddr good = py.code(kHandle);
  const RemoteAddr f1 = py.frame(
      {.code = huge_name, .at = 0, .previous = RemoteAddr(), .is_entry = false, .owner = 0});
  const RemoteAddr g2 = py.frame(
      {.code = not_code, .at = 0, .previous = RemoteAddr(), .is_entry = false, .owner = 0});
  const RemoteAddr g1 =
      py.frame({.code = good, .at = 0, .previous = g2, .is_entry = false, .owner = 0});
  py.thread_state(kThreadA, kThreadB, 4101, f1);
  py.thread_state(kThreadB, {}, 4102, g1);
  py.runtime(kThreadA);
  auto threads = read_python_threads(py.memory(), py.program());
  ASSERT_TRUE(threads.ok()) << threads.error().message;
  ASSERT_EQ(threads->threads.size(), 2u);
  const auto& a = threads->threads[0];
  EXPECT_TRUE(a.frames.empty());
  EXPECT_FALSE(a.complete);
  ASSERT_EQ(a.notes.size(), 1u);
  EXPECT_NE(a.notes[0].find("corrupted"), std::string::npos) << a.notes[0];
  const auto& b = threads->threads[1];
  EXPECT_EQ(names(b), std::vector<std::string>{"handle"});
  EXPECT_FALSE(b.complete);
  ASSERT_EQ(b.notes.size(), 1u);
  EXPECT_NE(b.notes[0].find("is not a code object"), std::string::npos) << b.notes[0];
}

TEST(PythonThreads, AnAbsurdLineTableGivesNoLineButTheFrame) {
  FakePython py({3, 11, 2});
  FakePython::Code code = kHandle;
  const RemoteAddr handle = py.code(code);
  // Another code object whose co_linetable claims 2 MiB.
  const auto& l = py.layout();
  Blob blob(*l.code_adaptive + 16);
  blob.put(l.object_type, kCodeType);
  blob.put(l.code_filename, py.str("/srv/big.py"));
  blob.put(l.code_name, py.str("big"));
  blob.put(*l.code_qualname, py.str("big"));
  blob.put<std::int32_t>(l.code_firstlineno, 1);
  blob.put(l.code_linetable, py.bytes({0x80}, 2 << 20));
  const RemoteAddr big = py.place(blob);
  const RemoteAddr f2 =
      py.frame({.code = handle, .at = 0, .previous = RemoteAddr(), .is_entry = true, .owner = 0});
  const RemoteAddr f1 =
      py.frame({.code = big, .at = 0, .previous = f2, .is_entry = false, .owner = 0});
  py.thread_state(kThreadA, {}, 4101, f1);
  py.runtime(kThreadA);
  auto threads = read_python_threads(py.memory(), py.program());
  ASSERT_TRUE(threads.ok()) << threads.error().message;
  const auto& a = threads->threads.at(0);
  ASSERT_EQ(names(a), (std::vector<std::string>{"big", "handle"}));
  EXPECT_EQ(a.frames[0].line, std::nullopt);
  EXPECT_EQ(a.frames[1].line, std::optional(201));
  EXPECT_TRUE(a.complete);  // every frame is there; one has no line
  ASSERT_EQ(a.notes.size(), 1u);
  EXPECT_NE(a.notes[0].find("no line for big"), std::string::npos) << a.notes[0];
}

TEST(PythonThreads, AnInstructionPointerOutsideTheCodeGivesNoLine) {
  FakePython py({3, 11, 2});
  const RemoteAddr run = py.code(kWorkerRun);
  const auto& l = py.layout();
  // prev_instr far before the code, and far beyond it.
  RemoteAddr previous;
  for (std::uint64_t instruction : {std::uint64_t{0x10}, ~std::uint64_t{0xf}}) {
    Blob frame(std::max({l.frame_previous, l.frame_code, l.frame_instruction, l.frame_is_entry}) +
               8);
    frame.put(l.frame_previous, previous);
    frame.put(l.frame_code, run);
    frame.put<std::uint64_t>(l.frame_instruction, instruction);
    previous = py.place(frame);
  }
  py.thread_state(kThreadA, {}, 4101, previous);
  py.runtime(kThreadA);
  auto threads = read_python_threads(py.memory(), py.program());
  ASSERT_TRUE(threads.ok()) << threads.error().message;
  const auto& a = threads->threads.at(0);
  ASSERT_EQ(names(a), (std::vector<std::string>{"Worker.run", "Worker.run"}));
  EXPECT_EQ(a.frames[0].line, std::nullopt);
  EXPECT_EQ(a.frames[1].line, std::nullopt);
}

TEST(PythonThreads, TooManyFramesAreCut) {
  FakePython py({3, 11, 2});
  const RemoteAddr run = py.code(kWorkerRun);
  RemoteAddr previous;
  for (std::size_t i = 0; i < kMaxPythonFrames + 10; ++i) {
    previous =
        py.frame({.code = run, .at = 0, .previous = previous, .is_entry = false, .owner = 0});
  }
  py.thread_state(kThreadA, {}, 4101, previous);
  py.runtime(kThreadA);
  auto threads = read_python_threads(py.memory(), py.program());
  ASSERT_TRUE(threads.ok()) << threads.error().message;
  const auto& a = threads->threads.at(0);
  EXPECT_EQ(a.frames.size(), kMaxPythonFrames);
  EXPECT_FALSE(a.complete);
  ASSERT_EQ(a.notes.size(), 1u);
  EXPECT_NE(a.notes[0].find("more than 4096"), std::string::npos) << a.notes[0];
}

TEST(PythonThreads, ACycleInTheThreadListIsCutWithANote) {
  FakePython py({3, 11, 2});
  py.thread_state(kThreadA, kThreadB, 4101, {});
  py.thread_state(kThreadB, kThreadA, 4102, {});
  py.runtime(kThreadA);
  auto threads = read_python_threads(py.memory(), py.program());
  ASSERT_TRUE(threads.ok()) << threads.error().message;
  EXPECT_EQ(threads->threads.size(), 2u);
  ASSERT_EQ(threads->notes.size(), 1u);
  EXPECT_NE(threads->notes[0].find("loops"), std::string::npos) << threads->notes[0];
}

TEST(PythonThreads, AnUnreadableRuntimeIsAnError) {
  FakePython py({3, 11, 2});
  auto threads = read_python_threads(py.memory(), py.program());
  ASSERT_FALSE(threads.ok());
  EXPECT_NE(threads.error().message.find("_PyRuntime"), std::string::npos);
}

}  // namespace
}  // namespace ukstack::unwind
