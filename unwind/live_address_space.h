// A live process's memory, read with process_vm_readv: one system call for a whole
// range (PTRACE_PEEKDATA would cost one per word), and no stop needed.
#pragma once

#include <cstddef>
#include <span>

#include "unwind/address_space.h"

namespace ukstack::unwind {

class LiveAddressSpace final : public AddressSpace {
 public:
  explicit LiveAddressSpace(int pid) : pid_(pid) {}
  int pid() const { return pid_; }

  // Stops at the first page it cannot read (unmapped, or PROT_NONE).
  Result<std::size_t> read(RemoteAddr addr, std::span<std::byte> out) const override;
  // Many requests per process_vm_readv, each split at pages as read() does.
  void read_each(std::span<ReadRequest> requests) const override;

 private:
  int pid_;
};

}  // namespace ukstack::unwind
