// CachedAddressSpace gives what the memory under it gives: across pages, at the
// end of what is readable, and in regions that do not start on a page.
#include "unwind/cached_address_space.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "unwind/fake_address_space.h"

namespace ukstack::unwind {
namespace {

std::vector<std::byte> pattern(std::size_t size, unsigned seed) {
  std::vector<std::byte> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::byte>((i * 7 + seed) & 0xff);
  return bytes;
}

// Counts the reads that reach the memory under the cache.
class CountingAddressSpace final : public AddressSpace {
 public:
  explicit CountingAddressSpace(const AddressSpace& memory) : memory_(memory) {}
  Result<std::size_t> read(RemoteAddr addr, std::span<std::byte> out) const override {
    ++reads;
    return memory_.read(addr, out);
  }
  mutable int reads = 0;

 private:
  const AddressSpace& memory_;
};

TEST(CachedAddressSpace, ReadsAcrossPagesAsTheMemoryDoesAndOncePerPage) {
  FakeAddressSpace fake;
  const auto bytes = pattern(3 * 4096, 1);
  fake.add(RemoteAddr(0x10000), bytes);
  CountingAddressSpace counting(fake);
  CachedAddressSpace cached(counting);
  std::vector<std::byte> out(5000);
  auto read = cached.read(RemoteAddr(0x10000 + 100), out);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, 5000u);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), bytes.begin() + 100));
  const int reads = counting.reads;
  EXPECT_EQ(reads, 2);  // two pages
  std::vector<std::byte> again(16);
  ASSERT_TRUE(cached.read(RemoteAddr(0x10000 + 4000), again).ok());
  EXPECT_EQ(counting.reads, reads);  // from the cache
  EXPECT_TRUE(std::equal(again.begin(), again.end(), bytes.begin() + 4000));
}

TEST(CachedAddressSpace, StopsWhereTheMemoryStopsAndFailsWhereItHasNothing) {
  FakeAddressSpace fake;
  const auto bytes = pattern(4096 + 100, 2);
  fake.add(RemoteAddr(0x20000), bytes);
  CachedAddressSpace cached(fake);
  std::vector<std::byte> out(300);
  auto read = cached.read(RemoteAddr(0x20000 + 4096), out);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, 100u);
  EXPECT_FALSE(cached.read(RemoteAddr(0x20000 + 4096 + 100), out).ok());
  EXPECT_FALSE(cached.read(RemoteAddr(0x90000), out).ok());
}

TEST(CachedAddressSpace, RegionsThatDoNotStartOnAPageAreReadDirectly) {
  FakeAddressSpace fake;
  const auto bytes = pattern(64, 3);
  fake.add(RemoteAddr(0x30010), bytes);
  CachedAddressSpace cached(fake);
  std::vector<std::byte> out(64);
  auto read = cached.read(RemoteAddr(0x30010), out);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, 64u);
  EXPECT_EQ(out, bytes);
}

}  // namespace
}  // namespace ukstack::unwind
