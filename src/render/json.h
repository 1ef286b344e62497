// The JSON view of a snapshot (model/snapshot_json.h has the document itself).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "model/snapshot.h"

namespace ukstack {

// Pretty-printed (2 spaces) with a trailing newline. Bytes that are not valid
// UTF-8 (a thread name is any bytes) are written as U+FFFD.
std::string render_json(const Snapshot& snapshot);
// The same text, written to `out` a thread at a time (memory stays flat).
void write_json(const Snapshot& snapshot, std::ostream& out);

// Several processes captured in one run, as one document: a JSON array of their
// snapshots (snapshots_to_json's text); one snapshot is written as above.
std::string render_json(const std::vector<Snapshot>& snapshots);
void write_json(const std::vector<Snapshot>& snapshots, std::ostream& out);

}  // namespace ukstack
