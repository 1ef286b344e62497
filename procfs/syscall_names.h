// System-call names and which arguments are file descriptors, for x86-64.
// The name table is generated at build time from <asm/unistd_64.h>.
#pragma once

#include <string_view>
#include <vector>

namespace ukstack::procfs {

// "accept" for 43; "" when unknown.
std::string_view syscall_name(long nr);

// 43 for "accept"; -1 when unknown.
long syscall_number(std::string_view name);

// Indexes (0-based) of the arguments that are file descriptors for the common
// blocking calls (accept, accept4, read, write, readv, writev, pread64, pwrite64,
// recvfrom, recvmsg, recvmmsg, sendto, sendmsg, sendmmsg, connect, epoll_wait,
// epoll_pwait, epoll_pwait2, flock, fsync, ioctl, sendfile, splice ...).
std::vector<int> syscall_fd_args(long nr);

}  // namespace ukstack::procfs
