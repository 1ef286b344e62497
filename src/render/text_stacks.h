// Writing one half of a stack, kernel or user, a frame a line: for a thread's
// block, a group's, and a goroutine's.
#pragma once

#include "model/snapshot.h"
#include "render/text_writer.h"

namespace ukstack {

// "function+0x1f", or "?? 0x7f..." for a frame no symbol names.
void write_function_with_offset(Writer& w, const Frame& frame);
// "    (why the half is missing or cut short)", or "(no frames)".
void write_error(Writer& w, const Stack& stack);
void write_method_line(Writer& w, std::string_view half, const Stack& stack);
// The halves under their method line ("  kernel (procfs):").
void write_kernel(Writer& w, const Stack& stack);
void write_user(Writer& w, const Stack& stack);
// The user frames alone, numbered, each line after `indent`.
void write_user_frames(Writer& w, const Stack& stack, std::string_view indent = "    ");

}  // namespace ukstack
