#include "tests/capture/fake_process.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace ukstack::testing {

namespace {

std::string hex(std::uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

// Replaces the value of "Key:\tvalue" lines of a status text.
std::string with_status_values(const std::string& text,
                               const std::vector<std::pair<std::string, std::string>>& values) {
  std::istringstream in(text);
  std::string out;
  std::string line;
  while (std::getline(in, line)) {
    for (const auto& [key, value] : values) {
      if (line.starts_with(key + ":")) line = key + ":\t" + value;
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string procfs_sample(const std::string& name) {
  std::ifstream in(std::string(UKSTACK_PROCFS_SAMPLES) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing sample " << name;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

FakeThread FakeProcess::blocked(int tid) const {
  FakeThread thread;
  thread.tid = tid;
  thread.name = tid == pid_ ? "server" : "worker";
  // A stack and a return address of its own per thread, as in a real process.
  const auto n = static_cast<std::uint64_t>(tid - pid_);
  thread.sp = 0x7fe7d9500000 + n * 0x100000;
  thread.pc = 0x7fe7d9d28fa8 + n * 0x10;
  return thread;
}

FakeThread FakeProcess::running(int tid) const {
  FakeThread thread = blocked(tid);
  thread.state = 'R';
  thread.running = true;
  return thread;
}

std::string FakeProcess::task_path(int tid, const std::string& file) const {
  return std::to_string(pid_) + "/task/" + std::to_string(tid) + "/" + file;
}

std::string FakeProcess::stat_text(const FakeThread& thread) {
  // The sample's fields after the state, under this thread's id, name and state.
  const std::string sample = procfs_sample("stat-sleep.txt");
  const std::string after_state = sample.substr(sample.rfind(')') + 3);
  return std::to_string(thread.tid) + " (" + thread.name + ") " + thread.state + after_state;
}

std::string FakeProcess::status_text(const FakeThread& thread) const {
  return with_status_values(
      procfs_sample("status-sleep.txt"),
      {{"Name", thread.name},
       {"Tgid", std::to_string(pid_)},
       {"Pid", std::to_string(thread.tid)},
       {"TracerPid", std::to_string(thread.tracer_pid)},
       {"voluntary_ctxt_switches", std::to_string(thread.voluntary_switches)}});
}

std::string FakeProcess::syscall_text(const FakeThread& thread) {
  if (thread.running) return procfs_sample("syscall-running.txt");
  // accept4(3, ...) as in the sample, at this thread's sp and pc.
  return "288 0x3 0x7fe7d959aa10 0x7fe7d959aa04 0x80000 0x0 0x7fe7da34e6e8 " + hex(thread.sp) +
         " " + hex(thread.pc) + "\n";
}

void FakeProcess::add_under(int view_pid, const FakeThread& thread) {
  const std::string dir = std::to_string(view_pid) + "/task/" + std::to_string(thread.tid) + "/";
  proc_.add_file(dir + "stat", stat_text(thread));
  proc_.add_file(dir + "status", status_text(thread));
  proc_.add_file(dir + "schedstat", thread.schedstat);
  proc_.add_file(dir + "syscall", syscall_text(thread));
  proc_.add_file(dir + "stack", thread.running ? procfs_sample("stack-empty.txt")
                                               : procfs_sample("stack-6.18-accept.txt"));
  proc_.add_file(dir + "wchan", thread.running ? procfs_sample("wchan-not-sleeping.txt")
                                               : procfs_sample("wchan-accept.txt"));
}

void FakeProcess::add(const FakeThread& thread) { add_under(pid_, thread); }

void FakeProcess::add_view_as(int view_pid, const std::vector<FakeThread>& threads) {
  for (const auto& thread : threads) add_under(view_pid, thread);
}

void FakeProcess::add_other_process(int pid, const std::string& name) {
  FakeThread other;
  other.tid = pid;
  other.name = name;
  proc_.add_file(std::to_string(pid) + "/task/" + std::to_string(pid) + "/stat", stat_text(other));
}

void FakeProcess::add_process_files(const std::string& extra_maps) {
  const std::string dir = std::to_string(pid_) + "/";
  proc_.add_file(dir + "maps", procfs_sample("maps-deleted-and-spaces.txt") + extra_maps);
  proc_.add_link(dir + "exe", "/tmp/cap/maps_demo");
  proc_.add_file(dir + "cmdline", std::string("maps_demo\0--serve\0", 18));
}

void FakeProcess::set_schedstat(int tid, const std::string& text) {
  proc_.add_file(task_path(tid, "schedstat"), text);
}

void FakeProcess::set_voluntary_switches(const FakeThread& thread, std::uint64_t switches) {
  FakeThread changed = thread;
  changed.voluntary_switches = switches;
  proc_.add_file(task_path(thread.tid, "status"), status_text(changed));
}

void FakeProcess::set_state(const FakeThread& thread, char state) {
  FakeThread changed = thread;
  changed.state = state;
  proc_.add_file(task_path(thread.tid, "stat"), stat_text(changed));
}

}  // namespace ukstack::testing
