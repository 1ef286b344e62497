#include "procfs/kernel_stack.h"

#include "procfs/text.h"

namespace ukstack::procfs {

namespace {

// Old kernels end the list with the ULONG_MAX entry the unwinder stored.
constexpr std::string_view kTerminator = "0xffffffffffffffff";

// Kernel text lives in the upper half on x86-64. "[<0>]" (4.17+), zeros
// (kptr_restrict) and the 32-bit-looking hashed values of 4.15/4.16 are not real
// addresses, so they are not reported as one.
constexpr std::uint64_t kKernelHalf = 0xffff800000000000ULL;

Error bad_line(std::size_t number, std::string_view line, std::string_view why) {
  return Error{0, "kernel stack line " + std::to_string(number) + " " + std::string(why) + ": " +
                      text::quote(line)};
}

}  // namespace

Result<std::vector<KernelFrame>> parse_kernel_stack(std::string_view stack_text) {
  std::vector<KernelFrame> frames;
  std::size_t number = 0;
  for (std::string_view raw : text::lines(stack_text)) {
    ++number;
    std::string_view line = text::trim(raw);
    if (line.empty()) continue;

    // "[<addr>] "
    if (!line.starts_with("[<")) return bad_line(number, line, "does not start with '[<'");
    auto close = line.find(">]");
    if (close == std::string_view::npos) return bad_line(number, line, "has no '>]'");
    auto address = text::parse_hex(line.substr(2, close - 2));
    if (!address) return bad_line(number, line, "has a bad address");
    std::string_view symbol = text::trim(line.substr(close + 2));
    if (symbol.empty()) return bad_line(number, line, "has no symbol");
    if (symbol == kTerminator) continue;

    KernelFrame frame;
    if (*address >= kKernelHalf) frame.address = *address;

    // Optional " [module]" or, with CONFIG_STACKTRACE_BUILD_ID, " [module build-id]".
    if (symbol.back() == ']') {
      auto open = symbol.rfind(" [");
      if (open == std::string_view::npos) return bad_line(number, line, "has a bad module");
      std::string_view inside = symbol.substr(open + 2, symbol.size() - open - 3);
      frame.module = std::string(inside.substr(0, inside.find(' ')));
      if (frame.module.empty()) return bad_line(number, line, "has an empty module");
      symbol = symbol.substr(0, open);
    }

    // "name+0xoff/0xsize", or a bare "0x..." when the kernel found no symbol.
    auto plus = symbol.rfind('+');
    if (plus == std::string_view::npos) {
      if (!symbol.starts_with("0x") || !text::parse_hex(symbol)) {
        return bad_line(number, line, "is not 'name+0xoff/0xsize'");
      }
      frame.function = std::string(symbol);
    } else {
      std::string_view numbers = symbol.substr(plus + 1);
      auto slash = numbers.find('/');
      auto offset = text::parse_hex(numbers.substr(0, slash));
      auto size = slash == std::string_view::npos ? std::optional<std::uint64_t>(0)
                                                  : text::parse_hex(numbers.substr(slash + 1));
      if (plus == 0 || !offset || !size) {
        return bad_line(number, line, "is not 'name+0xoff/0xsize'");
      }
      frame.function = std::string(symbol.substr(0, plus));
      frame.offset = *offset;
      frame.size = *size;
    }
    frames.push_back(std::move(frame));
  }
  return frames;
}

}  // namespace ukstack::procfs
