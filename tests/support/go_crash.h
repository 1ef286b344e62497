// A Go program's own crash, with its core (issue 11: "a core of a Go fixture made with
// GOTRACEBACK=crash: the goroutines equal those in the crash's own traceback").
// fixtures/go_goroutines -crash DIR panics once ready, under GOTRACEBACK=crash: the
// runtime prints every goroutine to stderr, then dies of SIGABRT and the kernel writes
// a core where /proc/sys/kernel/core_pattern says. Here that is the relative name
// "core", so the core lands in the crashing process's working directory (DIR) and only
// needs RLIMIT_CORE, which the fixture raises itself (to the hard limit): no
// machine-wide setting is changed. When the pattern pipes cores to a handler
// (systemd-coredump, apport) or names an absolute path, no core is found here and `why`
// says so; a core of the live process from gcore (make_gcore) is the fallback.
#pragma once

#include <filesystem>
#include <string>

namespace ukstack::test {

struct GoCrash {
  int pid = 0;            // the crashed process, from its ready line (0 if it printed none)
  int cgo_tid = 0;        // its thread blocked in the cgo read(2)
  int wait_status = -1;   // raw waitpid status: SIGABRT, WCOREDUMP when the kernel dumped
  std::string traceback;  // the runtime's stderr, for parse_go_traceback()
  std::string core;       // the core's path; "" when none was found, and `why` says why
  std::string why;
};

// Runs `BINARY -crash DIR/cwd GOROUTINES` (BINARY is a build of go_goroutines) with
// stdout and stderr in files in `dir`, waits up to two minutes for it to die, and
// finds the core it left in DIR/cwd. Throws std::runtime_error if it cannot be run.
GoCrash crash_go_goroutines(const std::string& binary, int goroutines,
                            const std::filesystem::path& dir);

// Why a process that crashes here leaves no core file in its working directory, or ""
// when it does (core_pattern is a relative name and the hard RLIMIT_CORE is not 0).
std::string core_file_obstacle();

}  // namespace ukstack::test
