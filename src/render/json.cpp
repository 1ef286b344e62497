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

}  // namespace

// The document is written a thread at a time, each as nlohmann would indent it
// inside the whole: a DOM of thousands of threads would take twice the memory of
// the capture itself. Raw newlines in a dump are structure only (strings escape
// theirs), so re-indenting is inserting spaces after each one.
void write_json(const Snapshot& snapshot, std::ostream& out) {
  const std::string outline = pretty(snapshot_outline_to_json(snapshot));
  constexpr std::string_view kEmptyThreads = "\"threads\": []";
  const std::size_t at = outline.find(kEmptyThreads);
  const std::size_t open = at + kEmptyThreads.size() - 1;  // the ']' of "[]"
  out.write(outline.data(), static_cast<std::streamsize>(open));
  std::string thread_text;
  for (std::size_t i = 0; i < snapshot.threads.size(); ++i) {
    thread_text = pretty(thread_to_ordered_json(snapshot.threads[i]));
    out << (i == 0 ? "\n    " : ",\n    ");
    std::string_view rest = thread_text;
    for (std::size_t nl; (nl = rest.find('\n')) != std::string_view::npos;) {
      out.write(rest.data(), static_cast<std::streamsize>(nl + 1));
      out << "    ";
      rest.remove_prefix(nl + 1);
    }
    out.write(rest.data(), static_cast<std::streamsize>(rest.size()));
  }
  if (!snapshot.threads.empty()) out << "\n  ";
  out.write(outline.data() + open, static_cast<std::streamsize>(outline.size() - open));
  out << "\n";
}

std::string render_json(const Snapshot& snapshot) {
  std::ostringstream out;
  write_json(snapshot, out);
  return std::move(out).str();
}

}  // namespace ukstack
