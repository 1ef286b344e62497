// Formatting shared by the capture, the model and the renderers: one spelling of an
// address and of a moment everywhere.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace ukstack {

// "0x7f12ab": lower-case hex with the prefix, as addresses appear in JSON and text.
std::string hex(std::uint64_t value);

// RFC 3339 in UTC, to the second: "2026-12-01T14:46:32Z".
std::string rfc3339_utc(std::time_t when);

}  // namespace ukstack
