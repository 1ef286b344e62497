#include "procfs/maps.h"

#include <string>

#include "procfs/text.h"

namespace ukstack::procfs {

namespace {

constexpr std::string_view kDeleted = " (deleted)";

// Cuts the next space-separated word off the front of `rest`.
std::string_view next_word(std::string_view& rest) {
  while (rest.starts_with(' ')) rest.remove_prefix(1);
  auto end = rest.find(' ');
  std::string_view word = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  return word;
}

}  // namespace

// "start-end perms offset dev inode<spaces>path"; the path is everything after the
// padding and may itself contain spaces.
Result<std::vector<Mapping>> parse_maps(std::string_view maps_text) {
  std::vector<Mapping> mappings;
  std::size_t number = 0;
  for (std::string_view line : text::lines(maps_text)) {
    ++number;
    if (text::trim(line).empty()) continue;
    auto bad = [&](std::string_view why) {
      return Error{0, "maps line " + std::to_string(number) + " has " + std::string(why) + ": " +
                          text::quote(line)};
    };
    std::string_view rest = line;
    std::string_view range = next_word(rest);
    std::string_view perms = next_word(rest);
    std::string_view offset = next_word(rest);
    std::string_view device = next_word(rest);
    std::string_view inode = next_word(rest);

    auto dash = range.find('-');
    if (dash == std::string_view::npos) return bad("a bad address range");
    auto start = text::parse_hex(range.substr(0, dash));
    auto end = text::parse_hex(range.substr(dash + 1));
    if (!start || !end || *end < *start) return bad("a bad address range");
    if (perms.size() != 4) return bad("bad permissions");
    auto offset_value = text::parse_hex(offset);
    if (!offset_value) return bad("a bad offset");
    if (device.find(':') == std::string_view::npos) return bad("a bad device");
    auto inode_value = text::parse_u64(inode);
    if (!inode_value) return bad("a bad inode");

    Mapping mapping;
    mapping.start = RemoteAddr(*start);
    mapping.end = RemoteAddr(*end);
    mapping.perms = std::string(perms);
    mapping.offset = *offset_value;
    mapping.inode = *inode_value;
    while (rest.starts_with(' ')) rest.remove_prefix(1);
    if (rest.ends_with('\r')) rest.remove_suffix(1);
    if (rest.ends_with(kDeleted)) {
      rest.remove_suffix(kDeleted.size());
      mapping.deleted = true;
    }
    mapping.path = std::string(rest);
    mappings.push_back(std::move(mapping));
  }
  return mappings;
}

}  // namespace ukstack::procfs
