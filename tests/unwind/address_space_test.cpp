// The AddressSpace helpers, and what reads through an address space (the stack
// copy, SampleMemory), on a fake whose regions the test places.
#include "unwind/address_space.h"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "unwind/fake_address_space.h"
#include "unwind/sample_memory.h"
#include "unwind/stack_copy.h"

namespace ukstack::unwind {
namespace {

std::vector<std::byte> counting_bytes(std::size_t n, unsigned start = 0) {
  std::vector<std::byte> bytes(n);
  for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<std::byte>((start + i) & 0xff);
  return bytes;
}

TEST(FakeAddressSpace, ReadsAcrossAdjacentRegionsAndStopsAtAGap) {
  FakeAddressSpace space;
  space.add(RemoteAddr(0x1000), counting_bytes(16));
  space.add(RemoteAddr(0x1010), counting_bytes(16, 16));
  space.add(RemoteAddr(0x1040), counting_bytes(16));
  std::vector<std::byte> out(64);
  auto got = space.read(RemoteAddr(0x1008), out);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, 24u);  // 0x1008..0x1020, then nothing until 0x1040
  EXPECT_EQ(out[0], std::byte{8});
  EXPECT_EQ(out[23], std::byte{31});
}

TEST(FakeAddressSpace, NothingThereIsAnError) {
  FakeAddressSpace space;
  space.add(RemoteAddr(0x1000), counting_bytes(16));
  std::vector<std::byte> out(8);
  auto got = space.read(RemoteAddr(0x1010), out);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().errnum, EFAULT);
  EXPECT_TRUE(space.read(RemoteAddr(0x5000), std::span(out).first(0)).ok());  // empty: no error
}

TEST(AddressSpace, ReadExactFailsOnAShortRead) {
  FakeAddressSpace space;
  space.add(RemoteAddr(0x2000), counting_bytes(8));
  std::vector<std::byte> out(16);
  auto done = space.read_exact(RemoteAddr(0x2000), out);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().errnum, EFAULT);
  EXPECT_NE(done.error().message.find("0x2000"), std::string::npos) << done.error().message;
  EXPECT_TRUE(space.read_exact(RemoteAddr(0x2000), std::span(out).first(8)).ok());
}

TEST(AddressSpace, ReadValueCopiesTheTargetsBytes) {
  struct Pair {
    std::uint32_t a;
    std::uint64_t b;
  };
  FakeAddressSpace space;
  space.add_value(RemoteAddr(0x3000), Pair{7, 0x1122334455667788});
  auto pair = space.read_value<Pair>(RemoteAddr(0x3000));
  ASSERT_TRUE(pair.ok()) << pair.error().message;
  EXPECT_EQ(pair->a, 7u);
  EXPECT_EQ(pair->b, 0x1122334455667788u);
  auto word = space.read_value<std::uint32_t>(RemoteAddr(0x3000 + sizeof(Pair) - 2));
  EXPECT_FALSE(word.ok());  // runs past the end
}

TEST(StackCopy, CopiesThroughAnyAddressSpace) {
  FakeAddressSpace space;
  space.add(RemoteAddr(0x7000), counting_bytes(100));
  auto copy = copy_stack(space, RemoteAddr(0x7010), 4096);
  ASSERT_TRUE(copy.ok()) << copy.error().message;
  EXPECT_EQ(copy->bytes.size(), 84u);
  EXPECT_EQ(copy->bytes[0], std::byte{0x10});
  EXPECT_FALSE(copy_stack(space, RemoteAddr(0x9000), 4096).ok());
}

TEST(SampleMemory, ReadsTheStackCopyFirstThenTheAddressSpace) {
  FakeAddressSpace space;
  // Two pages; a word straddles their boundary.
  std::vector<std::uint64_t> words(1024);
  std::iota(words.begin(), words.end(), std::uint64_t{500});
  std::vector<std::byte> bytes(8192);
  std::memcpy(bytes.data(), words.data(), bytes.size());
  space.add(RemoteAddr(0x10000), bytes);

  StackCopy stack;
  stack.base = RemoteAddr(0x10000);
  stack.bytes.resize(16);
  const std::uint64_t copied[2] = {42, 43};  // differ from the space: the copy wins
  std::memcpy(stack.bytes.data(), copied, sizeof copied);

  SampleMemory memory(space);
  memory.begin(&stack);
  std::uint64_t word = 0;
  ASSERT_TRUE(memory.read_word(0x10008, word));
  EXPECT_EQ(word, 43u);
  ASSERT_TRUE(memory.read_word(0x10010, word));
  EXPECT_EQ(word, 502u);
  ASSERT_TRUE(memory.read_word(0x10000 + 4092, word));  // across the page boundary
  std::uint64_t expected = 0;
  std::memcpy(&expected, bytes.data() + 4092, sizeof expected);
  EXPECT_EQ(word, expected);
  EXPECT_FALSE(memory.read_word(0x10000 + 8190, word));  // runs off the second page
  memory.end();
  ASSERT_TRUE(memory.read_word(0x10008, word));
  EXPECT_EQ(word, 501u);  // no stack copy now
}

}  // namespace
}  // namespace ukstack::unwind
