// CPython's str and bytes objects read through an address space, by a
// PythonLayout: a code object's names (compact strings of any kind, given as
// UTF-8) and its line table (bytes). Lengths are bounded: a string or a table
// beyond the bound is corrupted memory, an Error, not a read of megabytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/remote_addr.h"
#include "base/result.h"
#include "unwind/address_space.h"
#include "unwind/python_layout.h"

namespace ukstack::unwind {

// Names and file paths longer than this (in characters) are refused.
inline constexpr std::size_t kMaxPythonString = 4096;

// The str at `object` in UTF-8: a compact string, ASCII, Latin-1, UCS-2 or
// UCS-4 (every name CPython gives a code object is one). With `str_type`, its
// ob_type must be that (PyUnicode_Type). An Error for anything else: not a str,
// not compact, an absurd length or kind, unreadable.
Result<std::string> read_python_str(const AddressSpace& memory, const PythonLayout& layout,
                                    RemoteAddr object, std::optional<RemoteAddr> str_type = {});

// The bytes of the bytes object at `object`, at most `max_size` of them (more is
// an Error). With `bytes_type`, its ob_type must be that (PyBytes_Type).
Result<std::vector<std::uint8_t>> read_python_bytes(const AddressSpace& memory,
                                                    const PythonLayout& layout, RemoteAddr object,
                                                    std::size_t max_size,
                                                    std::optional<RemoteAddr> bytes_type = {});

// A T at `offset` in bytes copied from the target (the caller has checked that it
// fits): a struct member by its layout offset.
template <class T>
T load_at(std::span<const std::byte> bytes, std::uint64_t offset) {
  T value{};
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

// A pointer-sized word at `addr` (x86-64: 8 bytes).
Result<RemoteAddr> read_remote_pointer(const AddressSpace& memory, RemoteAddr addr);

}  // namespace ukstack::unwind
