// Names for addresses of modules known only by path and build-id, as a saved
// snapshot records them (--resymbolize): the same Symbolizer as a capture, over
// modules whose files are found on this machine by build-id (DwflSession::
// open_build_ids). Nothing here reads a process.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "unwind/symbolizer.h"
#include "unwind/unwinder.h"

namespace ukstack::unwind {

class DwflSession;

class BuildIdSymbolizer {
 public:
  struct Module {
    std::string path;      // as the capturing machine named it
    std::string build_id;  // lower-case hex
  };

  // The modules to look up, each once; a build-id that is not hex is left out.
  static Result<std::unique_ptr<BuildIdSymbolizer>> open(const std::vector<Module>& modules,
                                                         const UnwindOptions& options);

  // The frames one physical frame shows (its inlined calls, then its function), as a
  // capture gives them, for the address `module_offset` in the module's ELF file;
  // `is_activation` false for a return address (looked up one byte earlier). pc is
  // the made-up place the module has here: the caller keeps its own. Empty when the
  // module is not one of open's, or this machine has no file with its build-id.
  std::vector<UnwoundFrame> describe(const Module& module, std::uint64_t module_offset,
                                     bool is_activation);

  ~BuildIdSymbolizer();
  BuildIdSymbolizer(const BuildIdSymbolizer&) = delete;
  BuildIdSymbolizer& operator=(const BuildIdSymbolizer&) = delete;

 private:
  BuildIdSymbolizer(std::unique_ptr<DwflSession> session, bool inlines,
                    std::map<std::pair<std::string, std::string>, std::size_t> indices);

  std::unique_ptr<DwflSession> session_;
  Symbolizer symbolizer_;
  std::map<std::pair<std::string, std::string>, std::size_t> indices_;  // (build-id, path)
};

}  // namespace ukstack::unwind
