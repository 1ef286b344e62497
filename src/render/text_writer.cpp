#include "render/text_writer.h"

#include <algorithm>

#include "base/thread_state.h"
#include "render/escape.h"

namespace ukstack {
namespace {

// Bytes escape_for_terminal changes: anything but printable ASCII, and '\'.
bool needs_escape(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || byte == '\\') return true;
  }
  return false;
}

}  // namespace

void Writer::escaped(std::string_view text) {
  if (!needs_escape(text)) {
    this->text(text);
  } else {
    const std::string escaped = escape_for_terminal(text);
    this->text(escaped);
  }
}

void Writer::quoted(std::string_view name) {
  text('"');
  escaped(name);
  text('"');
}

void Writer::fitted_line(std::string_view line, std::string_view style) {
  if (!style.empty()) begin_style(style);
  if (options_.width >= kMinColumnsWidth && code_points(line) > options_.width) {
    text(shorten_middle(line, options_.width));
  } else {
    text(line);
  }
  if (style.empty()) {
    end_line();
  } else {
    end_styled_line();
  }
}

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

std::size_t code_points(std::string_view text) {
  return static_cast<std::size_t>(
      std::ranges::count_if(text, [](char c) { return !is_continuation_byte(c); }));
}

void write_syscall_label(Writer& w, const SyscallInfo& syscall) {
  if (syscall.name.empty()) {
    w.format("syscall {}", syscall.nr);
  } else {
    w.escaped(syscall.name);
  }
}

void write_state(Writer& w, const std::string& state) {
  w.escaped(state);
  if (state.size() == 1) w.format(" ({})", thread_state_name(state[0]));
}

}  // namespace ukstack
