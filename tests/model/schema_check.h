// Checks a document against the ukstack.snapshot/1 JSON Schema with Debian's
// python3-jsonschema (/usr/bin/python3, not a pyenv python that may lack it).
#pragma once

#include <string>

namespace ukstack::testing {

// "" when json_text is valid against UKSTACK_SCHEMA; otherwise the validator's
// explanation (one line per violation, "path: message"), or why it could not run.
std::string validate_against_schema(const std::string& json_text);

}  // namespace ukstack::testing
