#include "procfs/syscall_names.h"

// The same header the name table is generated from: the __NR_ constants below
// fail to compile if a name is misspelt or unknown to this kernel's headers.
#include <asm/unistd_64.h>

#include <algorithm>

#include "procfs/syscall_table.h"

namespace ukstack::procfs {

namespace {

struct FdArgs {
  long nr;
  int first;        // index of the first fd argument
  int second = -1;  // a second one (sendfile, splice, ...), or -1
};

// Calls a thread commonly blocks in, and which of their arguments are fds.
// Kept by hand: the kernel headers do not say which argument is a descriptor.
const FdArgs kFdArgs[] = {
    {__NR_read, 0},           {__NR_write, 0},           {__NR_readv, 0},
    {__NR_writev, 0},         {__NR_pread64, 0},         {__NR_pwrite64, 0},
    {__NR_preadv, 0},         {__NR_pwritev, 0},         {__NR_preadv2, 0},
    {__NR_pwritev2, 0},       {__NR_accept, 0},          {__NR_accept4, 0},
    {__NR_connect, 0},        {__NR_recvfrom, 0},        {__NR_recvmsg, 0},
    {__NR_recvmmsg, 0},       {__NR_sendto, 0},          {__NR_sendmsg, 0},
    {__NR_sendmmsg, 0},       {__NR_shutdown, 0},        {__NR_epoll_wait, 0},
    {__NR_epoll_pwait, 0},    {__NR_epoll_pwait2, 0},    {__NR_epoll_ctl, 0, 2},
    {__NR_flock, 0},          {__NR_fsync, 0},           {__NR_fdatasync, 0},
    {__NR_syncfs, 0},         {__NR_sync_file_range, 0}, {__NR_fallocate, 0},
    {__NR_ftruncate, 0},      {__NR_fcntl, 0},           {__NR_ioctl, 0},
    {__NR_getdents64, 0},     {__NR_close, 0},           {__NR_sendfile, 0, 1},
    {__NR_splice, 0, 2},      {__NR_tee, 0, 1},          {__NR_copy_file_range, 0, 2},
    {__NR_io_uring_enter, 0}, {__NR_mq_timedreceive, 0}, {__NR_mq_timedsend, 0},
};

}  // namespace

std::string_view syscall_name(long nr) {
  auto table = detail::syscall_table();
  if (nr < 0 || static_cast<std::size_t>(nr) >= table.size()) return {};
  return table[static_cast<std::size_t>(nr)];
}

long syscall_number(std::string_view name) {
  if (name.empty()) return -1;
  auto table = detail::syscall_table();
  auto it = std::find(table.begin(), table.end(), name);
  return it == table.end() ? -1 : static_cast<long>(it - table.begin());
}

std::vector<int> syscall_fd_args(long nr) {
  for (const auto& entry : kFdArgs) {
    if (entry.nr != nr) continue;
    if (entry.second < 0) return {entry.first};
    return {entry.first, entry.second};
  }
  return {};
}

}  // namespace ukstack::procfs
