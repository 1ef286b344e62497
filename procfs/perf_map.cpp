#include "procfs/perf_map.h"

#include "procfs/text.h"

namespace ukstack::procfs {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Cuts the next blank-separated word off the front of `rest`.
std::string_view next_word(std::string_view& rest) {
  while (!rest.empty() && is_blank(rest.front())) rest.remove_prefix(1);
  std::size_t end = 0;
  while (end < rest.size() && !is_blank(rest[end])) ++end;
  std::string_view word = rest.substr(0, end);
  rest.remove_prefix(end);
  return word;
}

}  // namespace

std::size_t PerfMap::add(std::string_view text) {
  std::size_t used = 0;
  while (!gave_up_) {
    const std::size_t newline = text.find('\n', used);
    if (newline == std::string_view::npos) break;  // a line still being written
    std::string_view line = text.substr(used, newline - used);
    bytes_ += newline + 1 - used;
    used = newline + 1;
    ++lines_;
    if (bytes_ > limits_.max_bytes) {
      give_up();
      break;
    }
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (text::trim(line).empty()) continue;

    std::string_view rest = line;
    const auto start = text::parse_hex(next_word(rest));
    const auto size = text::parse_hex(next_word(rest));
    while (!rest.empty() && is_blank(rest.front())) rest.remove_prefix(1);
    if (!start || !size || rest.empty() || *size > UINT64_MAX - *start) {
      if (malformed_++ == 0)
        first_malformed_ = "line " + std::to_string(lines_) + ": " + text::quote(line);
      continue;
    }
    if (++entries_ > limits_.max_entries) {
      give_up();
      break;
    }
    if (*size != 0) insert(*start, *start + *size, rest);
  }
  // A line longer than what is left of the limit is not waited for.
  if (!gave_up_ && bytes_ + (text.size() - used) > limits_.max_bytes) give_up();
  // Past a limit nothing more is read: all of the rest counts as used.
  return gave_up_ ? text.size() : used;
}

// Paints [start, end) over what is there: the pieces of earlier entries it covers
// are cut away, so that every address keeps the latest entry that covers it.
void PerfMap::insert(std::uint64_t start, std::uint64_t end, std::string_view name) {
  auto next = segments_.lower_bound(start);
  if (next != segments_.begin()) {
    auto before = std::prev(next);
    if (before->second.end > start) {
      const Segment old = before->second;
      before->second.end = start;
      // The new entry lies inside the old one: the old one's tail stays after it.
      if (old.end > end) segments_.emplace_hint(next, end, old);
    }
  }
  while (next != segments_.end() && next->first < end) {
    if (next->second.end > end) {
      const Segment tail = next->second;
      next = segments_.erase(next);
      next = segments_.emplace_hint(next, end, tail);
      break;
    }
    next = segments_.erase(next);
  }
  if (name.size() > UINT32_MAX) name = name.substr(0, UINT32_MAX);
  const std::size_t offset = names_.size();
  names_.append(name);
  segments_.emplace_hint(next, start,
                         Segment{end, start, offset, static_cast<std::uint32_t>(name.size())});
}

void PerfMap::give_up() {
  gave_up_ = true;
  segments_.clear();
  names_.clear();
  names_.shrink_to_fit();
}

std::optional<PerfMapSymbol> PerfMap::lookup(std::uint64_t address) const {
  auto after = segments_.upper_bound(address);
  if (after == segments_.begin()) return std::nullopt;
  const auto& [start, segment] = *std::prev(after);
  if (address >= segment.end) return std::nullopt;
  return PerfMapSymbol{std::string_view(names_).substr(segment.name_offset, segment.name_size),
                       segment.entry_start};
}

std::string PerfMap::problems() const {
  if (gave_up_) {
    const std::uint64_t mib = limits_.max_bytes >> 20;
    const std::string bytes = mib > 0 && (mib << 20) == limits_.max_bytes
                                  ? std::to_string(mib) + " MiB"
                                  : std::to_string(limits_.max_bytes) + " bytes";
    return "more than " + bytes + " or " + std::to_string(limits_.max_entries) +
           " entries: not used";
  }
  if (malformed_ == 0) return {};
  return std::to_string(malformed_) + (malformed_ == 1 ? " malformed line" : " malformed lines") +
         " skipped (" + first_malformed_ + ")";
}

}  // namespace ukstack::procfs
