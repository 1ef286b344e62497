// Benchmark target: N threads, each blocked in one of five calls (round robin):
//   futex (pthread_cond_wait), pipe read, nanosleep, accept, epoll_wait
// behind 3-5 named noinline frames. Build -O1 -g -fomit-frame-pointer.
//
//   many_threads N [--mode blocked|ticking] [--tick-ms MS] [--stack-kib KIB]
//
// blocked (default): every thread waits forever; the profile a debugger meets on a
//   hung server, and the one the timings use.
// ticking: every thread waits with a timeout of --tick-ms (default 10) against an
//   absolute deadline and records how late it woke up: a ptrace stop that spans a
//   deadline shows up as lateness. epoll waits that return EINTR (what a ptrace
//   stop does to epoll_wait) are counted. Note that in ticking mode a thread leaves
//   its wait every tick, so its profile differs (pipe threads ppoll() the pipe
//   instead of read(), and voluntary_ctxt_switches moves every tick).
//
// Prints "ready pid=P n=N mode=M tick_ms=T" once every thread is asleep in its call.
// Reads commands on stdin (one per line); SIGUSR1 is the same as "report":
//   report   print one line "report seq=K max_late_us=... p99_late_us=... late_over_1ms=...
//            eintr=... kinds=futex:..,pipe:..,sleep:..,accept:..,epoll:.." and reset
//   reset    reset the per-thread maxima
//   quit     exit
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa))
#define KEEP() asm volatile("")

enum kind { K_FUTEX, K_PIPE, K_SLEEP, K_ACCEPT, K_EPOLL, K_COUNT };
static const char* const kind_names[K_COUNT] = {"futex", "pipe", "sleep", "accept", "epoll"};

struct slot {
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  _Atomic int64_t max_late_ns;
  _Atomic int64_t eintr;
  int kind;
  int depth;
  _Atomic pid_t tid;
} __attribute__((aligned(64)));

static struct slot* slots;
static int nthreads;
static int ticking;
static int64_t tick_ns = 10 * 1000000LL;
static int pipe_fds[2];
static int listen_fd;
static int epoll_fd;
static _Atomic int started;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct timespec to_timespec(int64_t ns) {
  struct timespec ts = {.tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL};
  return ts;
}

static void record_late(struct slot* s, int64_t deadline) {
  int64_t late = now_ns() - deadline;
  int64_t old = atomic_load_explicit(&s->max_late_ns, memory_order_relaxed);
  while (late > old &&
         !atomic_compare_exchange_weak_explicit(&s->max_late_ns, &old, late, memory_order_relaxed,
                                                memory_order_relaxed)) {
  }
}

// ---- the innermost frame of each kind: makes the blocking call ----------------
NOINLINE static void futex_block(struct slot* s) {
  pthread_mutex_lock(&s->mutex);
  if (!ticking) {
    for (;;) pthread_cond_wait(&s->cond, &s->mutex);
  }
  for (;;) {
    int64_t deadline = now_ns() + tick_ns;
    struct timespec ts = to_timespec(deadline);
    while (pthread_cond_timedwait(&s->cond, &s->mutex, &ts) != ETIMEDOUT) {
    }
    record_late(s, deadline);
  }
  KEEP();
}

NOINLINE static void pipe_block(struct slot* s) {
  char byte;
  if (!ticking) {
    for (;;) {
      ssize_t got = read(pipe_fds[0], &byte, 1);
      KEEP();
      if (got == 0) pause();
    }
  }
  for (;;) {
    int64_t deadline = now_ns() + tick_ns;
    for (;;) {
      int64_t left = deadline - now_ns();
      if (left < 0) left = 0;
      struct timespec ts = to_timespec(left);
      struct pollfd p = {.fd = pipe_fds[0], .events = POLLIN};
      int rc = ppoll(&p, 1, &ts, NULL);
      if (rc == 0) break;
      if (rc < 0 && errno == EINTR) atomic_fetch_add(&s->eintr, 1);
    }
    record_late(s, deadline);
  }
  KEEP();
}

NOINLINE static void sleep_block(struct slot* s) {
  if (!ticking) {
    for (;;) {
      struct timespec ts = {.tv_sec = 1000000, .tv_nsec = 0};
      nanosleep(&ts, NULL);
      KEEP();
    }
  }
  for (;;) {
    int64_t deadline = now_ns() + tick_ns;
    struct timespec ts = to_timespec(deadline);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
      atomic_fetch_add(&s->eintr, 1);
    }
    record_late(s, deadline);
  }
  KEEP();
}

NOINLINE static void accept_block(struct slot* s) {
  // Ticking: the listening socket has SO_RCVTIMEO = tick, so accept() returns EAGAIN
  // every tick. That timeout is kept in jiffies: accept threads wake up to one jiffy
  // late even with no debugger attached (see the "no tool" baseline).
  for (;;) {
    int64_t deadline = now_ns() + tick_ns;
    int fd = accept(listen_fd, NULL, NULL);
    KEEP();
    if (fd >= 0) {
      close(fd);
      continue;
    }
    if (errno == EINTR) atomic_fetch_add(&s->eintr, 1);
    if (ticking && (errno == EAGAIN || errno == EWOULDBLOCK)) record_late(s, deadline);
  }
}

NOINLINE static void epoll_block(struct slot* s) {
  struct epoll_event event;
  if (!ticking) {
    for (;;) {
      int rc = epoll_wait(epoll_fd, &event, 1, -1);
      KEEP();
      if (rc < 0 && errno == EINTR) atomic_fetch_add(&s->eintr, 1);
    }
  }
  for (;;) {
    int64_t deadline = now_ns() + tick_ns;
    for (;;) {
      int64_t left = deadline - now_ns();
      if (left < 0) left = 0;
      struct timespec ts = to_timespec(left);
      int rc = epoll_pwait2(epoll_fd, &event, 1, &ts, NULL);
      if (rc == 0) break;
      if (rc < 0 && errno == EINTR) atomic_fetch_add(&s->eintr, 1);  // a ptrace stop did this
    }
    record_late(s, deadline);
  }
}

// ---- named frames above it: depth 3..5 (block + 2..4 of these) ----------------
// depth 3: outer -> inner -> block; 4: outer -> middle -> inner -> block; 5: two middles.
#define CHAIN(kind)                                              \
  NOINLINE static void kind##_inner(struct slot* s) {            \
    kind##_block(s);                                             \
    KEEP();                                                      \
  }                                                              \
  NOINLINE static void kind##_middle(struct slot* s, int hops) { \
    if (hops > 1)                                                \
      kind##_middle(s, hops - 1);                                \
    else                                                         \
      kind##_inner(s);                                           \
    KEEP();                                                      \
  }                                                              \
  NOINLINE static void kind##_outer(struct slot* s) {            \
    if (s->depth > 3)                                            \
      kind##_middle(s, s->depth - 3);                            \
    else                                                         \
      kind##_inner(s);                                           \
    KEEP();                                                      \
  }
CHAIN(futex)
CHAIN(pipe)
CHAIN(sleep)
CHAIN(accept)
CHAIN(epoll)

NOINLINE static void* worker_main(void* arg) {
  struct slot* s = arg;
  atomic_store(&s->tid, gettid());
  atomic_fetch_add(&started, 1);
  switch (s->kind) {
    case K_FUTEX:
      futex_outer(s);
      break;
    case K_PIPE:
      pipe_outer(s);
      break;
    case K_SLEEP:
      sleep_outer(s);
      break;
    case K_ACCEPT:
      accept_outer(s);
      break;
    default:
      epoll_outer(s);
      break;
  }
  KEEP();
  return NULL;
}

static int thread_state(pid_t tid) {
  char path[64], text[512];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return '?';
  ssize_t got = read(fd, text, sizeof text - 1);
  close(fd);
  if (got <= 0) return '?';
  text[got] = 0;
  char* close_paren = strrchr(text, ')');
  return close_paren && close_paren[1] ? close_paren[2] : '?';
}

static int compare_i64(const void* a, const void* b) {
  int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return (x > y) - (x < y);
}

static int report_seq;
static void report(void) {
  int64_t* lates = malloc(sizeof(int64_t) * (size_t)nthreads);
  int64_t kind_max[K_COUNT] = {0};
  int64_t eintr = 0, over_1ms = 0;
  for (int i = 0; i < nthreads; ++i) {
    int64_t late = atomic_exchange(&slots[i].max_late_ns, 0);
    eintr += atomic_exchange(&slots[i].eintr, 0);
    lates[i] = late;
    if (late > kind_max[slots[i].kind]) kind_max[slots[i].kind] = late;
    if (late > 1000000) ++over_1ms;
  }
  qsort(lates, (size_t)nthreads, sizeof *lates, compare_i64);
  int64_t max = lates[nthreads - 1];
  int64_t p99 = lates[(nthreads - 1) * 99 / 100];
  int64_t p50 = lates[(nthreads - 1) / 2];
  printf(
      "report seq=%d max_late_us=%lld p99_late_us=%lld p50_late_us=%lld late_over_1ms=%lld "
      "eintr=%lld kinds=",
      ++report_seq, (long long)(max / 1000), (long long)(p99 / 1000), (long long)(p50 / 1000),
      (long long)over_1ms, (long long)eintr);
  for (int k = 0; k < K_COUNT; ++k) {
    printf("%s%s:%lld", k ? "," : "", kind_names[k], (long long)(kind_max[k] / 1000));
  }
  printf("\n");
  fflush(stdout);
  free(lates);
}

static void reset(void) {
  for (int i = 0; i < nthreads; ++i) {
    atomic_store(&slots[i].max_late_ns, 0);
    atomic_store(&slots[i].eintr, 0);
  }
}

static void usage(void) {
  fprintf(stderr,
          "usage: many_threads N [--mode blocked|ticking] [--tick-ms MS] [--stack-kib KIB]\n");
  exit(64);
}

int main(int argc, char** argv) {
  if (argc < 2) usage();
  nthreads = atoi(argv[1]);
  long stack_kib = 64;
  if (nthreads < 1 || nthreads > 100000) usage();
  for (int i = 2; i < argc; ++i) {
    if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
      ++i;
      if (!strcmp(argv[i], "ticking"))
        ticking = 1;
      else if (strcmp(argv[i], "blocked"))
        usage();
    } else if (!strcmp(argv[i], "--tick-ms") && i + 1 < argc) {
      tick_ns = atoll(argv[++i]) * 1000000LL;
      if (tick_ns <= 0) usage();
    } else if (!strcmp(argv[i], "--stack-kib") && i + 1 < argc) {
      stack_kib = atol(argv[++i]);
    } else {
      usage();
    }
  }

  // Enough file descriptors and processes for 10,000 threads (as root).
  struct rlimit limit = {.rlim_cur = RLIM_INFINITY, .rlim_max = RLIM_INFINITY};
  setrlimit(RLIMIT_NPROC, &limit);

  // SIGUSR1 = "report", read through a signalfd by the main thread; blocked in all
  // threads (inherited by every thread created below).
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);
  int signal_fd = signalfd(-1, &usr1, SFD_CLOEXEC);

  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    perror("pipe");
    return 2;
  }
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listen_fd, (struct sockaddr*)&address, sizeof address) != 0 ||
      listen(listen_fd, 16) != 0) {
    perror("listen");
    return 2;
  }
  if (ticking) {
    struct timeval timeout = {.tv_sec = tick_ns / 1000000000LL,
                              .tv_usec = (tick_ns % 1000000000LL) / 1000};
    setsockopt(listen_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }

  slots = aligned_alloc(64, sizeof(struct slot) * (size_t)nthreads);
  memset(slots, 0, sizeof(struct slot) * (size_t)nthreads);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, (size_t)stack_kib * 1024);
  pthread_condattr_t cond_attr;
  pthread_condattr_init(&cond_attr);
  pthread_condattr_setclock(&cond_attr, CLOCK_MONOTONIC);
  for (int i = 0; i < nthreads; ++i) {
    struct slot* s = &slots[i];
    pthread_mutex_init(&s->mutex, NULL);
    pthread_cond_init(&s->cond, &cond_attr);
    s->kind = i % K_COUNT;
    s->depth = 3 + (i / K_COUNT) % 3;  // 3, 4 or 5 named frames
    pthread_t thread;
    int rc = pthread_create(&thread, &attr, worker_main, s);
    if (rc != 0) {
      fprintf(stderr, "pthread_create #%d: %s\n", i, strerror(rc));
      return 2;
    }
    char name[16];
    snprintf(name, sizeof name, "%s-%d", kind_names[s->kind], i);
    pthread_setname_np(thread, name);
  }
  // Ready once every thread is asleep ('S') in its call.
  while (atomic_load(&started) < nthreads) usleep(1000);
  for (int i = 0; i < nthreads; ++i) {
    for (int tries = 0; thread_state(atomic_load(&slots[i].tid)) != 'S' && tries < 5000; ++tries) {
      usleep(1000);
    }
  }
  if (ticking) {
    usleep((useconds_t)(2 * tick_ns / 1000));  // let start-up lateness pass, then start clean
    reset();
  }
  printf("ready pid=%d n=%d mode=%s tick_ms=%lld\n", getpid(), nthreads,
         ticking ? "ticking" : "blocked", (long long)(tick_ns / 1000000));
  fflush(stdout);

  char line[256];
  size_t used = 0;
  for (;;) {
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = signal_fd, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      if (read(signal_fd, &info, sizeof info) > 0) report();
    }
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      ssize_t got = read(0, line + used, sizeof line - 1 - used);
      if (got <= 0) {  // stdin closed: keep serving SIGUSR1 only
        for (;;) {
          struct signalfd_siginfo info;
          if (read(signal_fd, &info, sizeof info) > 0) report();
        }
      }
      used += (size_t)got;
      line[used] = 0;
      char* newline;
      while ((newline = strchr(line, '\n')) != NULL) {
        *newline = 0;
        if (!strcmp(line, "report"))
          report();
        else if (!strcmp(line, "reset"))
          reset();
        else if (!strcmp(line, "quit"))
          return 0;
        size_t rest = used - (size_t)(newline + 1 - line);
        memmove(line, newline + 1, rest);
        used = rest;
        line[used] = 0;
      }
      if (used == sizeof line - 1) used = 0;
    }
  }
}
