#include "unwind/sysroot_files.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <libelf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "base/unique_elf.h"

namespace ukstack::unwind {

namespace {

constexpr std::string_view kDeleted = " (deleted)";

std::string to_hex(std::span<const unsigned char> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : bytes) {
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 0xf];
  }
  return hex;
}

// The file's GNU build-id; empty when it has none or is no ELF file.
std::vector<unsigned char> file_build_id(int fd) {
  elf_version(EV_CURRENT);
  UniqueElf elf(elf_begin(fd, ELF_C_READ_MMAP, nullptr));
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF) return {};
  const void* bits = nullptr;
  const ssize_t size = dwelf_elf_gnu_build_id(elf.get(), &bits);
  if (size <= 0) return {};
  const auto* bytes = static_cast<const unsigned char*>(bits);
  return {bytes, bytes + size};
}

}  // namespace

SysrootFiles::SysrootFiles(std::string root) : root_(std::move(root)) {
  // Absolute: libdw searches only absolute debug directories for build-ids (a
  // relative one is taken as relative to each module's own directory).
  std::error_code error;
  if (auto absolute = std::filesystem::absolute(root_, error); !error) root_ = absolute.string();
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::optional<std::string> SysrootFiles::path_for(std::string_view module_path) const {
  if (!module_path.starts_with('/') || module_path.starts_with("/proc/")) return std::nullopt;
  if (module_path.ends_with(kDeleted)) module_path.remove_suffix(kDeleted.size());
  return root_ + std::string(module_path);
}

UniqueFd SysrootFiles::open_module(std::string_view module_path,
                                   std::span<const unsigned char> build_id) {
  const std::optional<std::string> path = path_for(module_path);
  if (!path) return UniqueFd();
  UniqueFd fd(::open(path->c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    problems_.insert_or_assign(std::string(module_path),
                               "no file " + *path + " under the sysroot: " + std::strerror(errno));
    return UniqueFd();
  }
  if (build_id.empty()) return fd;  // the core recorded none to check it by
  const std::vector<unsigned char> found = file_build_id(fd.get());
  if (std::ranges::equal(found, build_id)) return fd;
  // Never another build of the library: its symbols and CFI would be wrong.
  problems_.insert_or_assign(std::string(module_path),
                             *path + " under the sysroot is another build (build-id " +
                                 (found.empty() ? std::string("none") : to_hex(found)) +
                                 ", the core's module has " + to_hex(build_id) + ")");
  return UniqueFd();
}

std::optional<std::string> SysrootFiles::problem(std::string_view module_path) const {
  auto it = problems_.find(module_path);
  if (it == problems_.end()) return std::nullopt;
  return it->second;
}

}  // namespace ukstack::unwind
