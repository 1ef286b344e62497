#include "procfs/process_names.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

namespace ukstack::procfs {
namespace {

using namespace std::string_literals;

void add_process(FakeProcSource& proc, int pid, const std::string& comm,
                 const std::string& cmdline) {
  proc.add_file(std::to_string(pid) + "/comm", comm + "\n");
  proc.add_file(std::to_string(pid) + "/cmdline", cmdline);
}

std::vector<int> pids(const std::vector<NamedProcess>& processes) {
  std::vector<int> out;
  for (const NamedProcess& process : processes) out.push_back(process.pid);
  return out;
}

TEST(ProcessNames, ByCommOrByArgv0LowestPidFirst) {
  FakeProcSource proc;
  add_process(proc, 300, "nginx", "nginx: worker process\0"s);
  add_process(proc, 20, "nginx", "/usr/sbin/nginx\0-g\0daemon off;\0"s);
  add_process(proc, 41, "bash", "-bash\0"s);
  // comm is cut to 15 bytes: the whole name is only in argv[0].
  add_process(proc, 77, "a-very-long-pro", "./a-very-long-program-name\0--flag\0"s);
  add_process(proc, 2, "kthreadd", "");   // a kernel thread: no cmdline
  proc.add_file("self/comm", "nginx\n");  // not a pid: skipped

  const auto nginx = processes_named(proc, "nginx");
  EXPECT_EQ(pids(nginx), (std::vector<int>{20, 300}));
  EXPECT_EQ(nginx[0].name, "nginx");
  EXPECT_EQ(pids(processes_named(proc, "a-very-long-program-name")), std::vector<int>{77});
  EXPECT_EQ(pids(processes_named(proc, "kthreadd")), std::vector<int>{2});
  EXPECT_TRUE(processes_named(proc, "bas").empty());  // whole names only
  EXPECT_TRUE(processes_named(proc, "usr").empty());  // a directory of argv[0] is no name
  EXPECT_TRUE(processes_named(proc, "").empty());
}

TEST(ProcessNames, AProcessThatExitedDuringTheScanIsLeftOut) {
  FakeProcSource proc;
  add_process(proc, 10, "server", "server\0"s);
  proc.fail("11/comm", ESRCH);
  proc.add_file("11/cmdline", "server\0"s);
  EXPECT_EQ(pids(processes_named(proc, "server")), std::vector<int>{10});
}

}  // namespace
}  // namespace ukstack::procfs
