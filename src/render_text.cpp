#include "src/render_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <string_view>

#include "src/escape.h"

namespace ukstack {
namespace {

constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kDim = "\x1b[2m";
constexpr std::string_view kReset = "\x1b[0m";

class Writer {
 public:
  explicit Writer(const TextOptions& options) : options_(options) {}

  template <class... Args>
  void line(fmt::format_string<Args...> format, Args&&... args) {
    fmt::format_to(std::back_inserter(out_), format, std::forward<Args>(args)...);
    out_ += '\n';
  }

  // A whole line in a style (kBold, kDim) when colour is on.
  void styled_line(std::string_view style, std::string_view text) {
    if (options_.color) {
      line("{}{}{}", style, text, kReset);
    } else {
      line("{}", text);
    }
  }

  std::string take() { return std::move(out_); }

 private:
  const TextOptions& options_;
  std::string out_;
};

std::string_view state_name(std::string_view state) {
  if (state == "R") return "running";
  if (state == "S") return "sleeping";
  if (state == "D") return "uninterruptible sleep";
  if (state == "T") return "stopped";
  if (state == "t") return "tracing stop";
  if (state == "Z") return "zombie";
  if (state == "X") return "exited";
  if (state == "I") return "idle";
  if (state == "P") return "parked";
  return "";
}

// A command-line word, quoted when it would not read back as one word.
std::string shell_word(std::string_view word) {
  const std::string escaped = escape_for_terminal(word);
  if (!word.empty() && word.find_first_of(" '\"") == std::string_view::npos) return escaped;
  return fmt::format("'{}'", escaped);
}

// "accept" or "syscall 999" when the number has no name here.
std::string syscall_label(const SyscallInfo& syscall) {
  return syscall.name.empty() ? fmt::format("syscall {}", syscall.nr)
                              : escape_for_terminal(syscall.name);
}

// accept(3 → tcp 127.0.0.1:1337 LISTEN, 0x0, 0x0). Shown: the first three
// arguments, or up to the last file-descriptor argument when that is further.
std::string decode_syscall(const SyscallInfo& syscall) {
  std::size_t shown = 3;
  for (const FdDescription& fd : syscall.fds) {
    if (fd.arg >= 0) shown = std::max(shown, static_cast<std::size_t>(fd.arg) + 1);
  }
  shown = std::min(shown, syscall.args.size());
  std::string args;
  for (std::size_t i = 0; i < shown; ++i) {
    if (i > 0) args += ", ";
    auto fd = std::ranges::find_if(
        syscall.fds, [&](const FdDescription& d) { return d.arg >= 0 && std::size_t(d.arg) == i; });
    if (fd == syscall.fds.end()) {
      args += fmt::format("{:#x}", syscall.args[i]);
    } else {
      const std::string& what = fd->description.empty() ? fd->target : fd->description;
      args += what.empty() ? fmt::format("{}", fd->fd)
                           : fmt::format("{} → {}", fd->fd, escape_for_terminal(what));
    }
  }
  return fmt::format("{}({})", syscall_label(syscall), args);
}

std::string function_with_offset(const Frame& frame) {
  if (frame.function.empty()) return frame.pc ? fmt::format("?? {:#x}", *frame.pc) : "??";
  // An inlined call has no offset of its own: it shares its caller's pc.
  if (frame.inlined) return escape_for_terminal(frame.function);
  return fmt::format("{}+{:#x}", escape_for_terminal(frame.function), frame.offset);
}

void write_error(Writer& w, const Stack& stack) {
  if (stack.error) {
    w.line("    ({})", escape_for_terminal(*stack.error));
  } else if (stack.frames.empty()) {
    w.line("    (no frames)");
  }
}

void write_kernel(Writer& w, const Stack& stack) {
  w.line("  kernel ({}):", escape_for_terminal(stack.method.empty() ? "none" : stack.method));
  for (const Frame& frame : stack.frames) {
    std::string text = function_with_offset(frame);
    if (frame.module) text += fmt::format(" [{}]", escape_for_terminal(*frame.module));
    w.line("    {}", text);
  }
  write_error(w, stack);
}

void write_user(Writer& w, const Stack& stack) {
  w.line("  user ({}):", escape_for_terminal(stack.method.empty() ? "none" : stack.method));
  for (std::size_t i = 0; i < stack.frames.size(); ++i) {
    const Frame& frame = stack.frames[i];
    std::string text = fmt::format("#{:<2} {}", i, function_with_offset(frame));
    if (frame.module) text += fmt::format(" ({})", escape_for_terminal(*frame.module));
    if (frame.file) {
      text += ' ' + escape_for_terminal(*frame.file);
      if (frame.line) text += fmt::format(":{}", *frame.line);
    }
    if (frame.inlined) text += " (inlined)";
    w.line("    {}", text);
  }
  write_error(w, stack);
}

void write_thread(Writer& w, const Thread& thread) {
  std::string header =
      fmt::format("Thread {} \"{}\" state {}", thread.tid, escape_for_terminal(thread.name),
                  escape_for_terminal(thread.state));
  if (auto name = state_name(thread.state); !name.empty()) header += fmt::format(" ({})", name);
  if (!thread.wchan.empty() && thread.wchan != "0") {
    header += fmt::format(" wchan {}", escape_for_terminal(thread.wchan));
  }
  w.styled_line(kBold, header);

  const bool in_syscall = thread.syscall && thread.syscall->nr >= 0;
  if (in_syscall) {
    w.line("  {}", decode_syscall(*thread.syscall));
  } else if (thread.state == "R") {
    w.line("  running (not in a system call)");
  } else if (thread.state != "X") {
    w.line("  not in a system call");
  }

  write_kernel(w, thread.kernel);
  if (in_syscall) {
    const SyscallInfo& syscall = *thread.syscall;
    w.styled_line(kDim, fmt::format("  ── system call {} ──",
                                    syscall.name.empty() ? std::to_string(syscall.nr)
                                                         : escape_for_terminal(syscall.name)));
  } else {
    w.styled_line(kDim, "  ── user/kernel boundary ──");
  }
  write_user(w, thread.user);
  for (const std::string& note : thread.notes) w.line("  note: {}", escape_for_terminal(note));
}

}  // namespace

std::string render_text(const Snapshot& snapshot, const TextOptions& options) {
  Writer w(options);
  const ProcessInfo& process = snapshot.process;
  std::string header = fmt::format("PID {} ({})", process.pid, escape_for_terminal(process.name));
  if (!process.exe.empty()) header += ' ' + escape_for_terminal(process.exe);
  header += fmt::format(" — {}, {}, kernel {} {}", escape_for_terminal(snapshot.source),
                        escape_for_terminal(snapshot.captured_at),
                        escape_for_terminal(snapshot.kernel), escape_for_terminal(snapshot.arch));
  w.line("{}", header);
  if (!process.cmdline.empty()) {
    std::string words;
    for (const std::string& word : process.cmdline) {
      if (!words.empty()) words += ' ';
      words += shell_word(word);
    }
    w.line("cmdline: {}", words);
  }
  for (const Thread& thread : snapshot.threads) {
    w.line("");
    write_thread(w, thread);
  }
  return w.take();
}

}  // namespace ukstack
