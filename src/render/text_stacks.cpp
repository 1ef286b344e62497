#include "render/text_stacks.h"

namespace ukstack {

void write_function_with_offset(Writer& w, const Frame& frame) {
  if (frame.function.empty()) {
    if (frame.pc) {
      w.format("?? {:#x}", *frame.pc);
    } else {
      w.text("??");
    }
    return;
  }
  w.escaped(frame.function);
  // An inlined call has no offset of its own: it shares its caller's pc.
  if (!frame.inlined) w.format("+{:#x}", frame.offset);
}

void write_error(Writer& w, const Stack& stack) {
  if (stack.error) {
    w.text("    (");
    w.escaped(*stack.error);
    w.text(")\n");
  } else if (stack.frames.empty()) {
    w.text("    (no frames)\n");
  }
}

void write_method_line(Writer& w, std::string_view half, const Stack& stack) {
  w.text(half);
  w.text(" (");
  w.text(to_string(stack.method));
  w.text("):\n");
}

void write_kernel(Writer& w, const Stack& stack) {
  write_method_line(w, "  kernel", stack);
  for (const Frame& frame : stack.frames) {
    w.text("    ");
    write_function_with_offset(w, frame);
    if (frame.module) {
      w.text(" [");
      w.escaped(*frame.module);
      w.text(']');
    }
    w.end_line();
  }
  write_error(w, stack);
}

// "py  handle_request (app.py:212)": a Python function has no pc or module.
static void write_python_frame(Writer& w, const Frame& frame) {
  w.text("py  ");
  if (frame.function.empty()) {
    w.text("??");
  } else {
    w.escaped(frame.function);
  }
  if (frame.file) {
    w.text(" (");
    w.escaped(*frame.file);
    if (frame.line) w.format(":{}", *frame.line);
    w.text(')');
  }
  w.end_line();
}

void write_user_frames(Writer& w, const Stack& stack, std::string_view indent) {
  for (std::size_t i = 0; i < stack.frames.size(); ++i) {
    const Frame& frame = stack.frames[i];
    w.text(indent);
    w.format("#{:<2} ", i);
    if (frame.language == FrameLanguage::Python) {
      write_python_frame(w, frame);
      continue;
    }
    if (frame.language == FrameLanguage::Jit) w.text("jit ");
    write_function_with_offset(w, frame);
    if (frame.module) {
      w.text(" (");
      w.escaped(*frame.module);
      // Where an unnamed frame is in its file: what eu-addr2line -e MODULE takes, or
      // --resymbolize on a machine with the debug info.
      if (frame.function.empty() && frame.module_offset) w.format("+{:#x}", *frame.module_offset);
      w.text(')');
    }
    if (frame.file) {
      w.text(' ');
      w.escaped(*frame.file);
      if (frame.line) w.format(":{}", *frame.line);
    }
    if (frame.inlined) w.text(" (inlined)");
    // Only the guessed frames are marked: ordinary output stays as it was.
    if (frame.found_by == FoundBy::FramePointer) w.text(" [frame pointer]");
    w.end_line();
  }
}

void write_user(Writer& w, const Stack& stack) {
  write_method_line(w, "  user", stack);
  write_user_frames(w, stack);
  write_error(w, stack);
}

}  // namespace ukstack
