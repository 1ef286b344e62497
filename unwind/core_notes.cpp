#include "unwind/core_notes.h"

#include <elf.h>
#include <gelf.h>
#include <sys/procfs.h>
#include <sys/user.h>

#include <cstdint>
#include <cstring>
#include <string_view>

namespace ukstack::unwind {

namespace {

// A fixed-size char array from a note, up to its first NUL.
template <std::size_t N>
std::string fixed_string(const char (&field)[N]) {
  return std::string(field, strnlen(field, N));
}

// A note's descriptor as T, when it is at least that long (memcpy: notes are only
// 4-byte aligned).
template <class T>
std::optional<T> descriptor_as(const void* data, std::size_t size) {
  if (size < sizeof(T)) return std::nullopt;
  T value;
  std::memcpy(&value, data, sizeof(T));
  return value;
}

// NT_FILE: count and page size, then count (start, end, offset in pages) triples,
// then count NUL-terminated paths. All fields are 8 bytes on a 64-bit core.
void read_file_note(const char* desc, std::size_t size, std::vector<CoreFileMapping>& files) {
  auto count = descriptor_as<std::uint64_t>(desc, size);
  auto page_size = descriptor_as<std::uint64_t>(desc + 8, size >= 8 ? size - 8 : 0);
  if (!count || !page_size) return;
  constexpr std::size_t kHeader = 16, kTriple = 24;
  if (*count > (size - kHeader) / kTriple) return;  // more entries than the note holds
  const char* path = desc + kHeader + *count * kTriple;
  const char* end = desc + size;
  for (std::uint64_t i = 0; i < *count; ++i) {
    const char* triple = desc + kHeader + i * kTriple;
    CoreFileMapping mapping;
    mapping.start = *descriptor_as<std::uint64_t>(triple, 8);
    mapping.end = *descriptor_as<std::uint64_t>(triple + 8, 8);
    std::uint64_t pages = *descriptor_as<std::uint64_t>(triple + 16, 8);
    if (path >= end) return;
    std::size_t length = strnlen(path, static_cast<std::size_t>(end - path));
    if (path + length == end) return;  // no terminating NUL: cut short
    mapping.path.assign(path, length);
    path += length + 1;
    if (mapping.end <= mapping.start || pages > UINT64_MAX / *page_size) continue;
    mapping.file_offset = pages * *page_size;
    files.push_back(std::move(mapping));
  }
}

// The system-call state a thread's saved registers show, as /proc/<tid>/syscall
// would have: the kernel keeps the call's number in orig_rax (-1 outside a call).
procfs::SyscallState syscall_state(const elf_gregset_t& saved) {
  static_assert(sizeof(elf_gregset_t) == sizeof(user_regs_struct), "pr_reg is user_regs_struct");
  user_regs_struct regs;
  std::memcpy(&regs, &saved, sizeof regs);
  procfs::SyscallState state;
  state.sp = RemoteAddr(regs.rsp);
  state.pc = RemoteAddr(regs.rip);
  const auto nr = static_cast<long>(regs.orig_rax);
  if (nr < 0) {
    state.kind = procfs::SyscallState::Kind::NotInSyscall;
    return state;
  }
  state.kind = procfs::SyscallState::Kind::InSyscall;
  state.nr = nr;
  state.args = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
  return state;
}

RegisterSet saved_registers(const elf_gregset_t& saved) {
  user_regs_struct regs;
  std::memcpy(&regs, &saved, sizeof regs);
  return registers_from_ptrace(regs);
}

void read_note(const GElf_Nhdr& header, std::string_view owner, const char* desc,
               CoreNotes& notes) {
  if (owner != "CORE") return;  // "LINUX" notes carry register sets, not needed here
  switch (header.n_type) {
    case NT_PRPSINFO:
      if (auto info = descriptor_as<prpsinfo_t>(desc, header.n_descsz)) {
        notes.pid = info->pr_pid;
        notes.name = fixed_string(info->pr_fname);
        notes.arguments = fixed_string(info->pr_psargs);
        if (info->pr_sname != '\0') notes.state = info->pr_sname;
      }
      break;
    case NT_PRSTATUS:
      if (auto status = descriptor_as<prstatus_t>(desc, header.n_descsz)) {
        notes.threads.push_back({status->pr_pid, status->pr_cursig, syscall_state(status->pr_reg),
                                 saved_registers(status->pr_reg)});
      }
      break;
    case NT_AUXV:
      for (std::size_t at = 0; at + sizeof(Elf64_auxv_t) <= header.n_descsz;
           at += sizeof(Elf64_auxv_t)) {
        auto entry = descriptor_as<Elf64_auxv_t>(desc + at, sizeof(Elf64_auxv_t));
        if (entry->a_type == AT_NULL) break;
        if (entry->a_type == AT_ENTRY) notes.entry = entry->a_un.a_val;
      }
      break;
    case NT_FILE:
      read_file_note(desc, header.n_descsz, notes.files);
      break;
    default:
      break;
  }
}

}  // namespace

CoreNotes read_core_notes(Elf* core) {
  CoreNotes notes;
  GElf_Ehdr ehdr;
  // The structures of <sys/procfs.h> are this machine's: x86-64 (README, limits).
  if (gelf_getehdr(core, &ehdr) == nullptr || ehdr.e_ident[EI_CLASS] != ELFCLASS64 ||
      ehdr.e_machine != EM_X86_64) {
    return notes;
  }
  std::size_t phnum = 0;
  if (elf_getphdrnum(core, &phnum) != 0) return notes;
  for (std::size_t i = 0; i < phnum; ++i) {
    GElf_Phdr phdr;
    if (gelf_getphdr(core, static_cast<int>(i), &phdr) == nullptr || phdr.p_type != PT_NOTE)
      continue;
    // Checked by libelf against the file's size; converted to host byte order.
    Elf_Data* data =
        elf_getdata_rawchunk(core, static_cast<int64_t>(phdr.p_offset), phdr.p_filesz, ELF_T_NHDR);
    if (data == nullptr) continue;
    std::size_t offset = 0;
    GElf_Nhdr header;
    std::size_t name_offset = 0;
    std::size_t desc_offset = 0;
    while (offset < data->d_size &&
           (offset = gelf_getnote(data, offset, &header, &name_offset, &desc_offset)) > 0) {
      const char* base = static_cast<const char*>(data->d_buf);
      // n_namesz counts the terminating NUL.
      std::string_view owner(base + name_offset, header.n_namesz > 0
                                                     ? strnlen(base + name_offset, header.n_namesz)
                                                     : 0);
      read_note(header, owner, base + desc_offset, notes);
    }
  }
  return notes;
}

}  // namespace ukstack::unwind
