#include "procfs/task_stat.h"

#include <gtest/gtest.h>

#include "base/thread_state.h"
#include "tests/procfs/samples.h"

namespace ukstack::procfs {
namespace {

using testing::sample;

TEST(Stat, NameWithParensAndSpacesEndsAtTheLastParen) {
  auto stat = parse_stat(sample("stat-name-with-parens.txt"));
  ASSERT_TRUE(stat.ok()) << stat.error().message;
  EXPECT_EQ(stat->tid, 7689);
  EXPECT_EQ(stat->name, "a) S (b");
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->ppid, 7581);
  EXPECT_EQ(stat->flags, 4194368u);
  EXPECT_FALSE(stat->is_kernel_thread());
}

TEST(Stat, SleepingProcess) {
  auto stat = parse_stat(sample("stat-sleep.txt"));
  ASSERT_TRUE(stat.ok()) << stat.error().message;
  EXPECT_EQ(stat->name, "sleep");
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->ppid, 7715);
  EXPECT_EQ(stat->pgrp, 7712);
  EXPECT_EQ(thread_state_name(stat->state), "sleeping");
}

TEST(Stat, StoppedProcess) {
  auto stat = parse_stat(sample("stat-stopped.txt"));
  ASSERT_TRUE(stat.ok()) << stat.error().message;
  EXPECT_EQ(stat->name, "python3");
  EXPECT_EQ(stat->state, 'T');
  EXPECT_EQ(thread_state_name(stat->state), "stopped");
}

TEST(Stat, KernelThreadIsFlagged) {
  auto stat = parse_stat(sample("stat-kthreadd.txt"));
  ASSERT_TRUE(stat.ok()) << stat.error().message;
  EXPECT_EQ(stat->name, "kthreadd");
  EXPECT_EQ(stat->ppid, 0);
  EXPECT_TRUE(stat->is_kernel_thread());
}

TEST(Stat, MalformedTextIsAnError) {
  for (const char* bad :
       {"", "123", "123 (x", "x (y) S 1 2 3 4 5 6", "123 (x) S 1 2 3", "123 (x) S one 2 3 4 5 6",
        "123 (x) SS 1 2 3 4 5 6", "123 (x) S 1 2 3 4 5 flags", "123 )x( S 1 2 3 4 5 6"}) {
    auto stat = parse_stat(bad);
    EXPECT_FALSE(stat.ok()) << "'" << bad << "'";
  }
}

TEST(Status, TracedProcessShowsItsTracer) {
  auto status = parse_status(sample("status-traced.txt"));
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(status->tracer_pid, 7757);
  EXPECT_EQ(status->tgid, 7756);
  EXPECT_EQ(status->uid_real, 0);
  EXPECT_EQ(status->uid_effective, 0);
  EXPECT_EQ(status->voluntary_ctxt_switches, 10u);
  EXPECT_EQ(status->nonvoluntary_ctxt_switches, 1u);
}

TEST(Status, UntracedProcess) {
  auto status = parse_status(sample("status-sleep.txt"));
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(status->tracer_pid, 0);
  EXPECT_EQ(status->voluntary_ctxt_switches, 7u);
}

TEST(Status, NamespacePidIsTheInnermostLevel) {
  auto host = parse_status(sample("status-sleep.txt"));
  ASSERT_TRUE(host.ok()) << host.error().message;
  EXPECT_EQ(host->ns_tgid, 7756);  // no PID namespace of its own: the host's PID

  // A process in a container: host PID 4242, PID 7 inside.
  auto contained = parse_status("Tgid:\t4242\nTracerPid:\t0\nNStgid:\t4242\t7\nNSpid:\t4242\t7\n");
  ASSERT_TRUE(contained.ok()) << contained.error().message;
  EXPECT_EQ(contained->tgid, 4242);
  EXPECT_EQ(contained->ns_tgid, 7);

  auto old_kernel = parse_status("Tgid:\t4242\nTracerPid:\t0\n");
  ASSERT_TRUE(old_kernel.ok());
  EXPECT_EQ(old_kernel->ns_tgid, 0);
}

TEST(Status, RealAndEffectiveUidDiffer) {
  auto status = parse_status("Name:\tsu\nUid:\t1000\t0\t0\t0\nTracerPid:\t0\n");
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(status->uid_real, 1000);
  EXPECT_EQ(status->uid_effective, 0);
}

TEST(Status, MalformedFieldsAreErrors) {
  for (const char* bad :
       {"", "Name:\tx\n", "TracerPid:\tx\n", "TracerPid:\n", "Uid:\t1000\n",
        "voluntary_ctxt_switches:\t-1\n", "Tgid:\tx\n", "NStgid:\t12\tx\n", "NStgid:\n"}) {
    auto status = parse_status(bad);
    EXPECT_FALSE(status.ok()) << "'" << bad << "'";
  }
}

TEST(SchedStat, ThreeCounters) {
  auto stat = parse_schedstat("2587533 7131706 2\n");
  ASSERT_TRUE(stat) << stat.error().message;
  EXPECT_EQ(stat->cpu_ns, 2587533u);
  EXPECT_EQ(stat->wait_ns, 7131706u);
  EXPECT_EQ(stat->times_run, 2u);
  EXPECT_TRUE(stat->kept());
}

TEST(SchedStat, AllZeroMeansTheKernelKeepsNone) {
  auto stat = parse_schedstat("0 0 0\n");
  ASSERT_TRUE(stat) << stat.error().message;
  EXPECT_FALSE(stat->kept());
}

TEST(SchedStat, RanInBetweenIsNotTheSameRun) {
  auto before = parse_schedstat("100 5 3\n");
  auto waited_only = parse_schedstat("100 9 3\n");
  auto ran = parse_schedstat("180 9 4\n");
  ASSERT_TRUE(before && waited_only && ran);
  EXPECT_TRUE(before->same_run_as(*waited_only));
  EXPECT_FALSE(before->same_run_as(*ran));
}

TEST(SchedStat, MalformedTextIsAnError) {
  for (const char* bad : {"", "1 2", "1 2 x", "1 2 3 4", "-1 2 3"}) {
    EXPECT_FALSE(parse_schedstat(bad)) << bad;
  }
}

TEST(Wchan, SymbolOrNothing) {
  EXPECT_EQ(parse_wchan(sample("wchan-accept.txt")), "inet_csk_accept");
  EXPECT_EQ(parse_wchan(sample("wchan-not-sleeping.txt")), "");
  EXPECT_EQ(parse_wchan(""), "");
}

TEST(DescribeState, Letters) {
  EXPECT_EQ(thread_state_name('R'), "running");
  EXPECT_EQ(thread_state_name('D'), "uninterruptible sleep");
  EXPECT_EQ(thread_state_name('t'), "tracing stop");
  EXPECT_EQ(thread_state_name('Z'), "zombie");
  EXPECT_EQ(thread_state_name('I'), "idle");
  EXPECT_EQ(thread_state_name('?'), "unknown");
}

}  // namespace
}  // namespace ukstack::procfs
