// A process word of the command line: a PID, the name of one process, or a usage
// error that says what is wrong.
#include "cli/targets.h"

#include <gtest/gtest.h>

namespace ukstack {
namespace {

using namespace std::string_literals;

procfs::FakeProcSource processes() {
  procfs::FakeProcSource proc;
  auto add = [&proc](int pid, const std::string& comm, const std::string& cmdline) {
    proc.add_file(std::to_string(pid) + "/comm", comm + "\n");
    proc.add_file(std::to_string(pid) + "/cmdline", cmdline);
  };
  add(100, "postgres", "/usr/lib/postgresql/15/bin/postgres\0-D\0/var/lib\0"s);
  add(101, "postgres", "postgres: checkpointer \0"s);
  add(200, "redis-server", "/usr/bin/redis-server\0*:6379\0"s);
  add(300, "ukstack", "ukstack\0redis-server\0"s);  // the caller itself
  add(301, "ukstack", "ukstack\0other\0"s);
  add(400, "evil\x1b[2J", "x\0"s);
  add(401, "evil\x1b[2J", "x\0"s);
  return proc;
}

TEST(Targets, ANumberIsAPid) {
  const auto proc = processes();
  EXPECT_EQ(resolve_target("4242", proc, 300).pid, 4242);  // running or not: the capture says
  EXPECT_EQ(resolve_target("0", proc, 300).problem, "'0' is not a process id");
  EXPECT_EQ(resolve_target("99999999999", proc, 300).problem, "'99999999999' is not a process id");
}

TEST(Targets, TheNameOfOneProcessIsThatProcess) {
  const auto proc = processes();
  const ResolvedTarget redis = resolve_target("redis-server", proc, 300);
  EXPECT_EQ(redis.pid, 200);
  EXPECT_EQ(redis.problem, "");
  // ukstack itself is not a candidate: the other ukstack is the one meant.
  EXPECT_EQ(resolve_target("ukstack", proc, 300).pid, 301);
}

TEST(Targets, NoSuchNameSaysItIsNotAProcessId) {
  const ResolvedTarget abc = resolve_target("abc", processes(), 300);
  EXPECT_EQ(abc.pid, 0);
  EXPECT_TRUE(abc.problem.starts_with("'abc' is not a process id")) << abc.problem;
  EXPECT_EQ(abc.problem.find('\n'), std::string::npos);
}

TEST(Targets, SeveralProcessesWithTheNameAreListedEscaped) {
  const auto proc = processes();
  const ResolvedTarget postgres = resolve_target("postgres", proc, 300);
  EXPECT_EQ(postgres.pid, 0);
  EXPECT_EQ(
      postgres.problem,
      "'postgres' is the name of 2 processes; give one PID:\n  100  postgres\n  101  postgres");
  const ResolvedTarget evil = resolve_target("evil\x1b[2J", proc, 300);
  EXPECT_EQ(evil.problem.find('\x1b'), std::string::npos) << evil.problem;
  EXPECT_NE(evil.problem.find("  400  evil\\x1b[2J"), std::string::npos) << evil.problem;
}

}  // namespace
}  // namespace ukstack
