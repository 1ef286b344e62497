// Every parser on every prefix of every sample, and on bytes it never expects: it may
// return an error, never crash (run under ASan/UBSan in the sanitizer build).
#include <gtest/gtest.h>

#include <filesystem>

#include "procfs/fd_target.h"
#include "procfs/kernel_stack.h"
#include "procfs/maps.h"
#include "procfs/syscall.h"
#include "procfs/task_stat.h"
#include "tests/procfs/samples.h"

namespace ukstack::procfs {
namespace {

void parse_all(std::string_view input) {
  (void)parse_kernel_stack(input);
  (void)parse_syscall(input);
  (void)parse_stat(input);
  (void)parse_status(input);
  (void)parse_wchan(input);
  (void)parse_maps(input);
  for (const char* protocol : {"tcp", "tcp6", "udp", "udp6", "unix"}) {
    SocketTable table;
    (void)parse_net_table(protocol, input, table);
  }
  (void)classify_fd_link(input);
}

TEST(Robustness, EveryPrefixOfEverySample) {
  int samples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(UKSTACK_PROCFS_SAMPLES)) {
    std::string text = testing::sample(entry.path().filename().string());
    for (std::size_t n = 0; n <= text.size(); ++n) parse_all(std::string_view(text).substr(0, n));
    ++samples;
  }
  EXPECT_GE(samples, 20);
}

TEST(Robustness, OddBytes) {
  for (std::string input :
       {std::string("\0\0\0", 3), std::string("[<"), std::string(")("), std::string("(\n)"),
        std::string(" [] "), std::string("[<0>] a+0x1/0x2 ["), std::string("[<0>] ]"),
        std::string("anon_inode:["), std::string("socket:["), std::string("pipe:[]"),
        std::string("0: :"), std::string("1-2"), std::string(10000, '('),
        std::string("[<ffffffffffffffffff>] x+0x1/0x2"),
        std::string("0: 1:2 3:4 5 6 7 8 9 10 11")}) {
    parse_all(input);
  }
  SUCCEED();
}

}  // namespace
}  // namespace ukstack::procfs
