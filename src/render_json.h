// The JSON snapshot, schema "ukstack.snapshot/1" (DESIGN.md, "JSON snapshot";
// src/ukstack.snapshot-1.schema.json). Addresses, offsets and sizes are hex
// strings ("0x1f2"); absent optionals are null.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "base/result.h"
#include "src/snapshot.h"

namespace ukstack {

inline constexpr const char* kSnapshotSchema = "ukstack.snapshot/1";

nlohmann::json snapshot_to_json(const Snapshot& snapshot);

// The inverse of snapshot_to_json, for re-rendering a saved snapshot (--input).
// Never throws: a document that is not a ukstack.snapshot/1 gives an Error naming
// the offending field ("threads[0].kernel.frames[2].offset: expected a hex string").
Result<Snapshot> snapshot_from_json(const nlohmann::json& document);

// Pretty-printed (2 spaces) with a trailing newline. Bytes that are not valid
// UTF-8 (a thread name is any bytes) are written as U+FFFD.
std::string render_json(const Snapshot& snapshot);
// The same text, written to `out` a thread at a time (memory stays flat).
void write_json(const Snapshot& snapshot, std::ostream& out);

}  // namespace ukstack
