// The floor: only the work a capture of a live process cannot avoid, per thread.
//   read /proc/<tid>/stack; PTRACE_SEIZE + PTRACE_INTERRUPT + waitpid(__WALL);
//   PTRACE_GETREGS; process_vm_readv 8 KiB from rsp; PTRACE_DETACH.
// No unwinding, no symbols, no output beyond one summary line.
//
//   floor PID [--mode each|all] [--reads stack|all] [--copy BYTES]
//
// each: one thread at a time (seize, stop, copy, detach, next).
// all:  seize and interrupt every thread, wait for all stops, then copy each,
//       then detach all (a consistent snapshot; the whole process is held).
// --reads all also reads stat, syscall and wchan per thread (what ukstack reads
// before the stop), to show what the procfs half costs.
//
// Prints: floor mode=M threads=N wall_ms=W max_stop_us=S whole_stop_us=H
//   max_stop_us    longest time one thread spent stopped (PTRACE_INTERRUPT to the
//                  return of PTRACE_DETACH)
//   whole_stop_us  first PTRACE_INTERRUPT to last PTRACE_DETACH (all mode: how long
//                  the process was held; each mode: same as the whole run)
#include <dirent.h>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

std::vector<int> list_tasks(int pid) {
  std::vector<int> tids;
  std::string path = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return tids;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9')
      tids.push_back(std::atoi(entry->d_name));
  }
  closedir(dir);
  std::sort(tids.begin(), tids.end());
  return tids;
}

// Reads a whole /proc file into buffer; returns its length (0 on error).
std::size_t read_proc(int pid, int tid, const char* leaf, std::vector<char>& buffer) {
  char path[96];
  std::snprintf(path, sizeof path, "/proc/%d/task/%d/%s", pid, tid, leaf);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::size_t used = 0;
  for (;;) {
    if (used == buffer.size()) buffer.resize(buffer.size() * 2);
    ssize_t got = read(fd, buffer.data() + used, buffer.size() - used);
    if (got <= 0) break;
    used += static_cast<std::size_t>(got);
  }
  close(fd);
  return used;
}

struct Stopped {
  int tid = 0;
  bool seized = false;
  bool stopped = false;
  Clock::time_point stop_begin;
  Clock::time_point stop_end;
  user_regs_struct regs{};
};

bool seize_and_interrupt(Stopped& t) {
  if (ptrace(PTRACE_SEIZE, t.tid, nullptr, nullptr) != 0) return false;
  t.seized = true;
  t.stop_begin = Clock::now();
  return ptrace(PTRACE_INTERRUPT, t.tid, nullptr, nullptr) == 0;
}

bool wait_stop(Stopped& t) {
  int status = 0;
  for (;;) {
    pid_t got = waitpid(t.tid, &status, __WALL);
    if (got == t.tid && WIFSTOPPED(status)) {
      t.stopped = true;
      return true;
    }
    if (got < 0 && errno != EINTR) return false;
    if (got == t.tid && (WIFEXITED(status) || WIFSIGNALED(status))) return false;
  }
}

std::size_t copy_stack(int pid, Stopped& t, std::vector<char>& buffer) {
  if (ptrace(PTRACE_GETREGS, t.tid, nullptr, &t.regs) != 0) return 0;
  iovec local{buffer.data(), buffer.size()};
  iovec remote{reinterpret_cast<void*>(t.regs.rsp), buffer.size()};
  ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  return got > 0 ? static_cast<std::size_t>(got) : 0;
}

void detach(Stopped& t) {
  if (t.seized) ptrace(PTRACE_DETACH, t.tid, nullptr, nullptr);
  t.stop_end = Clock::now();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: floor PID [--mode each|all] [--reads stack|all] [--copy BYTES]\n");
    return 64;
  }
  int pid = std::atoi(argv[1]);
  bool all_mode = false;
  bool all_reads = false;
  std::size_t copy_bytes = 8192;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--mode" && i + 1 < argc) {
      all_mode = std::string(argv[++i]) == "all";
    } else if (arg == "--reads" && i + 1 < argc) {
      all_reads = std::string(argv[++i]) == "all";
    } else if (arg == "--copy" && i + 1 < argc) {
      copy_bytes = static_cast<std::size_t>(std::atol(argv[++i]));
    } else {
      std::fprintf(stderr, "floor: unknown argument %s\n", argv[i]);
      return 64;
    }
  }

  auto start = Clock::now();
  std::vector<char> text(4096);
  std::vector<char> stack(copy_bytes);
  std::size_t bytes_read = 0;
  std::vector<Stopped> threads;
  for (int tid : list_tasks(pid)) {
    Stopped t;
    t.tid = tid;
    threads.push_back(t);
  }
  if (threads.empty()) {
    std::fprintf(stderr, "floor: no such process %d\n", pid);
    return 2;
  }

  auto read_before = [&](const Stopped& t) {
    bytes_read += read_proc(pid, t.tid, "stack", text);
    if (all_reads) {
      bytes_read += read_proc(pid, t.tid, "stat", text);
      bytes_read += read_proc(pid, t.tid, "syscall", text);
      bytes_read += read_proc(pid, t.tid, "wchan", text);
    }
  };

  int failures = 0;
  if (!all_mode) {
    for (auto& t : threads) {
      read_before(t);
      if (seize_and_interrupt(t) && wait_stop(t)) {
        bytes_read += copy_stack(pid, t, stack);
      } else {
        ++failures;
      }
      detach(t);
    }
  } else {
    for (auto& t : threads) read_before(t);
    for (auto& t : threads) {
      if (!seize_and_interrupt(t)) ++failures;
    }
    for (auto& t : threads) {
      if (t.seized && !wait_stop(t)) ++failures;
    }
    for (auto& t : threads) {
      if (t.stopped) bytes_read += copy_stack(pid, t, stack);
    }
    for (auto& t : threads) detach(t);
  }
  auto end = Clock::now();

  double max_stop = 0;
  Clock::time_point first = end;
  Clock::time_point last = start;
  for (const auto& t : threads) {
    if (!t.seized) continue;
    max_stop = std::max(max_stop, micros(t.stop_end - t.stop_begin));
    first = std::min(first, t.stop_begin);
    last = std::max(last, t.stop_end);
  }
  std::printf(
      "floor mode=%s reads=%s threads=%zu wall_ms=%.3f max_stop_us=%.1f whole_stop_us=%.1f "
      "failures=%d bytes=%zu\n",
      all_mode ? "all" : "each", all_reads ? "all" : "stack", threads.size(),
      micros(end - start) / 1000.0, max_stop, first < last ? micros(last - first) : 0.0, failures,
      bytes_read);
  return failures == 0 ? 0 : 1;
}
