// Finding CPython in a process: the version a file's name gives, and a process
// that is not Python (this test program) found to be none, without an error.
#include "unwind/python_program.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "procfs/process_reader.h"
#include "unwind/debug_types.h"
#include "unwind/dwfl_session.h"
#include "unwind/live_address_space.h"

namespace ukstack::unwind {
namespace {

TEST(PythonProgram, VersionFromTheFileName) {
  EXPECT_EQ(python_version_from_file_name("/usr/bin/python3.11"),
            std::optional(PythonVersion{3, 11, -1}));
  EXPECT_EQ(python_version_from_file_name("/opt/lib/libpython3.9.so.1.0"),
            std::optional(PythonVersion{3, 9, -1}));
  EXPECT_EQ(python_version_from_file_name("/usr/bin/python3.12d"),
            std::optional(PythonVersion{3, 12, -1}));
  EXPECT_EQ(python_version_from_file_name("/usr/bin/python3"), std::nullopt);
  EXPECT_EQ(python_version_from_file_name("/usr/bin/python3.11-config"), std::nullopt);
  EXPECT_EQ(python_version_from_file_name("/srv/python3.11/bin/app"), std::nullopt);
}

TEST(PythonProgram, AProcessWithoutCPythonIsNone) {
  procfs::RealProcSource proc;
  auto maps = procfs::ProcessReader(proc, getpid()).maps();
  ASSERT_TRUE(maps.ok()) << maps.error().message;
  LiveAddressSpace memory(getpid());
  auto program = find_python_program(*maps, "", memory, {});
  ASSERT_TRUE(program.ok()) << program.error().message;
  EXPECT_FALSE(program->has_value());
}

// The fallback for a thread state's OS thread id before 3.11 is glibc x86-64's
// place of the tid in struct pthread: what this machine's libc's DWARF (libc6-dbg)
// says it is.
TEST(PythonProgram, GlibcsPthreadTidOffsetIsWhatLibcsDebugInfoSays) {
  const char* libc = "/lib/x86_64-linux-gnu/libc.so.6";
  auto session = DwflSession::open_file(libc, {});
  ASSERT_TRUE(session.ok()) << session.error().message;
  auto tid = DebugTypes((*session)->get()).member("struct pthread", "tid");
  if (!tid.ok()) {
    GTEST_SKIP() << "no debug information for " << libc << ": " << tid.error().message;
  }
  EXPECT_EQ(tid->offset, kGlibcPthreadTidOffset);
  EXPECT_EQ(tid->size, 4u);
}

}  // namespace
}  // namespace ukstack::unwind
