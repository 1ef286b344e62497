#include "render/json.h"

#include <sstream>
#include <string_view>

#include "model/snapshot_json.h"

namespace ukstack {

namespace {

std::string pretty(const nlohmann::ordered_json& value) {
  return value.dump(2, ' ', /*ensure_ascii=*/false,
                    nlohmann::ordered_json::error_handler_t::replace);
}

// `text` with `indent` after each of its newlines. Raw newlines in a dump are
// structure only (strings escape theirs), so this re-indents a dumped value to
// sit deeper in a larger document.
void write_indented(std::ostream& out, std::string_view text, std::string_view indent) {
  for (std::size_t nl; (nl = text.find('\n')) != std::string_view::npos;) {
    out.write(text.data(), static_cast<std::streamsize>(nl + 1));
    out.write(indent.data(), static_cast<std::streamsize>(indent.size()));
    text.remove_prefix(nl + 1);
  }
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

// Writes `outline` from `from` up to its empty array `"key": []`, then the items
// (each printed by `item`), a level deeper, as nlohmann would have placed them.
// Returns where the outline goes on (the array's ']').
template <class Items, class Item>
std::size_t splice_array(std::ostream& out, std::string_view outline, std::size_t from,
                         std::string_view key, const Items& items, Item item,
                         const std::string& indent) {
  const std::string empty = "\"" + std::string(key) + "\": []";
  const std::size_t open = outline.find(empty, from) + empty.size() - 1;  // the ']'
  write_indented(out, outline.substr(from, open - from), indent);
  const std::string item_indent = indent + "    ";
  std::string text;
  for (std::size_t i = 0; i < items.size(); ++i) {
    text = pretty(item(items[i]));
    out << (i == 0 ? "\n" : ",\n") << item_indent;
    write_indented(out, text, item_indent);
  }
  if (!items.empty()) out << "\n" << indent << "  ";
  return open;
}

// One snapshot object, as nlohmann would print it `indent` deep, a thread and a
// goroutine at a time: a DOM of thousands of them would take twice the memory of
// the capture itself. No newline after the closing brace.
void write_snapshot(const Snapshot& snapshot, std::ostream& out, const std::string& indent) {
  const std::string outline = pretty(snapshot_outline_to_json(snapshot));
  std::size_t at =
      splice_array(out, outline, 0, "threads", snapshot.threads, thread_to_ordered_json, indent);
  at = splice_array(out, outline, at, "goroutines", snapshot.goroutines, goroutine_to_ordered_json,
                    indent);
  write_indented(out, std::string_view(outline).substr(at), indent);
}

}  // namespace

void write_json(const Snapshot& snapshot, std::ostream& out) {
  write_snapshot(snapshot, out, "");
  out << "\n";
}

std::string render_json(const Snapshot& snapshot) {
  std::ostringstream out;
  write_json(snapshot, out);
  return std::move(out).str();
}

void write_json(const std::vector<Snapshot>& snapshots, std::ostream& out) {
  if (snapshots.size() == 1) return write_json(snapshots.front(), out);
  if (snapshots.empty()) {
    out << "[]\n";
    return;
  }
  out << "[";
  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    out << (i == 0 ? "\n  " : ",\n  ");
    write_snapshot(snapshots[i], out, "  ");
  }
  out << "\n]\n";
}

std::string render_json(const std::vector<Snapshot>& snapshots) {
  std::ostringstream out;
  write_json(snapshots, out);
  return std::move(out).str();
}

}  // namespace ukstack
