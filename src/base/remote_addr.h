// An address in the target process. Never a local pointer, never a bare integer.
#pragma once

#include <compare>
#include <cstdint>

namespace ukstack {

class RemoteAddr {
 public:
  constexpr RemoteAddr() = default;
  constexpr explicit RemoteAddr(std::uint64_t value) : value_(value) {}
  constexpr std::uint64_t value() const { return value_; }
  constexpr RemoteAddr operator+(std::uint64_t n) const { return RemoteAddr(value_ + n); }
  constexpr RemoteAddr operator-(std::uint64_t n) const { return RemoteAddr(value_ - n); }
  constexpr std::uint64_t operator-(RemoteAddr other) const { return value_ - other.value_; }
  constexpr auto operator<=>(const RemoteAddr&) const = default;
  constexpr bool is_null() const { return value_ == 0; }

 private:
  std::uint64_t value_ = 0;
};

}  // namespace ukstack
