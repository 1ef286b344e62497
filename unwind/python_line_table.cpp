#include "unwind/python_line_table.h"

#include <limits>

namespace ukstack::unwind {

namespace {

// A line as CPython stores it (an int, 0 for synthetic code); anything else is a
// table that does not describe this code.
std::optional<int> as_line(std::int64_t line) {
  if (line < 0 || line > std::numeric_limits<int>::max()) return std::nullopt;
  return static_cast<int>(line);
}

}  // namespace

std::optional<int> lnotab_line(std::span<const std::uint8_t> table, int first_line,
                               std::int64_t byte_offset) {
  // PyCode_Addr2Line of 3.9: add each pair's line increment while its address
  // increment keeps the running address at or below the offset.
  if (table.size() > kMaxPythonLineTable) return std::nullopt;
  std::int64_t line = first_line;
  std::int64_t address = 0;  // in bytes
  for (std::size_t i = 0; i + 1 < table.size(); i += 2) {
    address += table[i];
    if (address > byte_offset) break;
    line += static_cast<std::int8_t>(table[i + 1]);
  }
  return as_line(line);
}

std::optional<int> linetable_line(std::span<const std::uint8_t> table, int first_line,
                                  std::int64_t byte_offset) {
  // PyLineTable_NextAddressRange of 3.10: each pair is a range of `delta` bytes
  // after the previous one; its line is the running line plus its delta, or none
  // (-128). Empty ranges still move the running line.
  if (table.size() > kMaxPythonLineTable) return std::nullopt;
  if (byte_offset < 0) return as_line(first_line);  // PyCode_Addr2Line's own rule
  std::int64_t line = first_line;
  std::int64_t end = 0;
  for (std::size_t i = 0; i + 1 < table.size(); i += 2) {
    const std::int64_t start = end;
    end += table[i];
    const auto delta = static_cast<std::int8_t>(table[i + 1]);
    const bool has_line = delta != -128;
    if (has_line) line += delta;
    if (start <= byte_offset && byte_offset < end) {
      return has_line ? as_line(line) : std::nullopt;
    }
  }
  return std::nullopt;
}

namespace {

// The entry kinds of the 3.11+ location table (Include/cpython/code.h's
// _PyCodeLocationInfoKind): 0-9 short forms and 10-12 one-line forms change the
// line by nothing or their code - 10; 13 (no columns) and 14 (long) carry a
// signed varint line delta; 15 is an instruction without a line.
constexpr int kOneLine0 = 10;
constexpr int kNoColumns = 13;
constexpr int kLong = 14;
constexpr int kNone = 15;

// A varint of 6-bit groups, the low one first, bit 6 set on all but the last
// (scan_varint in Objects/codeobject.c). nullopt past the table or beyond 32 bits.
std::optional<std::uint32_t> read_varint(std::span<const std::uint8_t> table, std::size_t& at) {
  std::uint32_t value = 0;
  for (unsigned shift = 0; shift < 32; shift += 6) {
    if (at >= table.size()) return std::nullopt;
    const std::uint8_t byte = table[at++];
    value |= static_cast<std::uint32_t>(byte & 63) << shift;
    if ((byte & 64) == 0) return value;
  }
  return std::nullopt;
}

}  // namespace

std::optional<int> location_table_line(std::span<const std::uint8_t> table, int first_line,
                                       std::int64_t code_unit) {
  if (table.size() > kMaxPythonLineTable) return std::nullopt;
  if (code_unit < 0) return as_line(first_line);
  std::int64_t line = first_line;
  std::int64_t end = 0;
  std::size_t at = 0;
  while (at < table.size()) {
    const std::uint8_t first = table[at];
    if ((first & 128) == 0) return std::nullopt;  // not the start of an entry
    const int code = (first >> 3) & 15;
    const std::int64_t start = end;
    end += (first & 7) + 1;
    std::size_t next = at + 1;
    if (code == kNoColumns || code == kLong) {
      auto raw = read_varint(table, next);
      if (!raw) return std::nullopt;
      // Signed: the sign in the low bit (scan_signed_varint).
      const std::int64_t magnitude = *raw >> 1;
      line += (*raw & 1) != 0 ? -magnitude : magnitude;
    } else if (code >= kOneLine0 && code < kNoColumns) {
      line += code - kOneLine0;
    }
    if (start <= code_unit && code_unit < end) {
      if (code == kNone) return std::nullopt;
      return as_line(line);
    }
    // The rest of the entry (columns, end line) up to the next entry's first byte.
    at = next;
    while (at < table.size() && (table[at] & 128) == 0) ++at;
  }
  return std::nullopt;
}

}  // namespace ukstack::unwind
