// Small text helpers shared by the /proc parsers (internal to procfs/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ukstack::procfs::text {

std::string_view trim(std::string_view s);
// Lines without their '\n'; a final empty line (text ending in '\n') is not returned.
std::vector<std::string_view> lines(std::string_view s);
// Words separated by spaces or tabs.
std::vector<std::string_view> words(std::string_view s);
// Whole-string numbers; nullopt on anything else. parse_hex accepts an optional "0x".
std::optional<std::uint64_t> parse_hex(std::string_view s);
std::optional<std::uint64_t> parse_u64(std::string_view s);
std::optional<std::int64_t> parse_i64(std::string_view s);
// For error messages: the text, shortened and with control characters as '?'.
std::string quote(std::string_view s);

}  // namespace ukstack::procfs::text
