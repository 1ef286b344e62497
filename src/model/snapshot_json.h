// The JSON snapshot, schema "ukstack.snapshot/1" (DESIGN.md, "JSON snapshot";
// src/model/ukstack.snapshot-1.schema.json), both ways. Addresses, offsets and
// sizes are hex strings ("0x1f2"); absent optionals are null.
#pragma once

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "model/snapshot.h"

namespace ukstack {

inline constexpr const char* kSnapshotSchema = "ukstack.snapshot/1";

nlohmann::json snapshot_to_json(const Snapshot& snapshot);

// The inverse of snapshot_to_json, for re-rendering a saved snapshot (--input).
// Never throws: a document that is not a ukstack.snapshot/1 gives an Error naming
// the offending field ("threads[0].kernel.frames[2].offset: expected a hex string").
Result<Snapshot> snapshot_from_json(const nlohmann::json& document);

// The same document in the schema's field order, in pieces, for writers that
// stream a thread at a time: everything but the threads ("threads": []), and one
// thread.
nlohmann::ordered_json snapshot_outline_to_json(const Snapshot& snapshot);
nlohmann::ordered_json thread_to_ordered_json(const Thread& thread);

}  // namespace ukstack
