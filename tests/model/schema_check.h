// Checks a document against the ukstack.snapshot/2 JSON Schema (or /1) with
// Debian's python3-jsonschema (/usr/bin/python3, not a pyenv python that may lack it).
#pragma once

#include <string>

namespace ukstack::testing {

// The schema file to check against: what ukstack writes today (/2), or /1, which
// older versions wrote and which still loads.
enum class SchemaVersion { Current, V1 };

// "" when json_text is valid against the schema (UKSTACK_SCHEMA, or UKSTACK_SCHEMA_V1);
// otherwise the validator's explanation (one line per violation, "path: message"),
// or why it could not run.
std::string validate_against_schema(const std::string& json_text,
                                    SchemaVersion version = SchemaVersion::Current);

}  // namespace ukstack::testing
