#include "unwind/python_objects.h"

#include <cstring>
#include <span>

#include "base/format.h"

namespace ukstack::unwind {

namespace {

void append_utf8(std::string& out, std::uint32_t code_point) {
  if (code_point > 0x10ffff || (code_point >= 0xd800 && code_point <= 0xdfff)) {
    code_point = 0xfffd;  // a lone surrogate or no character: the replacement character
  }
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xc0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xe0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  }
}

Status check_type(const AddressSpace& memory, const PythonLayout& layout, RemoteAddr object,
                  std::optional<RemoteAddr> type, const char* what) {
  if (!type) return {};
  auto found = read_remote_pointer(memory, object + layout.object_type);
  if (!found) return found.error();
  if (*found != *type)
    return Error{0, "the object at " + hex(object.value()) + " is not a " + what};
  return {};
}

}  // namespace

Result<RemoteAddr> read_remote_pointer(const AddressSpace& memory, RemoteAddr addr) {
  auto value = memory.read_value<std::uint64_t>(addr);
  if (!value) return Error{value.error().errnum, "cannot read memory at " + hex(addr.value())};
  return RemoteAddr(*value);
}

Result<std::string> read_python_str(const AddressSpace& memory, const PythonLayout& layout,
                                    RemoteAddr object, std::optional<RemoteAddr> str_type) {
  if (object.is_null()) return Error{0, "a null str"};
  // The header, up to the end of the larger (non-ASCII) compact header, in one read.
  std::vector<std::byte> header(layout.compact_size);
  if (auto read = memory.read(object, header); !read || *read < layout.ascii_size) {
    return Error{0, "cannot read the str at " + hex(object.value())};
  }
  if (str_type && RemoteAddr(load_at<std::uint64_t>(header, layout.object_type)) != *str_type) {
    return Error{0, "the object at " + hex(object.value()) + " is not a str"};
  }
  const auto length = load_at<std::int64_t>(header, layout.unicode_length);
  const auto state = load_at<std::uint32_t>(header, layout.unicode_state);
  const unsigned kind = (state >> 2) & 7;
  const bool compact = ((state >> 5) & 1) != 0;
  const bool ascii = ((state >> 6) & 1) != 0;
  if (length < 0 || static_cast<std::uint64_t>(length) > kMaxPythonString) {
    return Error{0, "the str at " + hex(object.value()) + " claims " + std::to_string(length) +
                        " characters: taken for corrupted memory"};
  }
  if (!compact || (kind != 1 && kind != 2 && kind != 4) || (ascii && kind != 1)) {
    return Error{0, "the str at " + hex(object.value()) + " is not a compact string ukstack reads"};
  }
  const std::size_t count = static_cast<std::size_t>(length);
  std::vector<std::byte> data(count * kind);
  const RemoteAddr start = object + (ascii ? layout.ascii_size : layout.compact_size);
  if (auto read = memory.read_exact(start, data); !read) {
    return Error{0, "cannot read the characters of the str at " + hex(object.value())};
  }
  std::string text;
  text.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t code_point = 0;
    if (kind == 1) code_point = load_at<std::uint8_t>(data, i);
    if (kind == 2) code_point = load_at<std::uint16_t>(data, i * 2);
    if (kind == 4) code_point = load_at<std::uint32_t>(data, i * 4);
    if (ascii && code_point >= 0x80) {
      return Error{0, "the ASCII str at " + hex(object.value()) + " holds a byte beyond ASCII"};
    }
    append_utf8(text, code_point);
  }
  return text;
}

Result<std::vector<std::uint8_t>> read_python_bytes(const AddressSpace& memory,
                                                    const PythonLayout& layout, RemoteAddr object,
                                                    std::size_t max_size,
                                                    std::optional<RemoteAddr> bytes_type) {
  if (object.is_null()) return Error{0, "a null bytes object"};
  if (auto typed = check_type(memory, layout, object, bytes_type, "bytes object"); !typed) {
    return typed.error();
  }
  auto size = memory.read_value<std::int64_t>(object + layout.bytes_size);
  if (!size) return Error{0, "cannot read the bytes object at " + hex(object.value())};
  if (*size < 0 || static_cast<std::uint64_t>(*size) > max_size) {
    return Error{0, "the bytes object at " + hex(object.value()) + " claims " +
                        std::to_string(*size) + " bytes: taken for corrupted memory"};
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(*size));
  if (auto read =
          memory.read_exact(object + layout.bytes_data, std::as_writable_bytes(std::span(bytes)));
      !read) {
    return Error{0, "cannot read the contents of the bytes object at " + hex(object.value())};
  }
  return bytes;
}

}  // namespace ukstack::unwind
