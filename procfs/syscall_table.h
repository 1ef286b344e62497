// The generated system-call name table (internal to procfs/; see
// gen_syscall_names.cmake). Index = number, "" where no call has that number.
#pragma once

#include <span>
#include <string_view>

namespace ukstack::procfs::detail {

std::span<const std::string_view> syscall_table();

}  // namespace ukstack::procfs::detail
