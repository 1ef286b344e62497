// A saved snapshot read back (ukstack --input FILE.json), to be rendered again.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "model/snapshot.h"

namespace ukstack {

// Every snapshot in the file: one (a JSON object) or several (an array, as
// `ukstack PID PID...` writes). An Error, one line, when the file cannot be read,
// is not JSON, or is not ukstack.snapshot/2 or /1 (naming the offending field).
Result<std::vector<Snapshot>> load_snapshots_file(const std::string& path);

// The file's one snapshot; a file of several is an Error saying how many it holds.
Result<Snapshot> load_snapshot_file(const std::string& path);

}  // namespace ukstack
