#include "render/folded.h"

#include <cstdint>
#include <map>
#include <string_view>

#include "render/escape.h"
#include "render/profile_weight.h"

namespace ukstack {

namespace {

// A name from the target as one frame: escaped, with ';' (the frame separator)
// written in the escape's own \xNN form.
std::string frame_text(std::string_view name) {
  std::string out;
  for (char c : escape_for_terminal(name)) {
    if (c == ';') {
      out += "\\x3b";
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view file_name(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string user_frame(const Frame& frame) {
  std::string text;
  if (frame.language == FrameLanguage::Python) {
    // As py-spy folds them: "function (file.py:line)".
    text = frame.function.empty() ? std::string("[unknown]") : frame_text(frame.function);
    if (frame.file) {
      text += " (" + frame_text(file_name(*frame.file));
      if (frame.line) text += ":" + std::to_string(*frame.line);
      text += ")";
    }
    return text;
  }
  if (!frame.function.empty()) {
    text = frame_text(frame.function);
  } else if (frame.module && !frame.module->empty()) {
    text = "[" + frame_text(file_name(*frame.module)) + "]";
  } else {
    text = "[unknown]";
  }
  if (frame.inlined) text += "_[i]";
  if (frame.language == FrameLanguage::Jit) text += "_[j]";  // as perf marks JIT code
  return text;
}

std::string kernel_frame(const Frame& frame) {
  return (frame.function.empty() ? std::string("[unknown]") : frame_text(frame.function)) + "_[k]";
}

std::string folded_stack(const Thread& thread) {
  std::string stack = thread.name.empty() ? std::string("[unknown]") : frame_text(thread.name);
  for (auto frame = thread.user.frames.rbegin(); frame != thread.user.frames.rend(); ++frame) {
    stack += ';';
    stack += user_frame(*frame);
  }
  for (auto frame = thread.kernel.frames.rbegin(); frame != thread.kernel.frames.rend(); ++frame) {
    stack += ';';
    stack += kernel_frame(*frame);
  }
  return stack;
}

}  // namespace

std::string render_folded(std::span<const Snapshot> snapshots) {
  std::map<std::string, std::int64_t> counts;  // sorted, as stackcollapse-perf.pl sorts
  for (const Snapshot& snapshot : snapshots) {
    for (const Thread& thread : snapshot.threads) {
      if (in_profile(thread)) counts[folded_stack(thread)] += sample_weight(snapshot, thread);
    }
  }
  std::string out;
  for (const auto& [stack, count] : counts) {
    out += stack;
    out += ' ';
    out += std::to_string(count);
    out += '\n';
  }
  return out;
}

}  // namespace ukstack
