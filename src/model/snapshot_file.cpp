#include "model/snapshot_file.h"

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <utility>

#include "model/snapshot_json.h"

namespace ukstack {

Result<std::vector<Snapshot>> load_snapshots_file(const std::string& path) {
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
  auto snapshots = snapshots_from_json(document);
  if (!snapshots) return Error{0, path + ": " + snapshots.error().message};
  return snapshots;
}

Result<Snapshot> load_snapshot_file(const std::string& path) {
  auto snapshots = load_snapshots_file(path);
  if (!snapshots) return snapshots.error();
  if (snapshots->size() != 1) {
    return Error{0, path + " holds " + std::to_string(snapshots->size()) +
                        " snapshots (one per process); expected one"};
  }
  return std::move(snapshots->front());
}

}  // namespace ukstack
