// The text view's writer and the small pieces every part of it shares (the thread
// blocks in text.cpp, the summary, the wait lines). Internal to the renderer.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <iterator>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "model/snapshot.h"
#include "render/text.h"

namespace ukstack {

inline constexpr std::string_view kBold = "\x1b[1m";
inline constexpr std::string_view kDim = "\x1b[2m";
inline constexpr std::string_view kReset = "\x1b[0m";

// The whole report is written into one buffer: no string per line or per field.
class Writer {
 public:
  explicit Writer(const TextOptions& options) : options_(options) {}

  template <class... Args>
  void format(fmt::format_string<Args...> format, Args&&... args) {
    fmt::format_to(std::back_inserter(out_), format, std::forward<Args>(args)...);
  }
  void text(std::string_view text) { out_.append(text.data(), text.data() + text.size()); }
  void text(char c) { out_.push_back(c); }
  // Target-controlled text, escaped; copied straight in when nothing needs it.
  void escaped(std::string_view text);
  // `"name"`: a name from the target, escaped, in quotes.
  void quoted(std::string_view name);
  void end_line() { out_.push_back('\n'); }
  // A whole line in `style` (none: plain) that takes one row of a terminal at least
  // kMinColumnsWidth wide: shortened in the middle to its width, never wrapped.
  // Narrower, or not a terminal (width 0): as it is.
  void fitted_line(std::string_view line, std::string_view style = {});
  // A line in a style (kBold, kDim) when colour is on: begin_style, text, end_styled_line.
  void begin_style(std::string_view style) {
    if (options_.color) text(style);
  }
  void end_styled_line() {
    if (options_.color) text(kReset);
    end_line();
  }

  const TextOptions& options() const { return options_; }
  std::string take() { return fmt::to_string(out_); }
  // Hands what was written so far to `sink` and starts again (the buffer is kept).
  void drain_to(std::ostream& sink) {
    sink.write(out_.data(), static_cast<std::streamsize>(out_.size()));
    out_.clear();
  }

 private:
  const TextOptions& options_;
  fmt::memory_buffer out_;
};

// Code points, not bytes: what a terminal shows (one column each, as far as we care).
std::size_t code_points(std::string_view text);
bool is_continuation_byte(char c);

// "accept" or "syscall 999" when the number has no name here.
void write_syscall_label(Writer& w, const SyscallInfo& syscall);
// "S (sleeping)"
void write_state(Writer& w, const std::string& state);

}  // namespace ukstack
