// LD_PRELOAD shim that times, from the debugger's side, how long each thread of the
// target is held: from the ptrace request that stops it (PTRACE_INTERRUPT, or
// PTRACE_ATTACH, which sends SIGSTOP) to the return of the request that lets it go
// (PTRACE_DETACH, or PTRACE_CONT/PTRACE_KILL). Works for any tool that calls ptrace()
// through libc: ukstack, eu-stack (libdwfl), gdb.
//
//   PTRACE_CLOCK_LOG=file PTRACE_CLOCK_PID=target-pid LD_PRELOAD=./libptrace_clock.so tool ...
//
// At exit, appends one line to the file (only if something was stopped):
//   ptrace_clock tool=NAME stops=K max_stop_us=X whole_stop_us=Y max_held=Z
//   max_stop_us    the longest single stop of one thread
//   whole_stop_us  first stop request to last release (the whole-process hold when
//                  the tool stops everything first; the run's span otherwise)
//   max_held       most threads held at the same time
// Only threads of PTRACE_CLOCK_PID are counted (gdb also ptraces helper children).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define TABLE 65536  // > pid_max here is not needed: keyed by tid modulo, open addressing

struct entry {
  int tid;        // 0: empty
  int8_t target;  // -1 unknown, 0 no, 1 yes
  int8_t held;
  int64_t since;
};

static struct entry table[TABLE];
static long (*real_ptrace)(int, pid_t, void*, void*);
static int64_t first_stop = -1, last_release = -1, max_stop;
static long stops, held_now, max_held;
static int target_pid;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct entry* lookup(int tid) {
  unsigned index = (unsigned)tid % TABLE;
  for (unsigned probe = 0; probe < TABLE; ++probe, index = (index + 1) % TABLE) {
    if (table[index].tid == tid) return &table[index];
    if (table[index].tid == 0) {
      table[index].tid = tid;
      table[index].target = -1;
      return &table[index];
    }
  }
  return NULL;
}

static int is_target(struct entry* e) {
  if (e->target < 0) {
    if (target_pid <= 0) {
      e->target = 1;
    } else {
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/task/%d", target_pid, e->tid);
      e->target = access(path, F_OK) == 0;
    }
  }
  return e->target;
}

long ptrace(enum __ptrace_request request, ...) {
  va_list args;
  va_start(args, request);
  pid_t tid = va_arg(args, pid_t);
  void* addr = va_arg(args, void*);
  void* data = va_arg(args, void*);
  va_end(args);
  if (real_ptrace == NULL)
    real_ptrace = (long (*)(int, pid_t, void*, void*))dlsym(RTLD_NEXT, "ptrace");

  int starts = request == PTRACE_INTERRUPT || request == PTRACE_ATTACH;
  int ends = request == PTRACE_DETACH || request == PTRACE_CONT || request == PTRACE_KILL;
  struct entry* e = (starts || ends) ? lookup(tid) : NULL;
  if (e && starts && is_target(e) && !e->held) {
    e->held = 1;
    e->since = now_ns();
    if (first_stop < 0) first_stop = e->since;
    ++stops;
    if (++held_now > max_held) max_held = held_now;
  }
  long result = real_ptrace(request, tid, addr, data);
  if (e && ends && e->held) {
    int64_t now = now_ns();
    e->held = 0;
    --held_now;
    if (now - e->since > max_stop) max_stop = now - e->since;
    last_release = now;
  }
  return result;
}

__attribute__((constructor)) static void start(void) {
  const char* pid = getenv("PTRACE_CLOCK_PID");
  target_pid = pid ? atoi(pid) : 0;
}

__attribute__((destructor)) static void finish(void) {
  const char* path = getenv("PTRACE_CLOCK_LOG");
  if (path == NULL || stops == 0) return;
  FILE* log = fopen(path, "a");
  if (log == NULL) return;
  char name[64] = "?";
  FILE* comm = fopen("/proc/self/comm", "r");
  if (comm) {
    if (fgets(name, sizeof name, comm)) name[strcspn(name, "\n")] = 0;
    fclose(comm);
  }
  fprintf(log,
          "ptrace_clock tool=%s stops=%ld max_stop_us=%.1f whole_stop_us=%.1f max_held=%ld "
          "unreleased=%ld\n",
          name, stops, (double)max_stop / 1000.0,
          last_release >= 0 ? (double)(last_release - first_stop) / 1000.0 : -1.0, max_held,
          held_now);
  fclose(log);
}
