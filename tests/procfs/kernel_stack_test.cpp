#include "procfs/kernel_stack.h"

#include <gtest/gtest.h>

#include "tests/procfs/samples.h"

namespace ukstack::procfs {
namespace {

using testing::sample;

std::vector<std::string> names(const std::vector<KernelFrame>& frames) {
  std::vector<std::string> out;
  for (const auto& frame : frames) out.push_back(frame.function);
  return out;
}

TEST(KernelStack, Linux618AcceptHidesAddresses) {
  auto frames = parse_kernel_stack(sample("stack-6.18-accept.txt"));
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  EXPECT_EQ(names(*frames),
            (std::vector<std::string>{"inet_csk_accept", "inet_accept", "do_accept",
                                      "__sys_accept4", "__x64_sys_accept4", "do_syscall_64",
                                      "entry_SYSCALL_64_after_hwframe"}));
  const KernelFrame& top = frames->front();
  EXPECT_EQ(top.offset, 0x1f2u);
  EXPECT_EQ(top.size, 0x3b0u);
  EXPECT_FALSE(top.address.has_value());
  EXPECT_TRUE(top.module.empty());
}

TEST(KernelStack, Linux415DropsTheFfffTerminator) {
  auto frames = parse_kernel_stack(sample("stack-4.15-accept.txt"));
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  ASSERT_EQ(frames->size(), 6u);
  EXPECT_EQ(frames->front().function, "inet_csk_accept");
  EXPECT_EQ(frames->at(3).function, "SyS_accept");
  EXPECT_EQ(frames->back().function, "entry_SYSCALL_64_after_hwframe");
  EXPECT_EQ(frames->back().offset, 0x3du);
  EXPECT_EQ(frames->back().size, 0xa2u);
}

TEST(KernelStack, RealAddressesAreKept) {
  auto frames = parse_kernel_stack(sample("stack-real-addresses.txt"));
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  ASSERT_EQ(frames->size(), 6u);
  EXPECT_EQ(frames->front().function, "futex_wait_queue_me");
  EXPECT_EQ(frames->front().address, 0xffffffff810fb2faULL);
  EXPECT_EQ(frames->front().offset, 0xcau);
  EXPECT_EQ(frames->front().size, 0x120u);
}

TEST(KernelStack, ZeroedAddressesOfKptrRestrictAreNotAddresses) {
  auto frames = parse_kernel_stack(sample("stack-3.10-kptr-restricted.txt"));
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  ASSERT_EQ(frames->size(), 5u);  // terminator dropped
  for (const auto& frame : *frames) EXPECT_FALSE(frame.address.has_value()) << frame.function;
  EXPECT_EQ(frames->back().function, "system_call_fastpath");
}

TEST(KernelStack, ModuleSuffix) {
  auto frames = parse_kernel_stack(sample("stack-module-nfs.txt"));
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  ASSERT_EQ(frames->size(), 13u);
  EXPECT_EQ(frames->at(0).function, "rpc_wait_bit_killable");
  EXPECT_EQ(frames->at(0).module, "sunrpc");
  EXPECT_EQ(frames->at(0).offset, 0x1eu);
  EXPECT_EQ(frames->at(4).module, "nfsv4");
  EXPECT_EQ(frames->at(8).function, "nfs_getattr");
  EXPECT_EQ(frames->at(8).module, "nfs");
  EXPECT_EQ(frames->at(9).function, "vfs_statx");
  EXPECT_TRUE(frames->at(9).module.empty());
}

TEST(KernelStack, ModuleWithBuildId) {
  auto frames = parse_kernel_stack(
      "[<0>] nfs_wait_bit_killable+0x1f/0x90 [nfs 3b4a8f6d2e1c0a9b8c7d6e5f4a3b2c1d0e9f8a7b]\n");
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  ASSERT_EQ(frames->size(), 1u);
  EXPECT_EQ(frames->at(0).function, "nfs_wait_bit_killable");
  EXPECT_EQ(frames->at(0).module, "nfs");
}

TEST(KernelStack, SymbolWithCompilerSuffixAndUnnamedFrame) {
  auto frames = parse_kernel_stack(
      "[<0>] __schedule.isra.0+0x3c/0x120\n"
      "[<0>] 0xffffffffc0a1b2c3\n");
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  ASSERT_EQ(frames->size(), 2u);
  EXPECT_EQ(frames->at(0).function, "__schedule.isra.0");
  EXPECT_EQ(frames->at(0).offset, 0x3cu);
  EXPECT_EQ(frames->at(1).function, "0xffffffffc0a1b2c3");
  EXPECT_EQ(frames->at(1).offset, 0u);
}

TEST(KernelStack, EmptyTextIsAnEmptyStack) {
  auto frames = parse_kernel_stack(sample("stack-empty.txt"));
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  EXPECT_TRUE(frames->empty());
}

TEST(KernelStack, MalformedLinesAreErrorsNamingTheLine) {
  for (const char* bad :
       {"garbage\n", "[<0>]\n", "[<zz>] foo+0x1/0x2\n", "[<0> foo+0x1/0x2\n",
        "[<0>] foo+0xZZ/0x10\n", "[<0>] foo+0x1/0x2 []\n", "[<0>] +0x1/0x2\n", "[<0>] foo\n"}) {
    auto frames = parse_kernel_stack(std::string("[<0>] ok+0x1/0x2\n") + bad);
    ASSERT_FALSE(frames.ok()) << bad;
    EXPECT_NE(frames.error().message.find("line 2"), std::string::npos) << frames.error().message;
  }
}

}  // namespace
}  // namespace ukstack::procfs
