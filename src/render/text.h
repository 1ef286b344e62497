// The text view of a snapshot: one block per thread, kernel frames above the
// system call that joins them to the user frames (DESIGN.md, "Text output").
// Every string that came from the target is shown through escape_for_terminal.
#pragma once

#include <ostream>
#include <string>

#include "model/snapshot.h"

namespace ukstack {

struct TextOptions {
  bool color = false;  // ANSI: bold thread headers, dim boundary lines
};

std::string render_text(const Snapshot& snapshot, const TextOptions& options);
// The same text, written to `out` a thread at a time (memory stays flat).
void write_text(const Snapshot& snapshot, const TextOptions& options, std::ostream& out);

}  // namespace ukstack
