#include "unwind/core_unwinder.h"

#include <dwarf.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <system_error>

#include "unwind/core_address_space.h"
#include "unwind/dwfl_session.h"
#include "unwind/elf_file.h"
#include "unwind/executable_match.h"
#include "unwind/frame_collector.h"
#include "unwind/symbolizer.h"

namespace ukstack::unwind {

namespace {

std::string arch_name(GElf_Half machine) {
  switch (machine) {
    case EM_X86_64:
      return "x86_64";
    case EM_386:
      return "i386";
    case EM_AARCH64:
      return "aarch64";
    default:
      return "machine " + std::to_string(machine);
  }
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code error;
  if (std::filesystem::equivalent(a, b, error)) return true;
  return a == b;
}

// The module that holds the executable's entry point (AT_ENTRY), if the core says.
Dwfl_Module* main_module(Dwfl* dwfl, const CoreNotes& notes) {
  return notes.entry ? dwfl_addrmodule(dwfl, *notes.entry) : nullptr;
}

Error executable_mismatch(const std::string& exe_path, const CorePath& core_path,
                          const std::string& why) {
  return Error{0, "executable " + exe_path + " does not match core file " + core_path.shown +
                      (why.empty() ? "" : " (" + why + ")")};
}

// With a GNU build-id, libdw rejects an --exe whose build-id differs from the one in
// the core, and then goes on without it; a user who named the file wants to know.
Status check_by_build_id(Dwfl_Module* main, const std::string& exe_path,
                         const CorePath& core_path) {
  Dwarf_Addr bias = 0;
  bool loaded = dwfl_module_getelf(main, &bias) != nullptr;
  std::string why = loaded ? "" : libdw_error();
  const char* main_file = nullptr;
  dwfl_module_info(main, nullptr, nullptr, nullptr, nullptr, nullptr, &main_file, nullptr);
  if (loaded && main_file != nullptr && same_file(main_file, exe_path)) return {};
  if (why.empty())
    why = main_file != nullptr ? std::string("the core's executable is ") + main_file : "";
  return executable_mismatch(exe_path, core_path, why);
}

// What the core recorded of its executable against `exe`. Without a GNU build-id (a
// static Go binary) this is the only check: libdw found the executable by the core's
// NT_FILE path, or opens --exe, unchecked.
Status check_by_core_records(Dwfl_Module* main, Elf* exe, const std::string& exe_path,
                             const CorePath& core_path, const CoreNotes& notes, Elf* core,
                             bool exe_has_build_id, const std::string& sysroot) {
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  if (!exe_has_build_id && dwfl_module_build_id(main, &bits, &vaddr) > 0)
    return executable_mismatch(exe_path, core_path,
                               "the core's executable has a GNU build-id, it has none");
  Dwarf_Addr start = 0;
  dwfl_module_info(main, nullptr, &start, nullptr, nullptr, nullptr, nullptr, nullptr);
  auto memory = CoreAddressSpace::from_elf(core, sysroot);
  if (!memory) return memory.error();
  if (auto matches = match_executable_with_core(exe, start, notes, *memory); !matches)
    return executable_mismatch(exe_path, core_path, matches.error().message);
  // libdw reads the executable from the core's own path when that file exists here
  // (and only otherwise opens --exe): that file must match the core as well.
  Dwarf_Addr bias = 0;
  dwfl_module_getelf(main, &bias);
  const char* main_file = nullptr;
  dwfl_module_info(main, nullptr, nullptr, nullptr, nullptr, nullptr, &main_file, nullptr);
  std::string read_from = main_file != nullptr ? main_file : "";
  for (const CoreFileMapping& mapping : notes.files) {
    if (read_from.empty() && mapping.start == start) read_from = mapping.path;
  }
  std::error_code error;
  if (read_from.empty() || same_file(read_from, exe_path) ||
      !std::filesystem::exists(read_from, error)) {
    return {};
  }
  UniqueFd other_fd;
  auto other = open_elf(read_from, "executable", other_fd);
  Status other_matches = other ? match_executable_with_core(other->get(), start, notes, *memory)
                               : Status(other.error());
  if (!other_matches) {
    return executable_mismatch(exe_path, core_path,
                               "libdw reads the core's own path " + read_from +
                                   " instead, which does not: " + other_matches.error().message);
  }
  return {};
}

Status check_executable(Dwfl_Module* main, const std::string& exe_path, const CorePath& core_path,
                        const CoreNotes& notes, Elf* core, const std::string& sysroot) {
  UniqueFd exe_fd;
  auto exe = open_elf(exe_path, "executable", exe_fd);
  if (!exe) return exe.error();
  // The records are checked for every executable: with no build-id in the core, libdw
  // would take even a C binary's build-id on trust.
  const void* bits = nullptr;
  const bool has_build_id = dwelf_elf_gnu_build_id(exe->get(), &bits) > 0;
  if (auto matches = check_by_core_records(main, exe->get(), exe_path, core_path, notes, core,
                                           has_build_id, sysroot);
      !matches || !has_build_id) {
    return matches;
  }
  return check_by_build_id(main, exe_path, core_path);
}

// Why libdw could not find the caller of the last frame, in a user's words when the
// reason is that the module's file is missing (eu-stack says "Callback returned
// failure" when a core's libc is not on this machine). Frames in no module at the
// end (guessed through rbp past a module without CFI) are passed over: the module
// they were guessed from is the one to name.
std::string unwind_error(const DwflSession& session, const FrameCollector& collector,
                         std::string libdw_message) {
  Dwfl* dwfl = session.get();
  Dwfl_Module* module = nullptr;
  for (auto frame = collector.pcs().rbegin(); frame != collector.pcs().rend() && !module; ++frame) {
    const auto& [pc, is_activation] = *frame;
    module = dwfl_addrmodule(dwfl, is_activation ? pc : pc - 1);
  }
  if (module == nullptr) return libdw_message;
  Dwarf_Addr bias = 0;
  if (dwfl_module_getelf(module, &bias) != nullptr) return libdw_message;
  const char* name =
      dwfl_module_info(module, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  std::string where = "its file was not found on this machine";
  if (name != nullptr) {
    if (auto problem = session.module_file_problem(name)) where = *problem;
  }
  return "no unwind information for " + std::string(name != nullptr ? name : "a module") + " (" +
         where + "; libdw: " + libdw_message + ")";
}

struct ThreadWalk {
  const DwflSession* session = nullptr;
  Symbolizer* symbolizer = nullptr;
  CfiProvenance* provenance = nullptr;
  const UnwindOptions* options = nullptr;
  const std::vector<int>* tids = nullptr;
  const CoreNotes* notes = nullptr;
  std::vector<CoreThreadStack>* threads = nullptr;
};

// dwfl_getthreads' callback: one thread, in the core's order. Never throws.
int walk_thread(Dwfl_Thread* thread, void* arg) {
  auto* walk = static_cast<ThreadWalk*>(arg);
  CoreThreadStack out;
  out.tid = dwfl_thread_tid(thread);
  if (!walk->tids->empty() && std::ranges::find(*walk->tids, out.tid) == walk->tids->end()) {
    return DWARF_CB_OK;
  }
  FrameCollector collector(*walk->symbolizer, *walk->provenance, walk->options->max_frames);
  int result = dwfl_thread_getframes(thread, &FrameCollector::on_frame, &collector);
  std::optional<std::string> error;
  if (result == -1) {
    std::string message = libdw_error();  // before any other libdw call
    error = unwind_error(*walk->session, collector, std::move(message));
  }
  out.stack = collector.stack(error);
  for (const CoreThreadNote& note : walk->notes->threads) {
    if (note.tid != out.tid) continue;
    out.signal = note.signal;
    out.syscall = note.syscall;
  }
  walk->threads->push_back(std::move(out));
  return DWARF_CB_OK;
}

}  // namespace

Result<CoreDump> unwind_core(const CorePath& core_path, const std::string& exe_path,
                             const UnwindOptions& options, const std::vector<int>& tids) {
  auto session =
      DwflSession::open_core(core_path, exe_path, options.debug_dirs, options.debuginfod_budget,
                             /*attach_threads=*/true, options.sysroot);
  if (!session) return session.error();
  Dwfl* dwfl = (*session)->get();

  CoreDump dump;
  dump.notes = read_core_notes((*session)->core_elf());
  GElf_Ehdr ehdr;
  if (gelf_getehdr((*session)->core_elf(), &ehdr) != nullptr) dump.arch = arch_name(ehdr.e_machine);
  dump.pid = dwfl_pid(dwfl) > 0 ? dwfl_pid(dwfl) : dump.notes.pid;

  Dwfl_Module* main = main_module(dwfl, dump.notes);
  if (!exe_path.empty()) {
    if (main != nullptr) {
      if (auto matches = check_executable(main, exe_path, core_path, dump.notes,
                                          (*session)->core_elf(), options.sysroot);
          !matches)
        return matches.error();
    }
    dump.exe = exe_path;
  } else if (main != nullptr) {
    const char* name =
        dwfl_module_info(main, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
    if (name != nullptr) dump.exe = name;
  }

  Symbolizer symbolizer(dwfl, options.inlines);
  CfiProvenance provenance(dwfl);
  const DwflSession& modules = **session;
  ThreadWalk walk{&modules, &symbolizer, &provenance, &options, &tids, &dump.notes, &dump.threads};
  if (dwfl_getthreads(dwfl, &walk_thread, &walk) == -1 && dump.threads.empty() && tids.empty()) {
    return Error{0,
                 "cannot read the threads of core file " + core_path.shown + ": " + libdw_error()};
  }
  return dump;
}

}  // namespace ukstack::unwind
