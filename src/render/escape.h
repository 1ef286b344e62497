// Strings that came from the target (thread names, paths, symbol names) are shown
// through escape_for_terminal, so a target cannot write escape sequences to the
// debugger's terminal.
#pragma once

#include <string>
#include <string_view>

namespace ukstack {

// Valid, printable UTF-8 passes through unchanged. Escaped, in one scheme:
//   "\n" and "\t" for newline and tab, "\\" for a backslash, and "\xNN" (two
//   lower-case hex digits) for every other byte of: C0 controls (< 0x20), DEL
//   (0x7f), C1 controls (U+0080..U+009F, which terminals read as CSI and friends),
//   bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069, which
//   reorder what the reader sees), and bytes that are not valid UTF-8.
std::string escape_for_terminal(std::string_view text);

}  // namespace ukstack
