#include "unwind/frame_collector.h"

#include <dwarf.h>

#include <set>
#include <string_view>

namespace ukstack::unwind {

namespace {

// The Go runtime's functions that begin a stack or switch to another one: Go's own
// traceback stops at them, and what CFI finds past them is not a caller.
// runtime.asmcgocall runs C on the thread's g0 stack: the Go frames that called it
// are on the goroutine's stack, shown with the goroutine (from its syscallsp).
// (The Symbolizer has already dropped Go's ".abi0" from the names.)
bool is_stack_top(const std::string& function) {
  static const std::set<std::string, std::less<>> kGoStackTops = {
      "runtime.goexit", "runtime.mstart",    "runtime.rt0_go",
      "runtime.mcall",  "runtime.morestack", "runtime.asmcgocall"};
  return kGoStackTops.contains(function);
}

}  // namespace

int FrameCollector::on_frame(Dwfl_Frame* state, void* self) {
  auto* collector = static_cast<FrameCollector*>(self);
  Dwarf_Addr pc = 0;
  bool is_activation = false;
  if (!dwfl_frame_pc(state, &pc, &is_activation)) return -1;
  collector->pcs_.emplace_back(pc, is_activation);
  if (is_stack_top(collector->symbolizer_.lookup(pc, is_activation).function)) {
    collector->reached_stack_top_ = true;
    return DWARF_CB_ABORT;
  }
  if (collector->pcs_.size() >= collector->max_frames_) {
    collector->truncated_ = true;
    return DWARF_CB_ABORT;
  }
  return DWARF_CB_OK;
}

UnwoundStack FrameCollector::stack(const std::optional<std::string>& unwind_error) const {
  UnwoundStack stack;
  for (std::size_t i = 0; i < pcs_.size(); ++i) {
    const auto& [pc, is_activation] = pcs_[i];
    FoundBy found_by = FoundBy::Context;
    if (i > 0) {
      const auto& [callee_pc, callee_is_activation] = pcs_[i - 1];
      found_by = provenance_.caller_found_by(callee_is_activation ? callee_pc : callee_pc - 1);
    }
    append_frames(symbolizer_.lookup(pc, is_activation), pc, is_activation, stack.frames, found_by);
  }
  if (truncated_) {
    stack.error = "stack deeper than " + std::to_string(max_frames_) + " frames; cut there";
  } else if (!reached_stack_top_ && unwind_error) {
    // A short stack, not a failure: the frames found so far are kept.
    stack.error = "unwind stopped: " + *unwind_error;
  }
  return stack;
}

}  // namespace ukstack::unwind
