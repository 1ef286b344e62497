// A process that exists only in a FakeProcSource: its threads' /proc files made
// from the real samples in fixtures/procfs/, with the ids, states and counters a
// test asks for.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "procfs/source.h"

namespace ukstack::testing {

// Ids no live process of the test machine is likely to have (near the default
// 64-bit pid_max); the tests never reach the kernel with them anyway.
inline constexpr int kPid = 4'190'100;
inline constexpr int kOtherTracer = 4'190'900;

struct FakeThread {
  int tid = 0;
  std::string name = "worker";
  char state = 'S';
  bool running = false;  // /proc/<tid>/syscall says "running" (and the kernel stack is empty)
  // Where /proc/<tid>/syscall says the thread blocked (accept4 on fd 3).
  std::uint64_t sp = 0;
  std::uint64_t pc = 0;
  std::string schedstat = "2587533 7131706 2\n";
  std::uint64_t voluntary_switches = 7;
  int tracer_pid = 0;
};

class FakeProcess {
 public:
  FakeProcess(procfs::FakeProcSource& proc, int pid) : proc_(proc), pid_(pid) {}

  int pid() const { return pid_; }
  // A blocked thread (in accept4, state S) with sp and pc of its own.
  FakeThread blocked(int tid) const;
  FakeThread running(int tid) const;

  // Writes the thread's files under <pid>/task/<tid>/.
  void add(const FakeThread& thread);
  // Another process, only as far as its stat (a tracer's name is read from it).
  void add_other_process(int pid, const std::string& name);
  // The process's own files: maps (with `extra_maps` lines appended), exe, cmdline.
  void add_process_files(const std::string& extra_maps = "");
  // The files a reader opened for `view_pid` (a thread id given as PID) would find:
  // the kernel shows the whole thread group under /proc/<tid>/task too.
  void add_view_as(int view_pid, const std::vector<FakeThread>& threads);

  // Single files, for tests that change one mid-capture.
  std::string task_path(int tid, const std::string& file) const;
  void set_schedstat(int tid, const std::string& text);
  void set_voluntary_switches(const FakeThread& thread, std::uint64_t switches);
  void set_state(const FakeThread& thread, char state);

  static std::string stat_text(const FakeThread& thread);
  std::string status_text(const FakeThread& thread) const;
  static std::string syscall_text(const FakeThread& thread);

 private:
  void add_under(int view_pid, const FakeThread& thread);

  procfs::FakeProcSource& proc_;
  int pid_;
};

// A fixture file's text (fixtures/procfs/).
std::string procfs_sample(const std::string& name);

}  // namespace ukstack::testing
