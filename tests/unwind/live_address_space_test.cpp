#include "unwind/live_address_space.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <numeric>

#include "tests/support/process_control.h"
#include "unwind/stack_copy.h"

namespace ukstack::unwind {
namespace {

// process_vm_readv on our own process needs no privilege, so the real reader is
// tested against memory whose layout the test controls.
class Mapping {
 public:
  explicit Mapping(std::size_t pages) : size_(pages * 4096) {
    base_ = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
  ~Mapping() {
    if (base_ != MAP_FAILED) munmap(base_, size_);
  }
  std::byte* data() { return static_cast<std::byte*>(base_); }
  RemoteAddr addr() const { return RemoteAddr(reinterpret_cast<std::uint64_t>(base_)); }
  void unmap_last_page() {
    munmap(data() + size_ - 4096, 4096);
    size_ -= 4096;
  }

 private:
  std::size_t size_;
  void* base_;
};

TEST(LiveAddressSpace, ReadsWhatIsThere) {
  Mapping mapping(2);
  for (std::size_t i = 0; i < 8192; ++i) mapping.data()[i] = static_cast<std::byte>(i * 7);
  LiveAddressSpace memory(getpid());
  std::vector<std::byte> out(8192);
  auto got = memory.read(mapping.addr(), out);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, 8192u);
  EXPECT_EQ(std::memcmp(out.data(), mapping.data(), 8192), 0);
}

TEST(LiveAddressSpace, StopsAtTheFirstUnmappedPage) {
  Mapping mapping(3);
  mapping.unmap_last_page();
  std::memset(mapping.data(), 0x5a, 8192);
  LiveAddressSpace memory(getpid());
  std::vector<std::byte> out(3 * 4096);
  auto got = memory.read(mapping.addr() + 100, out);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 8192u - 100u);
  EXPECT_EQ(out[0], std::byte{0x5a});
}

TEST(LiveAddressSpace, UnmappedAddressIsAnError) {
  Mapping mapping(2);
  mapping.unmap_last_page();
  LiveAddressSpace memory(getpid());
  std::vector<std::byte> out(16);
  auto got = memory.read(mapping.addr() + 4096, out);
  EXPECT_FALSE(got.ok());
  EXPECT_EQ(got.error().errnum, EFAULT);
}

TEST(LiveAddressSpace, GoneProcessIsAnError) {
  LiveAddressSpace memory(test::pid_not_in_use());
  std::vector<std::byte> out(16);
  auto got = memory.read(RemoteAddr(0x1000), out);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().errnum, ESRCH);
}

TEST(StackCopy, CopyIsBoundedAndReadableByWord) {
  Mapping mapping(2);
  mapping.unmap_last_page();
  auto* words = reinterpret_cast<std::uint64_t*>(mapping.data());
  std::iota(words, words + 512, std::uint64_t{1000});
  LiveAddressSpace memory(getpid());
  RemoteAddr sp = mapping.addr() + 4096 - 64;  // 8 words before the unmapped page
  auto copy = copy_stack(memory, sp, 32 * 1024);
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->bytes.size(), 64u);
  std::uint64_t word = 0;
  ASSERT_TRUE(copy->read_word(sp, word));
  EXPECT_EQ(word, 1000u + 504u);
  ASSERT_TRUE(copy->read_word(sp + 56, word));
  EXPECT_EQ(word, 1000u + 511u);
  EXPECT_FALSE(copy->read_word(sp + 60, word));  // straddles the end
  EXPECT_FALSE(copy->read_word(sp - 8, word));   // below SP: not copied
}

// A batch gives each request what read() would: whole where mapped, cut at an
// unmapped page, nothing where none is; the ones after a fault are read too.
TEST(LiveAddressSpace, ABatchReadsEachRequestAsReadWould) {
  Mapping mapping(3);
  for (std::size_t i = 0; i < 3 * 4096; ++i) mapping.data()[i] = static_cast<std::byte>(i % 251);
  mapping.unmap_last_page();  // pages 0 and 1 mapped, 2 not
  LiveAddressSpace memory(getpid());
  std::vector<std::byte> a(100), b(4096), c(50), d(10);
  std::vector<ReadRequest> requests = {
      {.addr = mapping.addr() + 10, .out = std::span(a)},
      {.addr = mapping.addr() + 2 * 4096 - 1000, .out = std::span(b)},  // runs off the end
      {.addr = mapping.addr() + 4096, .out = std::span(c)},             // after the fault
      {.addr = mapping.addr() + 2 * 4096 + 8, .out = std::span(d)},     // unmapped
  };
  memory.read_each(requests);
  EXPECT_EQ(requests[0].got, 100u);
  EXPECT_EQ(requests[1].got, 1000u);
  EXPECT_EQ(requests[2].got, 50u);
  EXPECT_EQ(requests[3].got, 0u);
  EXPECT_EQ(std::memcmp(a.data(), mapping.data() + 10, 100), 0);
  EXPECT_EQ(std::memcmp(b.data(), mapping.data() + 2 * 4096 - 1000, 1000), 0);
  EXPECT_EQ(std::memcmp(c.data(), mapping.data() + 4096, 50), 0);
}

// More requests than one system call takes (IOV_MAX): all read, all right.
TEST(LiveAddressSpace, ABatchLargerThanOneCall) {
  Mapping mapping(2);
  for (std::size_t i = 0; i < 2 * 4096; ++i) mapping.data()[i] = static_cast<std::byte>(i % 253);
  LiveAddressSpace memory(getpid());
  constexpr std::size_t kRequests = 3000;
  std::vector<std::byte> buffer(kRequests * 3);
  std::vector<ReadRequest> requests(kRequests);
  for (std::size_t i = 0; i < kRequests; ++i) {
    requests[i].addr = mapping.addr() + (i * 5) % 8000;
    requests[i].out = std::span(buffer).subspan(i * 3, 3);
  }
  memory.read_each(requests);
  for (std::size_t i = 0; i < kRequests; ++i) {
    ASSERT_EQ(requests[i].got, 3u) << i;
    ASSERT_EQ(std::memcmp(requests[i].out.data(), mapping.data() + (i * 5) % 8000, 3), 0) << i;
  }
}

}  // namespace
}  // namespace ukstack::unwind
