// The three sources of CPython's layouts: the built-in table for 3.11 against
// what the DWARF of Debian's python3.11 says (python3.11-dbg), _Py_DebugOffsets as
// a real CPython 3.13 wrote them, and the errors for versions none of them knows.
#include "unwind/python_layout.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "unwind/debug_types.h"
#include "unwind/dwfl_session.h"

namespace ukstack::unwind {
namespace {

constexpr const char* kDebianPython = "/usr/bin/python3.11";

// Every field, named, so a difference says which one.
void expect_same_layout(const PythonLayout& a, const PythonLayout& b) {
#define UKSTACK_SAME(field) EXPECT_EQ(a.field, b.field) << #field
  UKSTACK_SAME(runtime_interpreters_head);
  UKSTACK_SAME(runtime_gil);
  UKSTACK_SAME(interp_gil_pointer);
  UKSTACK_SAME(gil_locked);
  UKSTACK_SAME(gil_last_holder);
  UKSTACK_SAME(interp_next);
  UKSTACK_SAME(interp_threads_head);
  UKSTACK_SAME(tstate_next);
  UKSTACK_SAME(tstate_interp);
  UKSTACK_SAME(tstate_thread_id);
  UKSTACK_SAME(tstate_native_thread_id);
  UKSTACK_SAME(tstate_frame);
  UKSTACK_SAME(cframe_current_frame);
  UKSTACK_SAME(frame_kind);
  UKSTACK_SAME(frame_previous);
  UKSTACK_SAME(frame_code);
  UKSTACK_SAME(frame_instruction);
  UKSTACK_SAME(frame_is_entry);
  UKSTACK_SAME(frame_owner);
  UKSTACK_SAME(frame_code_tagged);
  UKSTACK_SAME(code_filename);
  UKSTACK_SAME(code_name);
  UKSTACK_SAME(code_qualname);
  UKSTACK_SAME(code_firstlineno);
  UKSTACK_SAME(code_linetable);
  UKSTACK_SAME(code_adaptive);
  UKSTACK_SAME(line_table);
  UKSTACK_SAME(object_type);
  UKSTACK_SAME(bytes_size);
  UKSTACK_SAME(bytes_data);
  UKSTACK_SAME(unicode_length);
  UKSTACK_SAME(unicode_state);
  UKSTACK_SAME(ascii_size);
  UKSTACK_SAME(compact_size);
#undef UKSTACK_SAME
  EXPECT_TRUE(a == b);
}

TEST(PythonLayout, BuiltInTableFor311IsWhatDebiansDebugInfoSays) {
  if (!std::filesystem::exists(kDebianPython)) GTEST_SKIP() << kDebianPython << " not installed";
  auto session = DwflSession::open_file(kDebianPython, {});
  ASSERT_TRUE(session.ok()) << session.error().message;
  DebugTypes types((*session)->get());
  auto from_dwarf = python_layout_from_debug_info(types, {3, 11, 2});
  ASSERT_TRUE(from_dwarf.ok()) << from_dwarf.error().message << " (is python3.11-dbg installed?)";
  auto from_table = python_layout_from_table({3, 11, 2});
  ASSERT_TRUE(from_table.ok()) << from_table.error().message;
  expect_same_layout(*from_table, *from_dwarf);
}

TEST(PythonLayout, TablesKnow39To312Only) {
  for (int minor : {9, 10, 11, 12}) {
    auto layout = python_layout_from_table({3, minor, 0});
    EXPECT_TRUE(layout.ok()) << "3." << minor << ": " << layout.error().message;
  }
  auto old = python_layout_from_table({3, 8, 10});
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.error().message.find("Python 3.8.10"), std::string::npos) << old.error().message;
  auto newer = python_layout_from_table({3, 15, -1});
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.error().message.find("Python 3.15"), std::string::npos) << newer.error().message;
  // The shapes that differ by version beyond offsets.
  EXPECT_EQ(python_layout_from_table({3, 9, 0})->line_table, PythonLineTableFormat::lnotab);
  EXPECT_EQ(python_layout_from_table({3, 10, 0})->line_table, PythonLineTableFormat::linetable);
  EXPECT_EQ(python_layout_from_table({3, 11, 0})->frame_kind, PythonFrameKind::entry_flag);
  EXPECT_EQ(python_layout_from_table({3, 12, 0})->frame_kind, PythonFrameKind::shim_frames);
}

// _Py_DebugOffsets as CPython 3.13.0 (a release build, x86-64) initialises them at
// the start of _PyRuntime: the words after the cookie, the version and
// free_threaded, copied from its libpython3.13.so's .PyRuntime section.
const std::vector<std::uint64_t> kDebugOffsets3130 = {
    283320, 608,  632, 194968, 7272, 7264, 7344, 7400, 7656, 7640, 7648, 16,  7752, 0,
    7768,   7760, 304, 0,      8,    16,   72,   152,  160,  232,  32,   80,  8,    0,
    56,     72,   70,  208,    112,  120,  128,  136,  68,   52,   96,   104, 200,  16,
    8,      416,  24,  88,     168,  32,   24,   16,   40,   24,   16,   48,  32,   40,
    24,     16,   32,  16,     24,   40,   16,   32,   64,   32,   16,   40,  240,  200};

std::vector<std::byte> debug_offsets_bytes(std::uint64_t version_hex, std::uint64_t free_threaded,
                                           const std::vector<std::uint64_t>& words) {
  std::vector<std::byte> bytes(kPythonDebugOffsetsSize);
  std::memcpy(bytes.data(), "xdebugpy", 8);
  std::memcpy(bytes.data() + 8, &version_hex, 8);
  std::memcpy(bytes.data() + 16, &free_threaded, 8);
  std::memcpy(bytes.data() + 24, words.data(), words.size() * 8);
  return bytes;
}

TEST(PythonLayout, DebugOffsetsOf313Decode) {
  const auto bytes = debug_offsets_bytes(0x030D00F0, 0, kDebugOffsets3130);
  auto version = python_debug_offsets_version(bytes);
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(version->text(), "3.13.0");
  auto layout = python_layout_from_debug_offsets(bytes);
  ASSERT_TRUE(layout.ok()) << layout.error().message;
  // What offsetof() and sizeof() gave, compiled against CPython 3.13.0's headers.
  EXPECT_EQ(layout->runtime_interpreters_head, 632u);
  EXPECT_EQ(layout->interp_next, 7264u);
  EXPECT_EQ(layout->interp_threads_head, 7344u);
  EXPECT_EQ(layout->interp_gil_pointer, std::optional<std::uint64_t>(16));
  EXPECT_EQ(layout->gil_locked, 16u);  // inside struct _gil_runtime_state
  EXPECT_EQ(layout->gil_last_holder, 8u);
  EXPECT_EQ(layout->tstate_next, 8u);
  EXPECT_EQ(layout->tstate_interp, 16u);
  EXPECT_EQ(layout->tstate_frame, 72u);  // current_frame
  EXPECT_FALSE(layout->cframe_current_frame.has_value());
  EXPECT_EQ(layout->tstate_thread_id, 152u);
  EXPECT_EQ(layout->tstate_native_thread_id, std::optional<std::uint64_t>(160));
  EXPECT_EQ(layout->frame_previous, 8u);
  EXPECT_EQ(layout->frame_code, 0u);          // f_executable
  EXPECT_EQ(layout->frame_instruction, 56u);  // instr_ptr
  EXPECT_EQ(layout->frame_owner, 70u);
  EXPECT_EQ(layout->frame_kind, PythonFrameKind::shim_frames);
  EXPECT_FALSE(layout->frame_code_tagged);
  EXPECT_EQ(layout->code_filename, 112u);
  EXPECT_EQ(layout->code_name, 120u);
  EXPECT_EQ(layout->code_qualname, std::optional<std::uint64_t>(128));
  EXPECT_EQ(layout->code_linetable, 136u);
  EXPECT_EQ(layout->code_firstlineno, 68u);
  EXPECT_EQ(layout->code_adaptive, std::optional<std::uint64_t>(200));
  EXPECT_EQ(layout->line_table, PythonLineTableFormat::locations);
  EXPECT_EQ(layout->object_type, 8u);
  EXPECT_EQ(layout->bytes_size, 16u);
  EXPECT_EQ(layout->bytes_data, 32u);
  EXPECT_EQ(layout->unicode_length, 16u);
  EXPECT_EQ(layout->unicode_state, 32u);
  EXPECT_EQ(layout->ascii_size, 40u);
  EXPECT_EQ(layout->compact_size, 56u);
}

// 3.14's structure: each field word holds its own word index * 8 (a distinct,
// plausible offset), so each decoded offset says which word it was taken from. The
// order is that of CPython 3.14's Include/internal/pycore_debug_offsets.h.
TEST(PythonLayout, DebugOffsetsOf314DecodeFromTheirWords) {
  std::vector<std::uint64_t> words(100);
  for (std::size_t i = 0; i < words.size(); ++i) words[i] = (i + 3) * 8;
  const auto word = [](std::uint64_t index) { return index * 8; };
  auto layout = python_layout_from_debug_offsets(debug_offsets_bytes(0x030E02F0, 0, words));
  ASSERT_TRUE(layout.ok()) << layout.error().message;
  EXPECT_EQ(layout->runtime_interpreters_head, word(5));
  EXPECT_EQ(layout->interp_next, word(8));
  EXPECT_EQ(layout->interp_threads_head, word(9));  // threads_main (10) follows it
  EXPECT_EQ(layout->interp_gil_pointer, std::optional(word(15)));
  EXPECT_EQ(layout->gil_locked, word(18) - word(16));
  EXPECT_EQ(layout->gil_last_holder, word(19) - word(16));
  EXPECT_EQ(layout->tstate_next, word(24));
  EXPECT_EQ(layout->tstate_frame, word(26));
  EXPECT_EQ(layout->tstate_native_thread_id, std::optional(word(28)));
  EXPECT_EQ(layout->frame_previous, word(32));
  EXPECT_EQ(layout->frame_code, word(33));
  EXPECT_EQ(layout->frame_instruction, word(34));
  EXPECT_EQ(layout->frame_owner, word(36));
  EXPECT_EQ(layout->code_filename, word(40));
  EXPECT_EQ(layout->code_qualname, std::optional(word(42)));
  EXPECT_EQ(layout->code_linetable, word(43));
  EXPECT_EQ(layout->code_firstlineno, word(44));
  EXPECT_EQ(layout->code_adaptive, std::optional(word(48)));
  EXPECT_EQ(layout->object_type, word(51));
  EXPECT_EQ(layout->bytes_size, word(75));
  EXPECT_EQ(layout->bytes_data, word(76));
  EXPECT_EQ(layout->unicode_state, word(78));
  EXPECT_EQ(layout->unicode_length, word(79));
  EXPECT_EQ(layout->ascii_size, word(80));
  EXPECT_EQ(layout->compact_size, word(80) + 16);
  EXPECT_TRUE(layout->frame_code_tagged);  // f_executable is a _PyStackRef
}

TEST(PythonLayout, DebugOffsetsOfUnknownVersionsAndBuildsAreErrors) {
  auto newer =
      python_layout_from_debug_offsets(debug_offsets_bytes(0x030F00A1, 0, kDebugOffsets3130));
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.error().message.find("Python 3.15"), std::string::npos) << newer.error().message;

  auto free_threaded =
      python_layout_from_debug_offsets(debug_offsets_bytes(0x030D00F0, 1, kDebugOffsets3130));
  ASSERT_FALSE(free_threaded.ok());
  EXPECT_NE(free_threaded.error().message.find("free-threaded"), std::string::npos);

  std::vector<std::byte> no_cookie(kPythonDebugOffsetsSize);
  EXPECT_FALSE(python_debug_offsets_version(no_cookie).has_value());
  EXPECT_FALSE(python_layout_from_debug_offsets(no_cookie).ok());

  // Offsets no CPython has (a thread state's next 1 MiB in): refused.
  auto absurd_words = kDebugOffsets3130;
  absurd_words[21 - 3] = 1 << 20;  // thread_state.next
  EXPECT_FALSE(
      python_layout_from_debug_offsets(debug_offsets_bytes(0x030D00F0, 0, absurd_words)).ok());

  // Cut short.
  auto short_bytes = debug_offsets_bytes(0x030D00F0, 0, kDebugOffsets3130);
  short_bytes.resize(200);
  EXPECT_FALSE(python_layout_from_debug_offsets(short_bytes).ok());
}

}  // namespace
}  // namespace ukstack::unwind

namespace ukstack::unwind {
namespace {

// The other versions' tables against builds of them with debug information, when
// a developer points at some: UKSTACK_TEST_PYTHON_BUILDS=/path/libpython3.9.so.1.0:...
// (each file's name says its version; a release build, x86-64, as the table is for).
TEST(PythonLayout, BuiltInTablesAreWhatOtherBuildsDebugInfoSays) {
  const char* builds = std::getenv("UKSTACK_TEST_PYTHON_BUILDS");
  if (builds == nullptr || *builds == '\0') {
    GTEST_SKIP() << "UKSTACK_TEST_PYTHON_BUILDS names no CPython builds with debug information";
  }
  std::string list = builds;
  for (std::size_t start = 0; start < list.size();) {
    std::size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    const std::string path = list.substr(start, end - start);
    start = end + 1;
    SCOPED_TRACE(path);
    const std::string name = path.substr(path.rfind('/') + 1);
    const std::size_t at = name.find("python3.");
    ASSERT_NE(at, std::string::npos) << "the file's name does not say its version";
    const int minor = std::atoi(name.c_str() + at + 8);
    auto session = DwflSession::open_file(path, {});
    ASSERT_TRUE(session.ok()) << session.error().message;
    DebugTypes types((*session)->get());
    auto from_dwarf = python_layout_from_debug_info(types, {3, minor, -1});
    ASSERT_TRUE(from_dwarf.ok()) << from_dwarf.error().message;
    auto from_table = python_layout_from_table({3, minor, -1});
    ASSERT_TRUE(from_table.ok()) << from_table.error().message;
    expect_same_layout(*from_table, *from_dwarf);
  }
}

}  // namespace
}  // namespace ukstack::unwind
