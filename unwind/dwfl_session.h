// One Dwfl for one process, with its modules reported once from /proc/<pid>/maps.
// Owns everything libdw borrows for the Dwfl's lifetime: the callbacks struct and
// the debuginfo path string.
#pragma once

#include <elfutils/libdwfl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_elf.h"
#include "base/unique_fd.h"
#include "unwind/core_path.h"
#include "unwind/module_files.h"
#include "unwind/sysroot_files.h"

namespace ukstack::unwind {

class CoreThreads;

// libdw's message for its last error (dwfl_errmsg(-1)), never null: some calls fail
// without setting one.
std::string libdw_error();

class DwflSession {
 public:
  // When DEBUGINFOD_URLS is set, libdw asks those servers for debug info it cannot
  // find locally, lazily (at the first symbol or CFI lookup in a module: after the
  // threads are detached). All those requests together get `debuginfod_budget`,
  // counted from the first; past it every transfer is abandoned and no new one is
  // started. A budget of 0 makes no request at all. `mappings` is the process's
  // memory map as the caller read it (through its ProcSource): it finds each
  // module's file (ModuleFiles) and names anonymous memory.
  static Result<std::unique_ptr<DwflSession>> open_process(
      int pid, std::vector<procfs::Mapping> mappings, const std::vector<std::string>& debug_dirs,
      std::chrono::milliseconds debuginfod_budget = std::chrono::seconds(10));
  // One ELF file on disk (an executable or a shared object): symbolization without
  // a process (core files, tests). An ET_EXEC file is at its link-time addresses;
  // libdw places an ET_DYN one (a PIE, a library) at a base of its own choosing,
  // file_placement() from them.
  static Result<std::unique_ptr<DwflSession>> open_file(const std::string& path,
                                                        const std::vector<std::string>& debug_dirs);
  // A core file, with the executable it came from (empty: found as libdw finds it,
  // by build-id or the path the core names), its threads attached (CoreThreads)
  // for unwinding with dwfl_getthreads. Keeps the core open for the session's
  // life. Without `attach_threads`, only the modules: the caller attaches its own thread state
  // (to unwind stacks that are no thread's, a goroutine's). With a `sysroot`
  // (--sysroot), the modules' files are looked up under it (SysrootFiles; --exe
  // still names the executable) and its usr/lib/debug is searched for debug info
  // before this machine's.
  static Result<std::unique_ptr<DwflSession>> open_core(
      const CorePath& core, const std::string& exe_path, const std::vector<std::string>& debug_dirs,
      std::chrono::milliseconds debuginfod_budget = std::chrono::seconds(10),
      bool attach_threads = true, const std::string& sysroot = {});
  // Modules known only by path and build-id (a saved snapshot's, for
  // --resymbolize), each reported at its own made-up place: index i at
  // build_id_module_base(i). Each one's ELF is found on this machine by its build-id
  // (find_build_id_elf), its debug info as for a process (the debug directories,
  // /usr/lib/debug, debuginfod within the budget). A module whose ELF is not found
  // stays without one.
  struct ModuleIdentity {
    std::string path;                     // as the capturing machine named it
    std::vector<unsigned char> build_id;  // the GNU build-id's bytes
  };
  static Result<std::unique_ptr<DwflSession>> open_build_ids(
      const std::vector<ModuleIdentity>& modules, const std::vector<std::string>& debug_dirs,
      std::chrono::milliseconds debuginfod_budget = std::chrono::seconds(10));
  static std::uint64_t build_id_module_base(std::size_t index);
  ~DwflSession();
  DwflSession(const DwflSession&) = delete;
  DwflSession& operator=(const DwflSession&) = delete;

  Dwfl* get() const { return dwfl_; }
  // The process's mappings as read when the session was opened; empty for a file.
  const std::vector<procfs::Mapping>& mappings() const;
  // The core file's ELF (open_core); nullptr otherwise.
  Elf* core_elf() const { return core_elf_.get(); }
  // open_file: how far libdw moved the file from its link-time addresses.
  Dwarf_Addr file_placement() const { return file_placement_; }
  // An ELF of the process's architecture, for dwfl_attach_state when libdw finds
  // none itself: it passes over deleted files and [vdso] (their image may have to
  // come from memory, not readable before the attach), which is all a static binary
  // deleted after start has. The core's own ELF (open_core), else the first module
  // file that opens, deleted ones included (through map_files or /proc/<pid>/exe,
  // see ModuleFiles); nullptr when none does.
  Elf* architecture_elf() const;
  // open_core with a sysroot: why the file of this module (its name in the core)
  // was not taken from the sysroot, when it was not; nullopt otherwise.
  std::optional<std::string> module_file_problem(std::string_view module_name) const;

 private:
  DwflSession() = default;
  // Sets the debug-info search path and starts the Dwfl with these callbacks.
  Status begin(const std::vector<std::string>& debug_dirs, Dwfl_Callbacks callbacks);

  void bound_debuginfod(std::chrono::milliseconds budget);
  // find_elf for a live process: the module's file through map_files or the
  // process's root (see ModuleFiles), else libdw's own way. Each module's userdata
  // points at its session.
  static int find_process_elf(Dwfl_Module* module, void** userdata, const char* name,
                              Dwarf_Addr base, char** file_name, Elf** elf);
  // libdw's debug-info search (with ukstack's cache), with DEBUGINFOD_URLS hidden
  // from libdebuginfod once the budget is spent.
  static int find_process_debuginfo(Dwfl_Module* module, void** userdata, const char* name,
                                    Dwarf_Addr base, const char* file_name,
                                    const char* debuglink_file, GElf_Word debuglink_crc,
                                    char** debuginfo_file_name);
  // find_elf for open_build_ids: the file with the module's build-id, the first
  // found of: a .build-id tree's main file (libdw's search), the file at the module's path if
  // it has that build-id, the separate debug file <dir>/.build-id/xx/rest.debug
  // (its symbols and DWARF name addresses without the code), debuginfod's copy of
  // the executable, else of the debug file. A file with another build-id is never
  // taken.
  static int find_build_id_elf(Dwfl_Module* module, void** userdata, const char* name,
                               Dwarf_Addr base, char** file_name, Elf** elf);
  // open_build_ids, the last resort: the debug file debuginfod serves for this
  // build-id, as the module's ELF (an fd, *file_name its path), or -1.
  int debuginfod_debuginfo(std::span<const unsigned char> build_id, char** file_name);
  // False once a request could only exceed the budget (or none can be bounded).
  bool debuginfod_allowed() const;
  // find_elf for a core with a sysroot: --exe and files found by build-id first
  // (libdw's dwfl_build_id_find_elf), then the module's path under the sysroot.
  // Never this machine's file at the module's path: that is another machine's.
  static int find_core_elf(Dwfl_Module* module, void** userdata, const char* name, Dwarf_Addr base,
                           char** file_name, Elf** elf);
  static int set_module_session(Dwfl_Module*, void** userdata, const char*, Dwarf_Addr,
                                void* session);

  std::unique_ptr<ModuleFiles> module_files_;
  std::unique_ptr<SysrootFiles> sysroot_files_;  // open_core with a sysroot
  std::vector<std::string> debug_dirs_;  // open_build_ids: where .debug files are looked for
  // The core (open_core): libdw reads its notes and memory as long as the Dwfl lives.
  UniqueFd core_fd_;
  UniqueElf core_elf_;
  std::unique_ptr<CoreThreads> core_threads_;  // open_core with attach_threads
  static int debuginfod_progress(debuginfod_client* client, long done, long total);

  std::chrono::milliseconds debuginfod_budget_{0};
  std::chrono::steady_clock::time_point debuginfod_deadline_{};
  bool debuginfod_started_ = false;

  // libdw keeps a char** to this and reads it on every debug-info search.
  std::string debuginfo_path_;
  char* debuginfo_path_ptr_ = nullptr;
  Dwfl_Callbacks callbacks_{};
  Dwfl* dwfl_ = nullptr;
  Dwarf_Addr file_placement_ = 0;
};

}  // namespace ukstack::unwind
