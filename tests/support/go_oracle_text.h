// Text helpers shared by the two goroutine oracles' parsers (go_traceback.cpp,
// delve_goroutines.cpp): lines, trimming, numbers and "FILE:LINE" locations.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <utility>

namespace ukstack::test::go_text {

// Removes and returns the first line of `text` (without its '\n' or '\r').
inline std::string_view next_line(std::string_view& text) {
  const size_t end = text.find('\n');
  std::string_view line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

inline std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The whole of `text` as a decimal number; nullopt if it is anything else.
template <typename Number>
std::optional<Number> whole_number(std::string_view text) {
  Number value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// "FILE:LINE" -> {FILE, LINE}; nullopt when it does not end in ":<number>".
inline std::optional<std::pair<std::string_view, int>> location(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::optional<int> line = whole_number<int>(text.substr(colon + 1));
  if (!line) return std::nullopt;
  return std::pair{text.substr(0, colon), *line};
}

}  // namespace ukstack::test::go_text
