#include "render/escape.h"

namespace ukstack {
namespace {

void append_hex_byte(std::string& out, unsigned char byte) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += "\\x";
  out += kDigits[byte >> 4];
  out += kDigits[byte & 0xf];
}

// Length of the valid UTF-8 sequence starting at text[i] (2..4) and its code
// point, or 0 when the bytes there are not one (bad lead, truncated, overlong,
// surrogate, beyond U+10FFFF).
std::size_t decode_utf8(std::string_view text, std::size_t i, char32_t& code_point) {
  const auto lead = static_cast<unsigned char>(text[i]);
  std::size_t length = 0;
  char32_t value = 0;
  char32_t minimum = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2, value = lead & 0x1fu, minimum = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3, value = lead & 0x0fu, minimum = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4, value = lead & 0x07u, minimum = 0x10000;
  } else {
    return 0;
  }
  if (text.size() - i < length) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto byte = static_cast<unsigned char>(text[i + k]);
    if ((byte & 0xc0) != 0x80) return 0;
    value = (value << 6) | (byte & 0x3fu);
  }
  if (value < minimum || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return 0;
  code_point = value;
  return length;
}

bool is_unsafe_code_point(char32_t c) {
  return (c >= 0x80 && c <= 0x9f) ||      // C1 controls
         (c >= 0x202a && c <= 0x202e) ||  // bidi embeddings and overrides
         (c >= 0x2066 && c <= 0x2069);    // bidi isolates
}

}  // namespace

std::string escape_for_terminal(std::string_view text) {
  // Fast path: printable ASCII other than '\\' passes through unchanged; most
  // names are nothing else, so copy the clean prefix in one go.
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte >= 0x7f || byte == '\\') break;
    ++i;
  }
  if (i == text.size()) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  out.append(text.data(), i);
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7f) {
      if (byte == '\\') out += '\\';
      out += static_cast<char>(byte);
      ++i;
    } else if (byte == '\n') {
      out += "\\n";
      ++i;
    } else if (byte == '\t') {
      out += "\\t";
      ++i;
    } else if (byte < 0x80) {  // other C0 controls and DEL
      append_hex_byte(out, byte);
      ++i;
    } else {
      char32_t code_point = 0;
      const std::size_t length = decode_utf8(text, i, code_point);
      if (length == 0) {  // not UTF-8: escape this byte, resynchronise at the next
        append_hex_byte(out, byte);
        ++i;
      } else {
        for (std::size_t k = 0; k < length; ++k) {
          const auto b = static_cast<unsigned char>(text[i + k]);
          if (is_unsafe_code_point(code_point)) {
            append_hex_byte(out, b);
          } else {
            out += static_cast<char>(b);
          }
        }
        i += length;
      }
    }
  }
  return out;
}

}  // namespace ukstack
