// The line a CPython frame is at, from its code object's line table: the three
// encodings CPython has used, each decoded as the interpreter itself does
// (Objects/codeobject.c of that version, and Objects/lnotab_notes.txt). Pure
// functions over bytes already read: bounded by the table's size, never reading
// past it; a table that does not decode gives nullopt, never a guess.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace ukstack::unwind {

// Which encoding a code object's table is in.
enum class PythonLineTableFormat {
  lnotab,     // 3.9 co_lnotab: (bytecode byte increment, signed line increment) pairs
  linetable,  // 3.10 co_linetable: (byte delta, signed line delta or -128 = no line) pairs
  locations,  // 3.11+ co_linetable: location entries with varint fields
};

// 3.9: the line of the instruction at `byte_offset` (f_lasti, in bytes). A
// negative offset (a frame not started yet) is the first line, as in CPython.
std::optional<int> lnotab_line(std::span<const std::uint8_t> table, int first_line,
                               std::int64_t byte_offset);

// 3.10: the line of the instruction at `byte_offset` (f_lasti is in code units:
// pass f_lasti * 2). nullopt where the table says the instruction has no line, or
// the offset lies past the table's ranges.
std::optional<int> linetable_line(std::span<const std::uint8_t> table, int first_line,
                                  std::int64_t byte_offset);

// 3.11, 3.12, 3.13, 3.14: the line of the instruction `code_unit` 2-byte units
// from the code's first instruction (co_code_adaptive). A negative index (3.11 and
// 3.12's prev_instr before the first instruction) is the first line. nullopt for
// an instruction without a line (entry code 15) or past the table.
std::optional<int> location_table_line(std::span<const std::uint8_t> table, int first_line,
                                       std::int64_t code_unit);

// Line tables longer than this are taken for corrupted memory, not decoded (the
// largest real ones are a few hundred KiB, for generated modules).
inline constexpr std::size_t kMaxPythonLineTable = 1 << 20;

}  // namespace ukstack::unwind
