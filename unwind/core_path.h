// A core file as the core readers open it and as messages name it. The two are
// the same path, unless the core was decompressed or read from standard input into
// a memory file (/proc/self/fd/N) that messages still call by the name the user gave.
#pragma once

#include <string>
#include <utility>

namespace ukstack::unwind {

struct CorePath {
  // A core read where it is: opened and named by this path. Implicit, so a plain
  // path can be passed wherever a CorePath is taken.
  CorePath(std::string path) : open(path), shown(std::move(path)) {}  // NOLINT
  CorePath(const char* path) : CorePath(std::string(path)) {}         // NOLINT
  CorePath(std::string open_path, std::string shown_name)
      : open(std::move(open_path)), shown(std::move(shown_name)) {}

  std::string open;   // what is opened
  std::string shown;  // what messages say
};

}  // namespace ukstack::unwind
