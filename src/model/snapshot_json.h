// The JSON snapshot, schema "ukstack.snapshot/2" (DESIGN.md, "JSON snapshot";
// src/model/ukstack.snapshot-2.schema.json), both ways; "ukstack.snapshot/1"
// documents still load. Addresses, offsets and sizes are hex strings ("0x1f2");
// absent optionals are null.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "base/result.h"
#include "model/snapshot.h"

namespace ukstack {

inline constexpr const char* kSnapshotSchema = "ukstack.snapshot/2";    // written and read
inline constexpr const char* kSnapshotSchemaV1 = "ukstack.snapshot/1";  // read only

nlohmann::json snapshot_to_json(const Snapshot& snapshot);
// Several processes captured in one run (ukstack PID PID...): an array of their
// snapshots, in the order given; one snapshot is its object alone, as above.
nlohmann::json snapshots_to_json(const std::vector<Snapshot>& snapshots);

// The inverse of snapshot_to_json, for re-rendering a saved snapshot (--input).
// Never throws: a document that is not a ukstack.snapshot/2 (or /1) gives an Error
// naming the offending field ("threads[0].kernel.frames[2].offset: expected a hex
// string"). A /1 document loads with /2's fields empty (no engine, groups,
// deadlocks, samples, waits or progress).
Result<Snapshot> snapshot_from_json(const nlohmann::json& document);
// The inverse of snapshots_to_json: one snapshot object, or a non-empty array of
// them (errors name the item: "[1].threads[0].tid: ...").
Result<std::vector<Snapshot>> snapshots_from_json(const nlohmann::json& document);

// The same document in the schema's field order, in pieces, for writers that
// stream a thread (or goroutine) at a time: everything but the threads and the
// goroutines ("threads": [], "goroutines": []), and one thread or goroutine.
nlohmann::ordered_json snapshot_outline_to_json(const Snapshot& snapshot);
nlohmann::ordered_json thread_to_ordered_json(const Thread& thread);
nlohmann::ordered_json goroutine_to_ordered_json(const Goroutine& goroutine);

}  // namespace ukstack
