// What libdw's frame callback gathers while it walks one thread's frames, and the
// stack made of it afterwards: shared by the live libdw backend
// (dwfl_getthread_frames) and core files (dwfl_thread_getframes).
#pragma once

#include <elfutils/libdwfl.h>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "unwind/cfi_rules.h"
#include "unwind/symbolizer.h"
#include "unwind/unwinder.h"

namespace ukstack::unwind {

class FrameCollector {
 public:
  FrameCollector(Symbolizer& symbolizer, CfiProvenance& provenance, std::size_t max_frames)
      : symbolizer_(symbolizer), provenance_(provenance), max_frames_(max_frames) {}

  // libdw's per-frame callback; `self` is the FrameCollector. Never throws.
  static int on_frame(Dwfl_Frame* state, void* self);

  // The symbolized frames (each saying how it was found), and why the walk ended early: deeper than
  // max_frames, or `unwind_error` (libdw's message when the walk returned -1) unless the walk
  // reached a stack top. A walk that ends with an error keeps its frames.
  UnwoundStack stack(const std::optional<std::string>& unwind_error) const;

  // (pc, is_activation) of each physical frame, innermost first.
  const std::vector<std::pair<Dwarf_Addr, bool>>& pcs() const { return pcs_; }
  // The walk stopped at a function that never has a caller (Go's stack tops).
  bool reached_stack_top() const { return reached_stack_top_; }

 private:
  Symbolizer& symbolizer_;
  CfiProvenance& provenance_;
  std::size_t max_frames_;
  std::vector<std::pair<Dwarf_Addr, bool>> pcs_;
  bool truncated_ = false;
  bool reached_stack_top_ = false;
};

}  // namespace ukstack::unwind
