// The same reads give the same bytes live and from a core: address_space_target is
// written to a core by gdb's gcore (a test oracle; ukstack never calls gdb), and
// then, while the fixture still runs unchanged in pause(), each read is made through
// LiveAddressSpace and through CoreAddressSpace: a global found by its DWARF name,
// the held mutex's owner by its member path, a stack region, and a code page that
// the core left out (so the core's bytes for it come from the executable's file).
#include <fcntl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "base/unique_elf.h"
#include "base/unique_fd.h"
#include "procfs/process_reader.h"
#include "tests/integration/capture_helpers.h"
#include "tests/support/process_control.h"
#include "unwind/core_address_space.h"
#include "unwind/debug_types.h"
#include "unwind/dwfl_session.h"
#include "unwind/live_address_space.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;
using unwind::CoreAddressSpace;
using unwind::DebugTypes;
using unwind::DwflSession;
using unwind::LiveAddressSpace;

constexpr std::uint64_t kPage = 4096;

std::uint64_t hex_value(const FixtureProcess& fixture, const std::string& key) {
  return std::stoull(fixture.value(key), nullptr, 16);
}

// Read independently of CoreAddressSpace, with libelf: how many bytes the core file
// itself holds for addr (0 when its PT_LOAD has p_filesz short of addr, or none covers it).
std::uint64_t core_bytes_at(const std::string& core, std::uint64_t addr) {
  ukstack::UniqueFd fd(open(core.c_str(), O_RDONLY | O_CLOEXEC));
  elf_version(EV_CURRENT);
  ukstack::UniqueElf elf(elf_begin(fd.get(), ELF_C_READ, nullptr));
  std::size_t count = 0;
  if (elf == nullptr || elf_getphdrnum(elf.get(), &count) != 0) return 0;
  for (std::size_t i = 0; i < count; ++i) {
    GElf_Phdr phdr;
    if (gelf_getphdr(elf.get(), static_cast<int>(i), &phdr) == nullptr || phdr.p_type != PT_LOAD ||
        addr < phdr.p_vaddr || addr - phdr.p_vaddr >= phdr.p_memsz) {
      continue;
    }
    return addr - phdr.p_vaddr < phdr.p_filesz ? phdr.p_filesz - (addr - phdr.p_vaddr) : 0;
  }
  return 0;
}

// `size` bytes at addr from both spaces: all present, and equal.
void expect_same_bytes(const LiveAddressSpace& live, const CoreAddressSpace& core,
                       std::uint64_t addr, std::size_t size, const std::string& what) {
  SCOPED_TRACE(what);
  std::vector<std::byte> live_bytes(size), core_bytes(size);
  auto live_read = live.read_exact(RemoteAddr(addr), live_bytes);
  ASSERT_TRUE(live_read.ok()) << live_read.error().message;
  auto core_read = core.read_exact(RemoteAddr(addr), core_bytes);
  ASSERT_TRUE(core_read.ok()) << core_read.error().message;
  EXPECT_TRUE(live_bytes == core_bytes);
}

TEST(AddressSpaceLiveAndCore, SameBytesLiveAndFromTheCore) {
  if (!on_path("gcore")) GTEST_SKIP() << "gcore (gdb) is not installed";
  TempDir dir;
  FixtureProcess fixture = FixtureProcess::start({fixture_path("address_space_target")});
  const Gcore gcore = make_gcore(fixture.pid(), dir.path());
  ASSERT_FALSE(gcore.path.empty()) << gcore.why;
  const std::string& core_path = gcore.path;

  // Live: the fixture still runs (gcore detached), blocked in pause().
  procfs::RealProcSource proc;
  auto maps = procfs::ProcessReader(proc, fixture.pid()).maps();
  ASSERT_TRUE(maps.ok()) << maps.error().message;
  auto live_session =
      DwflSession::open_process(fixture.pid(), std::move(*maps), {}, std::chrono::milliseconds(0));
  ASSERT_TRUE(live_session.ok()) << live_session.error().message;
  auto core_session = DwflSession::open_core(core_path, "", {}, std::chrono::milliseconds(0));
  ASSERT_TRUE(core_session.ok()) << core_session.error().message;
  const DebugTypes live_types((*live_session)->get());
  const DebugTypes core_types((*core_session)->get());
  const LiveAddressSpace live(fixture.pid());
  auto core = CoreAddressSpace::from_elf((*core_session)->core_elf());
  ASSERT_TRUE(core.ok()) << core.error().message;

  // The global, found by name in both, where the fixture says it is.
  const std::uint64_t sample = hex_value(fixture, "sample");
  for (const DebugTypes* types : {&live_types, &core_types}) {
    auto address = types->global_address("ukstack_sample");
    ASSERT_TRUE(address.ok()) << address.error().message;
    EXPECT_EQ(address->value(), sample);
    auto size = types->type_size("struct ukstack_sample");
    ASSERT_TRUE(size.ok()) << size.error().message;
    EXPECT_EQ(*size, static_cast<std::uint64_t>(fixture.id("sample_size")));
    auto value = types->member("struct ukstack_sample", "inner.value");
    ASSERT_TRUE(value.ok()) << value.error().message;
    EXPECT_EQ(value->offset, static_cast<std::uint64_t>(fixture.id("inner_value_offset")));
  }
  expect_same_bytes(live, *core, sample, static_cast<std::size_t>(fixture.id("sample_size")),
                    "global ukstack_sample");
  auto inner_value = core_types.member("struct ukstack_sample", "inner.value");
  ASSERT_TRUE(inner_value.ok());
  auto value = core->read_value<std::int64_t>(RemoteAddr(sample + inner_value->offset));
  ASSERT_TRUE(value.ok()) << value.error().message;
  EXPECT_EQ(*value, 0x1122334455667788);

  // The mutex's owner (the fixture's main thread), by its member path.
  auto mutex = core_types.global_address("ukstack_mutex");
  ASSERT_TRUE(mutex.ok()) << mutex.error().message;
  EXPECT_EQ(mutex->value(), hex_value(fixture, "mutex"));
  auto owner = core_types.member("pthread_mutex_t", "__data.__owner");
  ASSERT_TRUE(owner.ok()) << owner.error().message;
  EXPECT_EQ(owner->offset, static_cast<std::uint64_t>(fixture.id("owner_offset")));
  for (const unwind::AddressSpace* space : {static_cast<const unwind::AddressSpace*>(&live),
                                            static_cast<const unwind::AddressSpace*>(&*core)}) {
    auto tid = space->read_value<int>(*mutex + owner->offset);
    ASSERT_TRUE(tid.ok()) << tid.error().message;
    EXPECT_EQ(*tid, fixture.pid());
  }
  expect_same_bytes(live, *core, mutex->value(), static_cast<std::size_t>(fixture.id("mutex_size")),
                    "global ukstack_mutex");

  // A stack region: the blocked frame's buffer.
  expect_same_bytes(live, *core, hex_value(fixture, "stack"),
                    static_cast<std::size_t>(fixture.id("stack_size")), "stack buffer");

  // A code page of the executable that the core left out: its bytes come from the
  // file NT_FILE maps there.
  const std::uint64_t code_page = hex_value(fixture, "code") & ~(kPage - 1);
  EXPECT_EQ(core_bytes_at(core_path, code_page), 0u)
      << "the core holds the code page itself: the file-backed path is not exercised";
  EXPECT_FALSE(core->in_core(RemoteAddr(code_page)));
  expect_same_bytes(live, *core, code_page, kPage, "code page");

  fixture.kill_and_wait();
}

}  // namespace
}  // namespace ukstack::test
