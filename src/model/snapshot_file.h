// A saved snapshot read back (ukstack --input FILE.json), to be rendered again.
#pragma once

#include <string>

#include "base/result.h"
#include "model/snapshot.h"

namespace ukstack {

// An Error, one line, when the file cannot be read, is not JSON, or is not a
// ukstack.snapshot/1 document (naming the offending field).
Result<Snapshot> load_snapshot_file(const std::string& path);

}  // namespace ukstack
