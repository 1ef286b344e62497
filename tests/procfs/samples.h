// Reads a text sample from fixtures/procfs/.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <ostream>
#include <sstream>
#include <string>

#include "base/remote_addr.h"

namespace ukstack {
// So a failed EXPECT_EQ shows "0x7ffd..." rather than raw bytes.
inline void PrintTo(const RemoteAddr& addr, std::ostream* out) {
  *out << "0x" << std::hex << addr.value() << std::dec;
}
}  // namespace ukstack

namespace ukstack::procfs::testing {

inline std::string sample(const std::string& name) {
  std::ifstream in(std::string(UKSTACK_PROCFS_SAMPLES) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing sample " << name;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace ukstack::procfs::testing
