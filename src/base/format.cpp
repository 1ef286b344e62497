#include "base/format.h"

#include <cstdio>

namespace ukstack {

std::string hex(std::uint64_t value) {
  char text[2 + 16 + 1];
  std::snprintf(text, sizeof text, "%#llx", static_cast<unsigned long long>(value));
  return value == 0 ? "0x0" : text;
}

std::string rfc3339_utc(std::time_t when) {
  std::tm utc{};
  gmtime_r(&when, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace ukstack
