#include "unwind/dwfl_session.h"

#include <elfutils/libdwfl.h>

#ifdef UKSTACK_HAVE_DEBUGINFOD
#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#endif

#include <dwarf.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "unwind/core_threads.h"
#include "unwind/debuginfo_cache.h"
#include "unwind/debuginfod_gate.h"
#include "unwind/elf_file.h"

namespace ukstack::unwind {

std::string libdw_error() {
  const char* message = dwfl_errmsg(-1);
  return message != nullptr ? message : "libdw gave no reason";
}

Status DwflSession::begin(const std::vector<std::string>& debug_dirs, Dwfl_Callbacks callbacks) {
  // libdw's syntax: "+" = also look beside the file and in .debug, then each
  // directory, separated by ':'. /usr/lib/debug covers .build-id and debuglink.
  debuginfo_path_ = "+:.debug";
  for (const auto& dir : debug_dirs) debuginfo_path_ += ":" + dir;
  debuginfo_path_ += ":/usr/lib/debug";
  debuginfo_path_ptr_ = debuginfo_path_.data();

  callbacks_ = callbacks;
  callbacks_.debuginfo_path = &debuginfo_path_ptr_;
  dwfl_ = dwfl_begin(&callbacks_);
  if (dwfl_ == nullptr) return Error{0, std::string("libdw: cannot start: ") + libdw_error()};
  return {};
}

Result<std::unique_ptr<DwflSession>> DwflSession::open_file(
    const std::string& path, const std::vector<std::string>& debug_dirs) {
  std::unique_ptr<DwflSession> session(new DwflSession());
  Dwfl_Callbacks callbacks{};
  callbacks.find_elf = dwfl_build_id_find_elf;
  callbacks.find_debuginfo = find_debuginfo_with_cache;  // unwind/debuginfo_cache.h
  callbacks.section_address = dwfl_offline_section_address;
  if (auto begun = session->begin(debug_dirs, callbacks); !begun) return begun.error();
  dwfl_report_begin(session->dwfl_);
  Dwfl_Module* module = dwfl_report_offline(session->dwfl_, path.c_str(), path.c_str(), -1);
  if (module == nullptr) return Error{0, "cannot read " + path + ": " + libdw_error()};
  if (dwfl_report_end(session->dwfl_, nullptr, nullptr) != 0) {
    return Error{0, std::string("libdw: cannot finish reporting modules: ") + libdw_error()};
  }
  (void)dwfl_module_getelf(module, &session->file_placement_);
  return session;
}

namespace {

// What kind of ELF file a wrong --core or --exe is, for the error message.
std::string elf_type_name(GElf_Half type) {
  switch (type) {
    case ET_EXEC:
      return "an executable";
    case ET_DYN:
      return "a shared object or position-independent executable";
    case ET_REL:
      return "an object file";
    case ET_CORE:
      return "a core file";
    default:
      return "an ELF file of type " + std::to_string(type);
  }
}

}  // namespace

Result<std::unique_ptr<DwflSession>> DwflSession::open_core(
    const CorePath& core_path, const std::string& exe_path,
    const std::vector<std::string>& debug_dirs, std::chrono::milliseconds debuginfod_budget,
    bool attach_threads, const std::string& sysroot) {
  std::unique_ptr<DwflSession> session(new DwflSession());
  GElf_Ehdr ehdr;
  if (!exe_path.empty()) {
    // libdw would silently do without an executable it cannot use: say so instead.
    UniqueFd exe_fd;
    auto exe = open_elf(exe_path, "executable", exe_fd);
    if (!exe) return exe.error();
    gelf_getehdr(exe->get(), &ehdr);
    if (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN) {
      return Error{0, "executable " + exe_path + " is " + elf_type_name(ehdr.e_type) +
                          ", not an executable"};
    }
  }
  auto core = open_elf(core_path.open, "core file", session->core_fd_, core_path.shown);
  if (!core) return core.error();
  session->core_elf_ = std::move(*core);
  gelf_getehdr(session->core_elf_.get(), &ehdr);
  if (ehdr.e_type != ET_CORE) {
    return Error{0, core_path.shown + " is not a core file: it is " + elf_type_name(ehdr.e_type)};
  }

  Dwfl_Callbacks callbacks{};
  callbacks.find_elf = dwfl_build_id_find_elf;
  callbacks.find_debuginfo = find_debuginfo_with_cache;  // unwind/debuginfo_cache.h
  callbacks.section_address = dwfl_offline_section_address;
  std::vector<std::string> search_dirs = debug_dirs;
  if (!sysroot.empty()) {
    session->sysroot_files_ = std::make_unique<SysrootFiles>(sysroot);
    callbacks.find_elf = &DwflSession::find_core_elf;
    // The crashed machine's debug info, beside this machine's: begin() searches
    // --debug-dir, then the sysroot's, then /usr/lib/debug.
    search_dirs.push_back(session->sysroot_files_->root() + "/usr/lib/debug");
  }
  if (auto begun = session->begin(search_dirs, callbacks); !begun) return begun.error();
  session->bound_debuginfod(debuginfod_budget);
  dwfl_report_begin(session->dwfl_);
  if (dwfl_core_file_report(session->dwfl_, session->core_elf_.get(),
                            exe_path.empty() ? nullptr : exe_path.c_str()) < 0) {
    return Error{0,
                 "cannot read the modules of core file " + core_path.shown + ": " + libdw_error()};
  }
  if (dwfl_report_end(session->dwfl_, nullptr, nullptr) != 0) {
    return Error{0, std::string("libdw: cannot finish reporting modules: ") + libdw_error()};
  }
  // libdw opens a module's file lazily, at its first symbol or CFI lookup: by then
  // find_core_elf finds its session here.
  dwfl_getmodules(session->dwfl_, &DwflSession::set_module_session, session.get(), 0);
  if (attach_threads) {
    // Not dwfl_core_file_attach: see unwind/core_threads.h.
    auto threads = CoreThreads::read(session->core_elf_.get(), sysroot);
    Status attached = threads ? (*threads)->attach(session->dwfl_, session->core_elf_.get())
                              : Status(threads.error());
    if (!attached) {
      return Error{0, "cannot read the threads of core file " + core_path.shown + ": " +
                          attached.error().message};
    }
    session->core_threads_ = std::move(*threads);
  }
  return session;
}

#ifdef UKSTACK_HAVE_DEBUGINFOD
namespace {

// libdebuginfod pulls in libcurl, GnuTLS, Kerberos and LDAP: linking it would cost
// every run ~30 shared libraries (start-up time and ~7 MB of memory). libdw loads
// it itself, only when DEBUGINFOD_URLS is set (unwind/debuginfod_gate.h); we borrow
// the functions from that already-loaded copy.
struct DebuginfodFunctions {
  decltype(&debuginfod_set_user_data) set_user_data = nullptr;
  decltype(&debuginfod_get_user_data) get_user_data = nullptr;
  decltype(&debuginfod_set_progressfn) set_progressfn = nullptr;
  decltype(&debuginfod_find_debuginfo) find_debuginfo = nullptr;  // may stay null

  static const DebuginfodFunctions& loaded() {
    static const DebuginfodFunctions functions = [] {
      DebuginfodFunctions found;
      void* library = dlopen("libdebuginfod.so.1", RTLD_LAZY | RTLD_NOLOAD);
      if (library == nullptr) return found;
      found.set_user_data = reinterpret_cast<decltype(found.set_user_data)>(
          dlsym(library, "debuginfod_set_user_data"));
      found.get_user_data = reinterpret_cast<decltype(found.get_user_data)>(
          dlsym(library, "debuginfod_get_user_data"));
      found.set_progressfn = reinterpret_cast<decltype(found.set_progressfn)>(
          dlsym(library, "debuginfod_set_progressfn"));
      found.find_debuginfo = reinterpret_cast<decltype(found.find_debuginfo)>(
          dlsym(library, "debuginfod_find_debuginfo"));
      dlclose(library);  // drops our reference only: libdw still holds the library
      return found;
    }();
    return functions;
  }
  bool complete() const { return set_user_data && get_user_data && set_progressfn; }
};

}  // namespace
#endif

void DwflSession::bound_debuginfod([[maybe_unused]] std::chrono::milliseconds budget) {
  if (!debuginfod_configured()) return;
#ifdef UKSTACK_HAVE_DEBUGINFOD
  // Creates libdw's client for this Dwfl, loading libdebuginfod (no request is
  // made here).
  debuginfod_client* client = dwfl_get_debuginfod_client(dwfl_);
  if (client == nullptr) return;
  const auto& debuginfod = DebuginfodFunctions::loaded();
  if (!debuginfod.complete()) return;
  debuginfod_budget_ = budget;
  debuginfod.set_user_data(client, this);
  debuginfod.set_progressfn(client, &DwflSession::debuginfod_progress);
#endif
}

namespace {

// Hides DEBUGINFOD_URLS for the life of the object: libdebuginfod reads it at every
// query and, without it, returns at once without touching the network or its cache.
// Its own client has no other switch. ukstack runs one thread, so nothing else
// reads the environment meanwhile.
class DebuginfodUrlsHidden {
 public:
  DebuginfodUrlsHidden() {
    if (const char* urls = std::getenv(kName); urls != nullptr) {
      saved_ = urls;
      hidden_ = ::unsetenv(kName) == 0;
    }
  }
  ~DebuginfodUrlsHidden() {
    if (hidden_) (void)::setenv(kName, saved_.c_str(), 1);
  }
  DebuginfodUrlsHidden(const DebuginfodUrlsHidden&) = delete;
  DebuginfodUrlsHidden& operator=(const DebuginfodUrlsHidden&) = delete;

 private:
  static constexpr const char* kName = "DEBUGINFOD_URLS";
  std::string saved_;
  bool hidden_ = false;
};

}  // namespace

bool DwflSession::debuginfod_allowed() const {
#ifdef UKSTACK_HAVE_DEBUGINFOD
  if (debuginfod_budget_.count() <= 0) return false;
  return !debuginfod_started_ || std::chrono::steady_clock::now() <= debuginfod_deadline_;
#else
  return false;  // no progress callback: libdebuginfod's own 90 s would apply
#endif
}

int DwflSession::find_process_debuginfo(Dwfl_Module* module, void** userdata, const char* name,
                                        Dwarf_Addr base, const char* file_name,
                                        const char* debuglink_file, GElf_Word debuglink_crc,
                                        char** debuginfo_file_name) {
  auto* session = static_cast<DwflSession*>(*userdata);
  // The progress callback abandons a transfer only once it has begun (a connection
  // made, a request sent, up to a second of waiting): past the budget, or with none,
  // the request must not start at all.
  std::optional<DebuginfodUrlsHidden> hidden;
  if (session == nullptr || !session->debuginfod_allowed()) hidden.emplace();
  return find_debuginfo_with_cache(module, userdata, name, base, file_name, debuglink_file,
                                   debuglink_crc, debuginfo_file_name);
}

namespace {

// Each made-up module place spans 64 GiB: more than any module's addresses.
constexpr std::uint64_t kBuildIdModuleSpan = std::uint64_t{1} << 36;

// The file at `path`, opened for libdw, when it is an ELF file with this build-id.
// A saved snapshot names the path: O_NONBLOCK so that a FIFO there cannot hang the
// open, and only a regular file is read.
UniqueFd open_with_build_id(const std::string& path, std::span<const unsigned char> build_id) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return UniqueFd();
  (void)elf_version(EV_CURRENT);
  UniqueElf elf(elf_begin(fd.get(), ELF_C_READ_MMAP, nullptr));
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF) return UniqueFd();
  const void* bits = nullptr;
  const ssize_t length = dwelf_elf_gnu_build_id(elf.get(), &bits);
  if (length <= 0 || static_cast<std::size_t>(length) != build_id.size() ||
      std::memcmp(bits, build_id.data(), build_id.size()) != 0) {
    return UniqueFd();
  }
  return fd;
}

// "ab/cdef...": the build-id's path under a .build-id directory, without suffix.
std::string build_id_path(std::span<const unsigned char> build_id) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string path;
  for (std::size_t i = 0; i < build_id.size(); ++i) {
    path += kDigits[build_id[i] >> 4];
    path += kDigits[build_id[i] & 0xf];
    if (i == 0) path += '/';
  }
  return path;
}

}  // namespace

std::uint64_t DwflSession::build_id_module_base(std::size_t index) {
  return (static_cast<std::uint64_t>(index) + 1) * kBuildIdModuleSpan;
}

Result<std::unique_ptr<DwflSession>> DwflSession::open_build_ids(
    const std::vector<ModuleIdentity>& modules, const std::vector<std::string>& debug_dirs,
    std::chrono::milliseconds debuginfod_budget) {
  std::unique_ptr<DwflSession> session(new DwflSession());
  Dwfl_Callbacks callbacks{};
  callbacks.find_elf = &DwflSession::find_build_id_elf;
  callbacks.find_debuginfo = &DwflSession::find_process_debuginfo;
  if (auto begun = session->begin(debug_dirs, callbacks); !begun) return begun.error();
  session->debug_dirs_ = debug_dirs;
  session->debug_dirs_.push_back("/usr/lib/debug");
  session->bound_debuginfod(debuginfod_budget);
  dwfl_report_begin(session->dwfl_);
  for (std::size_t i = 0; i < modules.size(); ++i) {
    const std::uint64_t base = build_id_module_base(i);
    Dwfl_Module* module = dwfl_report_module(session->dwfl_, modules[i].path.c_str(), base,
                                             base + kBuildIdModuleSpan);
    if (module == nullptr || dwfl_module_report_build_id(module, modules[i].build_id.data(),
                                                         modules[i].build_id.size(), 0) != 0) {
      return Error{0, "libdw: cannot report module " + modules[i].path + ": " + libdw_error()};
    }
  }
  if (dwfl_report_end(session->dwfl_, nullptr, nullptr) != 0) {
    return Error{0, std::string("libdw: cannot finish reporting modules: ") + libdw_error()};
  }
  dwfl_getmodules(session->dwfl_, &DwflSession::set_module_session, session.get(), 0);
  return session;
}

int DwflSession::find_build_id_elf(Dwfl_Module* module, void** userdata, const char* name,
                                   Dwarf_Addr base, char** file_name, Elf** elf) {
  auto* session = static_cast<DwflSession*>(*userdata);
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  const int length = dwfl_module_build_id(module, &bits, &vaddr);
  if (session == nullptr || length <= 0) {
    errno = ENOENT;
    return -1;
  }
  const std::span<const unsigned char> build_id(bits, static_cast<std::size_t>(length));
  {
    // libdw's own search of the .build-id trees; debuginfod only after the local files.
    DebuginfodUrlsHidden hidden;
    const int fd = dwfl_build_id_find_elf(module, userdata, name, base, file_name, elf);
    if (fd >= 0 || *elf != nullptr) return fd;
  }
  auto found = [&](UniqueFd fd, const std::string& path) {
    std::free(*file_name);
    *file_name = strdup(path.c_str());
    return fd.release();
  };
  if (name != nullptr && name[0] == '/') {
    if (UniqueFd fd = open_with_build_id(name, build_id); fd.valid())
      return found(std::move(fd), name);
  }
  for (const auto& dir : session->debug_dirs_) {
    const std::string path = dir + "/.build-id/" + build_id_path(build_id) + ".debug";
    if (UniqueFd fd = open_with_build_id(path, build_id); fd.valid())
      return found(std::move(fd), path);
  }
  if (!session->debuginfod_allowed()) {
    errno = ENOENT;
    return -1;
  }
  if (int fd = dwfl_build_id_find_elf(module, userdata, name, base, file_name, elf);
      fd >= 0 || *elf != nullptr) {
    return fd;
  }
  return session->debuginfod_debuginfo(build_id, file_name);
}

int DwflSession::debuginfod_debuginfo([[maybe_unused]] std::span<const unsigned char> build_id,
                                      [[maybe_unused]] char** file_name) {
#ifdef UKSTACK_HAVE_DEBUGINFOD
  // A server may keep a build's debug file and not its executable: the debug file
  // then serves as the module's ELF, as a local one does.
  const auto& debuginfod = DebuginfodFunctions::loaded();
  debuginfod_client* client = dwfl_get_debuginfod_client(dwfl_);
  if (client != nullptr && debuginfod.find_debuginfo != nullptr && debuginfod_allowed()) {
    char* path = nullptr;
    UniqueFd served(debuginfod.find_debuginfo(client, build_id.data(),
                                              static_cast<int>(build_id.size()), &path));
    std::unique_ptr<char, decltype(&std::free)> owned_path(path, &std::free);
    if (served.valid() && path != nullptr) {
      if (UniqueFd fd = open_with_build_id(path, build_id); fd.valid()) {
        std::free(*file_name);
        *file_name = owned_path.release();
        return fd.release();
      }
    }
  }
#endif
  errno = ENOENT;
  return -1;
}

int DwflSession::debuginfod_progress([[maybe_unused]] debuginfod_client* client, long, long) {
#ifdef UKSTACK_HAVE_DEBUGINFOD
  auto* session = static_cast<DwflSession*>(DebuginfodFunctions::loaded().get_user_data(client));
  if (session == nullptr) return 0;
  auto now = std::chrono::steady_clock::now();
  if (!session->debuginfod_started_) {
    session->debuginfod_started_ = true;
    session->debuginfod_deadline_ = now + session->debuginfod_budget_;
  }
  return now > session->debuginfod_deadline_ ? 1 : 0;  // non-zero abandons the transfer
#else
  return 0;
#endif
}

Result<std::unique_ptr<DwflSession>> DwflSession::open_process(
    int pid, std::vector<procfs::Mapping> mappings, const std::vector<std::string>& debug_dirs,
    std::chrono::milliseconds debuginfod_budget) {
  std::unique_ptr<DwflSession> session(new DwflSession());
  Dwfl_Callbacks callbacks{};
  callbacks.find_elf = &DwflSession::find_process_elf;
  callbacks.find_debuginfo = &DwflSession::find_process_debuginfo;
  if (auto begun = session->begin(debug_dirs, callbacks); !begun) return begun.error();
  session->module_files_ = std::make_unique<ModuleFiles>(pid, std::move(mappings));
  session->bound_debuginfod(debuginfod_budget);
  dwfl_report_begin(session->dwfl_);
  int result = dwfl_linux_proc_report(session->dwfl_, pid);
  // libdw's convention: < 0 is a libdw error, > 0 an errno.
  if (result < 0) {
    return Error{
        0, "cannot list the modules of process " + std::to_string(pid) + ": " + libdw_error()};
  }
  if (result > 0) {
    return Error::from_errno(result, "cannot read /proc/" + std::to_string(pid) + "/maps");
  }
  if (dwfl_report_end(session->dwfl_, nullptr, nullptr) != 0) {
    return Error{0, std::string("libdw: cannot finish reporting modules: ") + libdw_error()};
  }
  dwfl_getmodules(session->dwfl_, &DwflSession::set_module_session, session.get(), 0);
  return session;
}

int DwflSession::set_module_session(Dwfl_Module*, void** userdata, const char*, Dwarf_Addr,
                                    void* session) {
  *userdata = session;
  return DWARF_CB_OK;
}

int DwflSession::find_process_elf(Dwfl_Module* module, void** userdata, const char* name,
                                  Dwarf_Addr base, char** file_name, Elf** elf) {
  auto* session = static_cast<DwflSession*>(*userdata);
  if (session == nullptr || session->module_files_ == nullptr || name == nullptr ||
      name[0] != '/') {
    // [vdso] and other in-memory images: libdw reads them from the process.
    return dwfl_linux_proc_find_elf(module, userdata, name, base, file_name, elf);
  }
  UniqueFd fd = session->module_files_->open_module(name, base);
  if (fd.valid()) {
    // The name as the target sees it: distributions place separate debug info at
    // <debug-dir>/<that path's directory>/<debuglink>. A file found beside a path
    // that means something else on the host is rejected by the debuglink CRC and
    // the build-id check.
    *file_name = strdup(name);
    return fd.release();
  }
  std::string_view path = name;
  if (path.ends_with(" (deleted)")) {
    // The file is gone: libdw reads the ELF image from the process's memory
    // (symbols of the loaded segments only).
    return dwfl_linux_proc_find_elf(module, userdata, name, base, file_name, elf);
  }
  // The path names no file we may use as this module (another mount namespace
  // whose files we cannot reach): no ELF rather than a wrong one.
  errno = ENOENT;
  return -1;
}

int DwflSession::find_core_elf(Dwfl_Module* module, void** userdata, const char* name,
                               Dwarf_Addr base, char** file_name, Elf** elf) {
  const int fd = dwfl_build_id_find_elf(module, userdata, name, base, file_name, elf);
  auto* session = static_cast<DwflSession*>(*userdata);
  if (fd >= 0 || *elf != nullptr || session == nullptr || session->sysroot_files_ == nullptr ||
      name == nullptr) {
    return fd;
  }
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  const int length = dwfl_module_build_id(module, &bits, &vaddr);
  const std::span<const unsigned char> build_id(bits, length > 0 ? length : 0);
  // libdw would open a file name left here itself, unchecked: leave none.
  std::free(*file_name);
  *file_name = nullptr;
  UniqueFd found = session->sysroot_files_->open_module(name, build_id);
  if (!found.valid()) {
    errno = ENOENT;
    return -1;
  }
  // The name as the crashed machine saw it: a debuglink is then looked up under
  // the debug directories (the sysroot's usr/lib/debug among them) at that path.
  *file_name = strdup(name);
  return found.release();
}

std::optional<std::string> DwflSession::module_file_problem(std::string_view module_name) const {
  if (sysroot_files_ == nullptr) return std::nullopt;
  return sysroot_files_->problem(module_name);
}

Elf* DwflSession::architecture_elf() const {
  if (core_elf_) return core_elf_.get();
  Elf* found = nullptr;
  auto first_elf = [](Dwfl_Module* module, void**, const char* name, Dwarf_Addr, void* arg) -> int {
    if (name == nullptr || name[0] != '/') return DWARF_CB_OK;  // [vdso]: from memory only
    Dwarf_Addr bias = 0;
    Elf* elf = dwfl_module_getelf(module, &bias);
    if (elf == nullptr) return DWARF_CB_OK;
    *static_cast<Elf**>(arg) = elf;
    return DWARF_CB_ABORT;
  };
  dwfl_getmodules(dwfl_, first_elf, &found, 0);
  return found;
}

const std::vector<procfs::Mapping>& DwflSession::mappings() const {
  static const std::vector<procfs::Mapping> kNone;
  return module_files_ != nullptr ? module_files_->mappings() : kNone;
}

DwflSession::~DwflSession() {
  if (dwfl_ != nullptr) dwfl_end(dwfl_);
}

}  // namespace ukstack::unwind
