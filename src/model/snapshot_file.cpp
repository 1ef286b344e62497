#include "model/snapshot_file.h"

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "model/snapshot_json.h"

namespace ukstack {

Result<Snapshot> load_snapshot_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::from_errno(errno, "cannot read " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Error::from_errno(errno, "cannot read " + path);
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return Error{0, path + " is not valid JSON (at byte " + std::to_string(e.byte) + ")"};
  }
  auto snapshot = snapshot_from_json(document);
  if (!snapshot) return Error{0, path + ": " + snapshot.error().message};
  return snapshot;
}

}  // namespace ukstack
