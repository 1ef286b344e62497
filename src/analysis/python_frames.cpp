#include "analysis/python_frames.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace ukstack {

namespace {

bool is_python(const Frame& frame) { return frame.language == FrameLanguage::Python; }

// The first frame of the inline group that ends with the physical frame at `i`:
// inlined frames come before (inside) the frame they were inlined into.
std::size_t inline_group_start(const std::vector<Frame>& frames, std::size_t i) {
  while (i > 0 && frames[i - 1].inlined) --i;
  return i;
}

}  // namespace

bool is_eval_loop_frame(const Frame& frame) {
  return frame.language == FrameLanguage::Native && !frame.inlined &&
         frame.function == "_PyEval_EvalFrameDefault";
}

bool is_interpreter_machinery(const Frame& frame) {
  if (frame.language != FrameLanguage::Native) return false;
  // CPython's call paths (3.9-3.13): the public and private API, the vectorcall
  // trampolines of each kind of callable, the eval loop's helpers. GCC's clones
  // keep their prefix ("cfunction_vectorcall_O.lto_priv.0").
  static constexpr std::array<std::string_view, 12> kPrefixes{"_Py",
                                                              "Py",
                                                              "cfunction_",
                                                              "method_vectorcall",
                                                              "vectorcall",
                                                              "object_vacall",
                                                              "slot_tp_",
                                                              "wrapper_call",
                                                              "wrapperdescr_call",
                                                              "call_function",
                                                              "do_call_core",
                                                              "function_code_fastcall"};
  const std::string_view name = frame.function;
  return std::ranges::any_of(kPrefixes,
                             [&](std::string_view prefix) { return name.starts_with(prefix); });
}

std::vector<std::string> merge_python_frames(Stack& user,
                                             std::span<const std::vector<Frame>> runs) {
  std::vector<std::string> notes;
  if (runs.empty()) return notes;
  std::vector<Frame> merged;
  merged.reserve(user.frames.size() + runs.size() * 4);
  std::size_t run = 0;
  std::size_t group_start = 0;  // in `merged`: where the current inline group began
  for (Frame& frame : user.frames) {
    if (merged.empty() || !merged.back().inlined) group_start = merged.size();
    if (is_eval_loop_frame(frame) && run < runs.size()) {
      // Inside the eval frame and the calls inlined into it.
      merged.insert(merged.begin() + static_cast<std::ptrdiff_t>(group_start), runs[run].begin(),
                    runs[run].end());
      ++run;
    }
    merged.push_back(std::move(frame));
  }
  if (run < runs.size()) {
    std::size_t left = 0;
    for (; run < runs.size(); ++run) {
      merged.insert(merged.end(), runs[run].begin(), runs[run].end());
      left += runs[run].size();
    }
    notes.push_back(std::to_string(left) +
                    " Python frames have no eval-loop frame in the native stack (its unwind "
                    "ended early): they are shown after it");
  }
  user.frames = std::move(merged);
  return notes;
}

const Frame* c_function_called_from_python(const Stack& user) {
  const auto first_python = std::ranges::find_if(user.frames, is_python);
  if (first_python == user.frames.end()) return nullptr;
  for (auto frame = std::make_reverse_iterator(first_python); frame != user.frames.rend();
       ++frame) {
    if (!is_interpreter_machinery(*frame)) return &*frame;
  }
  return nullptr;
}

void hide_native_frames(Snapshot& snapshot) {
  for (Thread& thread : snapshot.threads) {
    std::vector<Frame>& frames = thread.user.frames;
    if (std::ranges::none_of(frames, is_python)) continue;
    std::vector<Frame> kept;
    std::size_t block_start = 0;  // the native frames since the last Python frame
    for (std::size_t i = 0; i < frames.size(); ++i) {
      if (!is_python(frames[i])) continue;
      // The C function this Python frame called: the outermost native frame of the
      // block above it that is not machinery, with the calls inlined into it.
      for (std::size_t j = i; j > block_start; --j) {
        if (is_interpreter_machinery(frames[j - 1])) continue;
        if (frames[j - 1].inlined) continue;
        const std::size_t start = inline_group_start(frames, j - 1);
        if (start >= block_start) {
          kept.insert(kept.end(), frames.begin() + static_cast<std::ptrdiff_t>(start),
                      frames.begin() + static_cast<std::ptrdiff_t>(j));
        }
        break;
      }
      kept.push_back(frames[i]);
      block_start = i + 1;
    }
    frames = std::move(kept);
  }
}

}  // namespace ukstack
