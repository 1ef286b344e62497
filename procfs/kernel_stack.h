// /proc/<tid>/stack, in every format kernels print:
//   [<0>] inet_csk_accept+0x1f2/0x3b0            (4.x+ with kptr hidden)
//   [<ffffffff81234567>] inet_csk_accept+0x1f2/0x3b0   (real addresses)
//   [<0>] nfs_wait_bit_killable+0x1f/0x90 [nfs]  (module suffix)
//   [<ffffffffffffffff>] 0xffffffffffffffff       (old terminator: dropped)
// An empty text (a running task) is an empty stack.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace ukstack::procfs {

struct KernelFrame {
  std::string function;  // "inet_csk_accept", or "0x..." if unnamed
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::optional<std::uint64_t> address;  // only when the kernel shows a real one
  std::string module;                    // "nfs", empty for vmlinux
  bool operator==(const KernelFrame&) const = default;
};

Result<std::vector<KernelFrame>> parse_kernel_stack(std::string_view text);

}  // namespace ukstack::procfs
