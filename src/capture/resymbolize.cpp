#include "capture/resymbolize.h"

#include <iterator>
#include <memory>
#include <utility>

#include "capture/thread_builder.h"
#include "unwind/build_id_symbolizer.h"

namespace ukstack {

namespace {

using unwind::BuildIdSymbolizer;

// Every frame that can be looked up: threads' user halves, goroutines, created_by.
template <class Fn>
void for_each_user_frames(std::vector<Snapshot>& snapshots, Fn&& fn) {
  for (Snapshot& snapshot : snapshots) {
    for (Thread& thread : snapshot.threads) fn(thread.user.frames, true);
    for (Goroutine& goroutine : snapshot.goroutines) {
      fn(goroutine.stack.frames, true);
      if (goroutine.created_by) {
        std::vector<Frame> one{std::move(*goroutine.created_by)};
        fn(one, false);  // the go statement's return address: a caller's pc
        goroutine.created_by = std::move(one.back());
      }
    }
  }
}

bool can_look_up(const Frame& frame) {
  return frame.build_id && frame.module_offset && frame.module;
}

// What the lookup gives that the frame lacked: a name, or a source line.
bool better(const Frame& old_frame, const Frame& new_frame) {
  if (new_frame.function.empty()) return false;
  if (old_frame.function.empty()) return true;
  return !old_frame.line && new_frame.line;
}

class Pass {
 public:
  explicit Pass(BuildIdSymbolizer& symbolizer) : symbolizer_(symbolizer) {}

  // `stack`: the frames are a stack, innermost first (its first physical frame is
  // the innermost, looked up at its pc); else one caller frame.
  void run(std::vector<Frame>& frames, bool stack) {
    std::vector<Frame> out;
    out.reserve(frames.size());
    std::size_t group_start = 0;
    bool first_physical = true;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      if (frames[i].inlined && i + 1 < frames.size()) continue;  // its physical frame ends it
      auto group_begin = frames.begin() + static_cast<std::ptrdiff_t>(group_start);
      auto group_end = frames.begin() + static_cast<std::ptrdiff_t>(i + 1);
      group_start = i + 1;
      // As a capture looks frames up (unwind/symbolizer.h): the innermost at its pc,
      // a caller's return address one byte earlier. A signal frame's caller loses
      // that distinction in the snapshot and is looked up as a caller.
      const Frame& physical = frames[i];
      const bool is_activation =
          physical.found_by ? physical.found_by == FoundBy::Context : stack && first_physical;
      first_physical = false;
      std::vector<Frame> looked_up;
      if (can_look_up(physical)) looked_up = look_up(physical, is_activation);
      if (!looked_up.empty() && better(physical, looked_up.back())) {
        ++counts_.improved;
        std::move(looked_up.begin(), looked_up.end(), std::back_inserter(out));
      } else {
        std::move(group_begin, group_end, std::back_inserter(out));
      }
    }
    frames = std::move(out);
  }

  const ResymbolizeCounts& counts() const { return counts_; }

 private:
  std::vector<Frame> look_up(const Frame& physical, bool is_activation) {
    ++counts_.frames;
    const BuildIdSymbolizer::Module module{*physical.module, *physical.build_id};
    std::vector<Frame> frames;
    for (auto& found : symbolizer_.describe(module, *physical.module_offset, is_activation)) {
      Frame frame = to_frame(std::move(found));
      frame.pc = physical.pc;  // not the module's made-up place in the lookup
      frame.found_by = physical.found_by;
      frames.push_back(std::move(frame));
    }
    return frames;
  }

  BuildIdSymbolizer& symbolizer_;
  ResymbolizeCounts counts_;
};

}  // namespace

Result<ResymbolizeCounts> resymbolize(std::vector<Snapshot>& snapshots,
                                      const unwind::UnwindOptions& options) {
  std::vector<BuildIdSymbolizer::Module> modules;
  for_each_user_frames(snapshots, [&](std::vector<Frame>& frames, bool) {
    for (const Frame& frame : frames) {
      if (can_look_up(frame) && !frame.inlined) modules.push_back({*frame.module, *frame.build_id});
    }
  });
  if (modules.empty()) return ResymbolizeCounts{};
  auto symbolizer = BuildIdSymbolizer::open(modules, options);
  if (!symbolizer) return symbolizer.error();
  Pass pass(**symbolizer);
  for_each_user_frames(snapshots,
                       [&](std::vector<Frame>& frames, bool stack) { pass.run(frames, stack); });
  return pass.counts();
}

}  // namespace ukstack
