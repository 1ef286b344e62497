#include "capture/core/core_input.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <span>
#include <vector>

#include "capture/core/core_decompression.h"

namespace ukstack {

namespace {

// Up to out.size() bytes, fewer only at the end of the input.
Result<std::size_t> read_head(int fd, std::span<std::byte> out) {
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(errno, "cannot read it");
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return got;
}

}  // namespace

Result<CoreInput> CoreInput::open(const std::string& name) {
  const bool from_stdin = name == kCoreFromStdin;
  // Messages call standard input by what it is; the snapshot keeps "-" (core_capture).
  const std::string shown = from_stdin ? "on standard input" : name;
  auto fail = [&shown](const Error& error) {
    return Error{error.errnum, "core file " + shown + ": " + error.message};
  };

  UniqueFd file;
  int in_fd = STDIN_FILENO;
  if (!from_stdin) {
    file = UniqueFd(::open(name.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file.valid()) return Error::from_errno(errno, "cannot open core file " + name);
    in_fd = file.get();
  }
  std::array<std::byte, kCompressionMagicBytes> head_bytes{};
  auto head_size = read_head(in_fd, head_bytes);
  if (!head_size && !from_stdin) {
    // A directory, say: the core readers say what it is not, as for any file.
    return CoreInput(unwind::CorePath(name), UniqueFd(), false);
  }
  if (!head_size) return fail(head_size.error());
  const std::span<const std::byte> head(head_bytes.data(), *head_size);
  const Compression kind = detect_compression(head);
  if (kind == Compression::None && !from_stdin) {
    return CoreInput(unwind::CorePath(name), UniqueFd(), false);  // read in place, mapped
  }

  UniqueFd memory(::memfd_create("ukstack-core", MFD_CLOEXEC));
  if (!memory.valid()) {
    return fail(Error::from_errno(errno, "cannot create a memory file to decompress it into"));
  }
  Status filled = decompress_stream(kind, head, in_fd, memory.get());
  if (!filled) return fail(filled.error());
  std::string open_path = "/proc/self/fd/" + std::to_string(memory.get());
  return CoreInput(unwind::CorePath(std::move(open_path), shown), std::move(memory), from_stdin);
}

}  // namespace ukstack
