#include "base/result.h"

#include <cstring>

namespace ukstack {

Error Error::from_errno(int err, std::string what) {
  return Error{err, std::move(what) + ": " + std::strerror(err)};
}

}  // namespace ukstack
