// Whether a process (or a core) runs CPython, and where: the _PyRuntime global of
// the executable or of the libpython3.X.so it loaded, the interpreter's version
// (Py_Version, else _Py_DebugOffsets, else the file's name), and the layout of its
// structures (python_layout.h: the DWARF, the debug offsets or the built-in table,
// in that order). What python_threads.h reads the threads and frames with.
#pragma once

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/remote_addr.h"
#include "base/result.h"
#include "procfs/maps.h"
#include "unwind/address_space.h"
#include "unwind/python_layout.h"

namespace ukstack::unwind {

// glibc x86-64's offsetof(struct pthread, tid) (2.28 to 2.36 at least): where a
// pthread_t (the address of its struct pthread) keeps the OS thread id. Before 3.11
// a thread state has only the pthread_t. Taken from libc's DWARF when it is there.
inline constexpr std::uint64_t kGlibcPthreadTidOffset = 0x2d0;

struct PythonProgram {
  PythonVersion version;
  RemoteAddr runtime;  // _PyRuntime, at its run-time address
  PythonLayout layout;
  std::string layout_source;  // "debug info", "_Py_DebugOffsets", "built-in table"
  std::string module;         // the file that has _PyRuntime, as the process names it
  // PyCode_Type and PyUnicode_Type at their run-time addresses, when the symbol
  // table has them: a frame's code object and its names are checked against them.
  std::optional<RemoteAddr> code_type;
  std::optional<RemoteAddr> unicode_type;
  std::optional<RemoteAddr> bytes_type;
  // Before 3.11: the OS thread id's place in glibc's struct pthread, and whence.
  std::uint64_t pthread_tid_offset = kGlibcPthreadTidOffset;
  std::string pthread_tid_source = "glibc x86-64's layout";

  // "Python 3.11.2, layouts from debug info": for a note.
  std::string description() const;
};

// The Python program of a live process: looks at the executable (the first file
// mapped) and at files named like *python3* or libpython3*, each opened as
// `file_prefix` + the path the process sees (the caller passes /proc/<pid>/root);
// `memory` reads the process. nullopt when none of them has _PyRuntime (not
// Python). An Error when it is CPython but cannot be read (a version whose
// layout is not known, no debug information, no debug offsets). `debug_dirs`: where
// separate debug files are looked for, besides /usr/lib/debug.
Result<std::optional<PythonProgram>> find_python_program(
    const std::vector<procfs::Mapping>& mappings, const std::string& file_prefix,
    const AddressSpace& memory, const std::vector<std::string>& debug_dirs);

// The same from a core's Dwfl (DwflSession::open_core), its modules placed at the
// addresses they had in the process.
Result<std::optional<PythonProgram>> find_python_program(Dwfl* dwfl, const AddressSpace& memory);

// Whether a file is named as CPython's interpreter is (python3.X, libpython3.X.so):
// besides the executable, the only files looked in for _PyRuntime.
bool may_hold_python(std::string_view path);

// The minor version named by a file name: python3.11, libpython3.9.so.1.0,
// python3.12d; nullopt for any other name (python3, python).
std::optional<PythonVersion> python_version_from_file_name(const std::string& path);

}  // namespace ukstack::unwind
