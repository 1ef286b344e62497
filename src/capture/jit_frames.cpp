#include "capture/jit_frames.h"

#include <algorithm>

namespace ukstack {

namespace {

const procfs::Mapping* mapping_at(const std::vector<procfs::Mapping>& maps, std::uint64_t address) {
  auto after = std::upper_bound(maps.begin(), maps.end(), address,
                                [](std::uint64_t value, const procfs::Mapping& mapping) {
                                  return value < mapping.start.value();
                                });
  if (after == maps.begin()) return nullptr;
  const procfs::Mapping& mapping = *std::prev(after);
  return address < mapping.end.value() ? &mapping : nullptr;
}

bool is_file(const std::string& path) { return !path.empty() && path.front() == '/'; }

// Decided by the process's own map, not by the frame's module: libdw gives a module
// every address from its first mapping to its last, and Node.js maps its text far
// above the rest of the executable, so JIT code in between shows as the executable's.
bool in_unnamed_jit_code(const Frame& frame, const std::vector<procfs::Mapping>& maps) {
  if (frame.language != FrameLanguage::Native || !frame.pc || !frame.function.empty()) {
    return false;
  }
  if (const procfs::Mapping* mapping = mapping_at(maps, *frame.pc)) {
    return mapping->perms.size() > 2 && mapping->perms[2] == 'x' && !is_file(mapping->path);
  }
  // Mapped since the maps were read: the unwinder found no file there either.
  return !frame.module || !is_file(*frame.module);
}

}  // namespace

bool has_unnamed_jit_code(const Thread& thread, const std::vector<procfs::Mapping>& maps) {
  return std::ranges::any_of(thread.user.frames,
                             [&](const Frame& frame) { return in_unnamed_jit_code(frame, maps); });
}

void name_jit_frames(Thread& thread, const TargetPerfMap& perf_map,
                     const std::vector<procfs::Mapping>& maps) {
  bool any = false;
  const procfs::PerfMap* map = perf_map.map();
  for (std::size_t i = 0; i < thread.user.frames.size(); ++i) {
    Frame& frame = thread.user.frames[i];
    if (!in_unnamed_jit_code(frame, maps)) continue;
    any = true;
    if (map == nullptr) continue;
    // A caller's pc is its return address, which may be the first byte after its
    // code: look up the call instruction (pc - 1), as for ELF symbols.
    const bool innermost = i == 0 || frame.found_by == FoundBy::Context;
    auto symbol = map->lookup(innermost ? *frame.pc : *frame.pc - 1);
    if (!symbol) continue;
    frame.function = std::string(symbol->name);
    frame.offset = *frame.pc - symbol->start;
    frame.language = FrameLanguage::Jit;
    frame.module.reset();
    frame.build_id.reset();
    frame.module_offset.reset();
  }
  if (!any) return;
  if (std::string problem = perf_map.problem(); !problem.empty()) {
    thread.notes.push_back(std::move(problem));
  }
}

}  // namespace ukstack
