#include "tests/model/sample_snapshot.h"

#include <charconv>
#include <initializer_list>
#include <iterator>
#include <string_view>
#include <utility>

namespace ukstack::testing {
namespace {

Frame kernel_frame(std::string function, std::uint64_t offset, std::uint64_t size) {
  Frame frame;
  frame.function = std::move(function);
  frame.offset = offset;
  frame.size = size;
  return frame;
}

Frame user_frame(std::uint64_t pc, std::string function, std::uint64_t offset, std::string module) {
  Frame frame;
  frame.pc = pc;
  frame.function = std::move(function);
  frame.offset = offset;
  frame.module = std::move(module);
  return frame;
}

WaitHolder holder(int pid, std::optional<int> tid, std::string name, std::string state) {
  return WaitHolder{.pid = pid,
                    .tid = tid,
                    .name = std::move(name),
                    .state = std::move(state),
                    .syscall = std::nullopt};
}

Wait wait(WaitKind kind, std::optional<std::uint64_t> address, std::string description,
          std::vector<WaitHolder> holders, std::optional<std::string> reason) {
  return Wait{.kind = kind,
              .address = address,
              .description = std::move(description),
              .holders = std::move(holders),
              .reason = std::move(reason)};
}

constexpr std::string_view kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
constexpr std::string_view kServer = "/usr/sbin/kvserver";

std::vector<Frame> kernel_frames(std::initializer_list<std::string_view> functions) {
  std::vector<Frame> frames;
  std::uint64_t offset = 0x1d;
  for (std::string_view function : functions) {
    frames.push_back(kernel_frame(std::string(function), offset, offset * 8));
    offset += 0x31;
  }
  return frames;
}

// User frames from the innermost: {function, module}.
std::vector<Frame> user_frames(
    std::initializer_list<std::pair<std::string_view, std::string_view>> frames) {
  std::vector<Frame> out;
  std::uint64_t pc = 0x7f3a12340000;
  for (const auto& [function, module] : frames) {
    out.push_back(user_frame(pc, std::string(function), 0x40, std::string(module)));
    out.back().found_by = out.size() == 1 ? FoundBy::Context : FoundBy::Cfi;
    pc += 0x1230;
  }
  return out;
}

Thread blocked(int tid, std::string name, SyscallInfo syscall, std::vector<Frame> kernel,
               std::vector<Frame> user) {
  Thread t;
  t.tid = tid;
  t.name = std::move(name);
  t.state = "S";
  t.syscall = std::move(syscall);
  t.kernel.method = StackMethod::Procfs;
  t.kernel.frames = std::move(kernel);
  t.user.method = StackMethod::Nostop;
  t.user.frames = std::move(user);
  t.progress = Progress::Stuck;
  return t;
}

SyscallInfo call(long nr, std::string name, std::vector<std::uint64_t> args,
                 std::vector<FdDescription> fds = {}) {
  SyscallInfo info;
  info.nr = nr;
  info.name = std::move(name);
  info.args = std::move(args);
  info.fds = std::move(fds);
  return info;
}

FdDescription fd(int arg, int number, std::string target, std::string description) {
  FdDescription d;
  d.arg = arg;
  d.fd = number;
  d.target = std::move(target);
  d.description = std::move(description);
  return d;
}

Thread futex_waiter(int tid, std::string name, std::uint64_t address,
                    std::initializer_list<std::pair<std::string_view, std::string_view>> user) {
  Thread t = blocked(tid, std::move(name), call(202, "futex", {address, 0x80, 2, 0, 0, 0}),
                     kernel_frames({"futex_wait_queue", "futex_wait", "do_futex", "__x64_sys_futex",
                                    "do_syscall_64", "entry_SYSCALL_64_after_hwframe"}),
                     user_frames(user));
  t.wchan = "futex_wait_queue";
  return t;
}

Wait mutex_held_by(std::uint64_t address, int pid, int tid, std::string holder_name) {
  Wait wait;
  wait.kind = WaitKind::Mutex;
  wait.address = address;
  char digits[16];
  char* end = std::to_chars(std::begin(digits), std::end(digits), address, 16).ptr;
  wait.description = "mutex 0x" + std::string(digits, end);
  WaitHolder holder;
  holder.pid = pid;
  holder.tid = tid;
  holder.name = std::move(holder_name);
  holder.state = "S";
  wait.holders.push_back(std::move(holder));
  return wait;
}

}  // namespace

Snapshot sample_snapshot() {
  Snapshot s;
  s.source = SnapshotSource::Live;
  s.captured_at = "2026-11-27T23:40:00Z";
  s.kernel = "6.1.0-18-amd64";
  s.arch = "x86_64";
  s.process = {.pid = 4242,
               .exe = "/usr/bin/accept_server",
               .cmdline = {"/usr/bin/accept_server", "--port", "1337"},
               .name = "accept_server"};

  Thread accept;
  accept.tid = 4242;
  accept.name = "accept_server";
  accept.state = "S";
  accept.wchan = "inet_csk_accept";
  accept.syscall = SyscallInfo{.nr = 43,
                               .name = "accept",
                               .args = {3, 0, 0, 0, 0, 0},
                               .fds = {{.arg = 0,
                                        .fd = 3,
                                        .target = "socket:[81234]",
                                        .description = "tcp 127.0.0.1:1337 LISTEN"}}};
  accept.kernel.method = StackMethod::Procfs;
  accept.kernel.frames = {kernel_frame("inet_csk_accept", 0x1f2, 0x3b0),
                          kernel_frame("inet_accept", 0x4e, 0x130),
                          kernel_frame("do_accept", 0xc2, 0x1a0),
                          kernel_frame("entry_SYSCALL_64_after_hwframe", 0x76, 0xe0)};
  accept.user.method = StackMethod::Libdw;
  Frame server =
      user_frame(0x55d0c0de1189, "server_accept_and_close", 0x2d, "/build/fixtures/accept_server");
  server.file = "accept_server.c";
  server.line = 31;
  server.found_by = FoundBy::Cfi;
  Frame inlined = server;
  inlined.function = "accept_one";
  inlined.offset = 0;  // an inlined call shares its caller's pc: no offset of its own
  inlined.line = 24;
  inlined.inlined = true;
  Frame main_frame = user_frame(0x55d0c0de11c0, "main", 0x1e, "/build/fixtures/accept_server");
  main_frame.file = "accept_server.c";
  main_frame.line = 45;
  main_frame.found_by = FoundBy::Cfi;
  Frame accept_frame =
      user_frame(0x7f3a12345b1b, "accept", 0x1b, "/usr/lib/x86_64-linux-gnu/libc.so.6");
  accept_frame.found_by = FoundBy::Context;
  accept.user.frames = {accept_frame, inlined, server, main_frame};

  Thread running;
  running.tid = 4243;
  running.name = "worker";
  running.state = "R";
  running.kernel.method = StackMethod::Procfs;
  running.user.method = StackMethod::Libdw;
  // spin has no CFI: its caller, in anonymous memory, was found through rbp.
  Frame spin = user_frame(0x55d0c0de1300, "spin", 0x8, "/build/fixtures/accept_server");
  spin.found_by = FoundBy::Context;
  Frame unknown;
  unknown.pc = 0x7f3a00001000;
  unknown.found_by = FoundBy::FramePointer;
  running.user.frames = {spin, unknown};
  running.user.error = "unwinding stopped: no CFI for 0x7f3a00001000";

  Thread no_root;
  no_root.tid = 4244;
  no_root.name = "poller";
  no_root.state = "S";
  no_root.wchan = "do_epoll_wait";
  no_root.syscall = SyscallInfo{
      .nr = 232,
      .name = "epoll_wait",
      .args = {5, 0x7ffd1000, 16, 0xffffffffffffffff, 0, 0},
      .fds = {{.arg = 0, .fd = 5, .target = "anon_inode:[eventpoll]", .description = "epoll"}}};
  no_root.kernel.method = StackMethod::None;
  no_root.kernel.error = "kernel stack needs root (CAP_SYS_ADMIN)";
  no_root.user.method = StackMethod::Nostop;
  no_root.user.frames = {
      user_frame(0x7f3a12346000, "epoll_wait", 0x4a, "/usr/lib/x86_64-linux-gnu/libc.so.6")};
  no_root.notes = {"unwound without stopping the thread"};

  Thread nfs;
  nfs.tid = 4245;
  nfs.name = "reader";
  nfs.state = "D";
  nfs.syscall = SyscallInfo{.nr = 999, .name = "", .args = {7, 1, 2, 3, 4, 5}, .fds = {}};
  nfs.kernel.method = StackMethod::Procfs;
  Frame module_frame = kernel_frame("nfs_wait_bit_killable", 0x21, 0x90);
  module_frame.module = "nfs";
  module_frame.pc = 0xffffffffc0a01234;
  nfs.kernel.frames = {module_frame};
  nfs.user.method = StackMethod::Nostop;
  nfs.user.frames = {user_frame(0x7f3a12347000, "syscall", 0x1d, "/usr/lib/libc.so.6")};

  Thread exited;
  exited.tid = 4246;
  exited.name = "gone";
  exited.state = "X";
  exited.kernel.method = StackMethod::None;
  exited.kernel.error = "thread exited during capture";
  exited.user.method = StackMethod::None;
  exited.user.error = "thread exited during capture";

  s.threads = {accept, running, no_root, nfs, exited};
  return s;
}

Snapshot core_snapshot() {
  Snapshot s;
  s.source = SnapshotSource::Core;
  s.core_file = "core.13654";
  s.captured_at = "2026-11-27T23:40:00Z";
  s.arch = "x86_64";
  s.process = {
      .pid = 13654, .exe = "/usr/bin/crasher", .cmdline = {"./crasher", "-x"}, .name = "crasher"};
  for (int tid : {13654, 13655}) {
    Thread thread;
    thread.tid = tid;
    thread.name = "crasher";
    thread.kernel.method = StackMethod::None;
    thread.user.method = StackMethod::Libdw;
    thread.user.frames.push_back(user_frame(0x4006c8, "fu(int)", 0x38, "/usr/bin/crasher"));
    thread.user.frames.push_back(user_frame(0x4004c5, "main", 0x5, "/usr/bin/crasher"));
    s.threads.push_back(std::move(thread));
  }
  s.threads[0].notes.push_back("SIGFPE (8) was being delivered when the core was written");
  s.threads[1].user.frames.push_back(user_frame(0x3ab7421d65, "", 0, "/usr/lib64/libc-2.18.so"));
  s.threads[1].user.error = "unwind stopped: no unwind information for /usr/lib64/libc-2.18.so";
  return s;
}

Snapshot waiting_snapshot() {
  Snapshot s;
  s.source = SnapshotSource::Live;
  s.captured_at = "2026-12-02T09:15:00Z";
  s.kernel = "6.1.0-18-amd64";
  s.arch = "x86_64";
  s.engine = "procfs";
  s.process = {.pid = 5000, .exe = "/usr/bin/bank", .cmdline = {"bank"}, .name = "bank"};
  s.samples = SampleInfo{.count = 5, .interval_ms = 100};

  const std::string libc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
  const auto locking_thread = [&](int tid, std::string name, std::string caller,
                                  std::uint64_t lock) {
    Thread thread;
    thread.tid = tid;
    thread.name = std::move(name);
    thread.state = "S";
    thread.wchan = "futex_wait_queue";
    thread.syscall =
        SyscallInfo{.nr = 202, .name = "futex", .args = {lock, 0x80, 2, 0, 0, 0}, .fds = {}};
    thread.kernel.method = StackMethod::Procfs;
    thread.kernel.frames = {kernel_frame("futex_wait_queue", 0x60, 0xa0),
                            kernel_frame("futex_wait", 0xd3, 0x210)};
    thread.user.method = StackMethod::Nostop;
    thread.user.frames = {user_frame(0x7f3a12399e96, "__lll_lock_wait", 0x36, libc),
                          user_frame(0x7f3a123a0e51, "pthread_mutex_lock", 0x91, libc),
                          user_frame(0x55d0c0de1400 + static_cast<std::uint64_t>(tid),
                                     std::move(caller), 0x2a, "/usr/bin/bank")};
    thread.progress = Progress::Stuck;
    return thread;
  };

  Thread leader;
  leader.tid = 5000;
  leader.name = "bank";
  leader.state = "S";
  leader.wchan = "pipe_read";
  leader.syscall = SyscallInfo{
      .nr = 0,
      .name = "read",
      .args = {4, 0x7ffd2000, 512, 0, 0, 0},
      .fds = {{.arg = 0, .fd = 4, .target = "pipe:[81234]", .description = "pipe:[81234]"}}};
  leader.kernel.method = StackMethod::Procfs;
  leader.kernel.frames = {kernel_frame("pipe_read", 0x2f1, 0x480)};
  leader.user.method = StackMethod::Nostop;
  leader.user.frames = {user_frame(0x7f3a1234f1b2, "read", 0x12, libc),
                        user_frame(0x55d0c0de1200, "main", 0x40, "/usr/bin/bank")};
  leader.waits_for = {
      wait(WaitKind::Pipe, std::nullopt, "pipe:[81234]",
           {holder(6001, std::nullopt, "sleep", "S"), holder(6002, std::nullopt, "logger", "R")},
           std::nullopt)};
  leader.progress = Progress::Stuck;

  // Each holds the mutex the other waits for: resources[i] is held by tids[i + 1].
  Thread teller_a = locking_thread(5001, "teller-a", "transfer", 0x55d0a0c0e040);
  teller_a.waits_for = {wait(WaitKind::Mutex, 0x55d0a0c0e040, "mutex 0x55d0a0c0e040",
                             {holder(5000, 5002, "teller-b", "S")}, std::nullopt)};
  Thread teller_b = locking_thread(5002, "teller-b", "transfer", 0x55d0a0c0e080);
  teller_b.waits_for = {wait(WaitKind::Mutex, 0x55d0a0c0e080, "mutex 0x55d0a0c0e080",
                             {holder(5000, 5001, "teller-a", "S")}, std::nullopt)};
  Thread auditor = locking_thread(5003, "auditor", "audit", 0x55d0a0c0e0c0);
  auditor.waits_for = {wait(WaitKind::Mutex, 0x55d0a0c0e0c0, "mutex 0x55d0a0c0e0c0", {},
                            "the mutex names owner 99999, which is not a thread of process 5000")};
  auditor.progress = Progress::Waking;

  Thread spinner;
  spinner.tid = 5004;
  spinner.name = "spinner";
  spinner.state = "R";
  spinner.kernel.method = StackMethod::Procfs;
  spinner.user.method = StackMethod::Libdw;
  spinner.user.frames = {user_frame(0x55d0c0de1300, "spin", 0x8, "/usr/bin/bank")};
  spinner.progress = Progress::Moving;

  s.threads = {leader, teller_a, teller_b, auditor, spinner};
  s.groups = {ThreadGroup{{5001, 5002}}, ThreadGroup{{5000}}, ThreadGroup{{5003}},
              ThreadGroup{{5004}}};
  s.deadlocks = {Deadlock{.tids = {5001, 5002},
                          .resources = {"mutex 0x55d0a0c0e040", "mutex 0x55d0a0c0e080"}}};
  return s;
}

Snapshot server_snapshot() {
  constexpr int kPid = 7100;
  Snapshot s;
  s.source = SnapshotSource::Live;
  s.captured_at = "2026-12-01T17:05:00Z";
  s.kernel = "6.1.0-28-amd64";
  s.arch = "x86_64";
  s.engine = "procfs";
  s.process = {.pid = kPid,
               .exe = std::string(kServer),
               .cmdline = {std::string(kServer), "--port", "8080"},
               .name = "kvserver"};
  s.samples = SampleInfo{.count = 5, .interval_ms = 100};

  Thread main_thread = blocked(
      kPid, "kvserver",
      call(43, "accept", {3, 0, 0, 0, 0, 0},
           {fd(0, 3, "socket:[412077]", "tcp 0.0.0.0:8080 LISTEN")}),
      kernel_frames({"inet_csk_accept", "inet_accept", "do_accept", "__sys_accept4",
                     "__x64_sys_accept", "do_syscall_64", "entry_SYSCALL_64_after_hwframe"}),
      user_frames({{"accept", kLibc},
                   {"accept_loop(int)", kServer},
                   {"main", kServer},
                   {"__libc_start_call_main", kLibc},
                   {"__libc_start_main_impl", kLibc},
                   {"_start", kServer}}));
  main_thread.wchan = "inet_csk_accept";
  s.threads.push_back(main_thread);

  for (int tid = kPid + 1; tid <= kPid + 12; ++tid) {
    s.threads.push_back(futex_waiter(tid, "worker", 0x55d0c0e0a0c8,
                                     {{"__futex_abstimed_wait_common", kLibc},
                                      {"___pthread_cond_wait", kLibc},
                                      {"WorkQueue::pop()", kServer},
                                      {"worker_main(void*)", kServer},
                                      {"start_thread", kLibc},
                                      {"clone3", kLibc}}));
  }

  constexpr std::uint64_t kCacheMutex = 0x55d0c0e0a040;
  constexpr int kFlusher = kPid + 17;
  for (int tid = kPid + 13; tid <= kPid + 16; ++tid) {
    Thread t = futex_waiter(tid, "worker", kCacheMutex,
                            {{"__lll_lock_wait", kLibc},
                             {"___pthread_mutex_lock", kLibc},
                             {"Cache::lookup(std::string const&)", kServer},
                             {"handle_request(Request&)", kServer},
                             {"worker_main(void*)", kServer},
                             {"start_thread", kLibc},
                             {"clone3", kLibc}});
    t.waits_for.push_back(mutex_held_by(kCacheMutex, kPid, kFlusher, "flusher"));
    s.threads.push_back(t);
  }

  Thread flusher = blocked(
      kFlusher, "flusher", call(230, "clock_nanosleep", {0, 0, 0x7f3a0fffed60, 0x7f3a0fffed60}),
      kernel_frames({"hrtimer_nanosleep", "common_nsleep", "__x64_sys_clock_nanosleep",
                     "do_syscall_64", "entry_SYSCALL_64_after_hwframe"}),
      user_frames({{"__GI___clock_nanosleep", kLibc},
                   {"__GI___nanosleep", kLibc},
                   {"sleep", kLibc},
                   {"Cache::flush()", kServer},
                   {"flusher_main(void*)", kServer},
                   {"start_thread", kLibc},
                   {"clone3", kLibc}}));
  flusher.wchan = "hrtimer_nanosleep";
  s.threads.push_back(flusher);

  // stats takes the stats lock then the registry lock; gc the other way round.
  constexpr std::uint64_t kStatsLock = 0x55d0c0e0a100;
  constexpr std::uint64_t kRegistryLock = 0x55d0c0e0a140;
  Thread stats = futex_waiter(kPid + 18, "stats", kRegistryLock,
                              {{"__lll_lock_wait", kLibc},
                               {"___pthread_mutex_lock", kLibc},
                               {"Registry::snapshot()", kServer},
                               {"Stats::publish()", kServer},
                               {"stats_main(void*)", kServer},
                               {"start_thread", kLibc},
                               {"clone3", kLibc}});
  stats.waits_for.push_back(mutex_held_by(kRegistryLock, kPid, kPid + 19, "gc"));
  s.threads.push_back(stats);
  Thread gc = futex_waiter(kPid + 19, "gc", kStatsLock,
                           {{"__lll_lock_wait", kLibc},
                            {"___pthread_mutex_lock", kLibc},
                            {"Stats::forget(int)", kServer},
                            {"Registry::sweep()", kServer},
                            {"gc_main(void*)", kServer},
                            {"start_thread", kLibc},
                            {"clone3", kLibc}});
  gc.waits_for.push_back(mutex_held_by(kStatsLock, kPid, kPid + 18, "stats"));
  s.threads.push_back(gc);

  Frame nfs = kernel_frame("nfs_wait_bit_killable", 0x21, 0x90);
  nfs.module = "nfs";
  Thread reader = blocked(
      kPid + 20, "io",
      call(0, "read", {9, 0x7f3a0e7fe000, 65536, 0, 0, 0}, {fd(0, 9, "/mnt/nfs/kv/data.db", "")}),
      {nfs, kernel_frame("__wait_on_bit", 0x7e, 0xb0), kernel_frame("nfs_file_read", 0x6d, 0x120)},
      user_frames({{"read", kLibc},
                   {"Store::load(Key const&)", kServer},
                   {"io_main(void*)", kServer},
                   {"start_thread", kLibc},
                   {"clone3", kLibc}}));
  reader.state = "D";
  s.threads.push_back(reader);

  Thread timer = blocked(kPid + 21, "timer",
                         call(232, "epoll_wait", {11, 0x7f3a0dffd000, 64, 20, 0, 0},
                              {fd(0, 11, "anon_inode:[eventpoll]", "epoll")}),
                         kernel_frames({"ep_poll", "do_epoll_wait", "__x64_sys_epoll_wait",
                                        "do_syscall_64", "entry_SYSCALL_64_after_hwframe"}),
                         user_frames({{"epoll_wait", kLibc},
                                      {"EventLoop::run_once(std::chrono::duration<long, "
                                       "std::ratio<1l, 1000l> >)",
                                       kServer},
                                      {"timer_main(void*)", kServer},
                                      {"start_thread", kLibc},
                                      {"clone3", kLibc}}));
  timer.wchan = "ep_poll";
  timer.progress = Progress::Waking;
  s.threads.push_back(timer);
  return s;
}

Snapshot go_snapshot() {
  Snapshot s;
  s.source = SnapshotSource::Live;
  s.captured_at = "2026-12-02T09:30:00Z";
  s.kernel = "6.1.0-18-amd64";
  s.arch = "x86_64";
  s.engine = "procfs";
  const std::string exe = "/srv/gosrv";
  s.process = {.pid = 5000, .exe = exe, .cmdline = {"gosrv"}, .name = "gosrv"};
  for (int tid : {5000, 5001, 5002, 5003}) {
    Thread thread;
    thread.tid = tid;
    thread.name = "gosrv";
    thread.state = tid == 5003 ? "R" : "S";
    thread.kernel.method = StackMethod::Procfs;
    thread.user.method = StackMethod::Nostop;
    if (tid == 5003) {
      thread.user.frames = {user_frame(0x4a1000, "main.spin", 0x12, exe),
                            user_frame(0x431fc1, "runtime.goexit", 0x1, exe)};
      thread.go_goroutine = 20;
    } else {
      thread.syscall =
          SyscallInfo{.nr = 202, .name = "futex", .args = {0x5afcf8, 0x80, 0, 0, 0, 0}, .fds = {}};
      thread.kernel.frames = {kernel_frame("futex_wait_queue", 0x60, 0xa0)};
      thread.user.frames = {user_frame(0x4321e3, "runtime.futex", 0x23, exe),
                            user_frame(0x40a1cf, "runtime.futexsleep", 0xaf, exe)};
      thread.go_goroutine.emplace();  // a Go thread, idle
    }
    s.threads.push_back(std::move(thread));
  }
  const auto goroutine = [&](std::uint64_t goid, std::string status, std::string reason,
                             std::vector<Frame> frames) {
    Goroutine g;
    g.goid = goid;
    g.status = std::move(status);
    g.wait_reason = std::move(reason);
    g.stack.method = StackMethod::Libdw;
    g.stack.frames = std::move(frames);
    return g;
  };
  const Frame gopark = user_frame(0x4361b6, "runtime.gopark", 0xd6, exe);
  const Frame goexit = user_frame(0x464e01, "runtime.goexit", 0x1, exe);
  Goroutine accept = goroutine(1, "waiting", "IO wait",
                               {gopark, user_frame(0x42f4d7, "runtime.netpollblock", 0xf7, exe),
                                user_frame(0x460a29, "internal/poll.runtime_pollWait", 0x89, exe),
                                user_frame(0x4bd5dd, "net.(*TCPListener).Accept", 0x3d, exe),
                                user_frame(0x4c1f39, "main.main", 0x2b9, exe),
                                user_frame(0x438b52, "runtime.main", 0x212, exe), goexit});
  accept.stack.frames[4].file = "/srv/src/main.go";
  accept.stack.frames[4].line = 33;
  s.goroutines.push_back(std::move(accept));
  Goroutine gc =
      goroutine(2, "waiting", "force gc (idle)",
                {gopark, user_frame(0x436573, "runtime.forcegchelper", 0xb3, exe), goexit});
  Frame creator = user_frame(0x4c1e10, "runtime.init.6", 0x0, exe);
  gc.created_by = creator;
  s.goroutines.push_back(std::move(gc));
  for (std::uint64_t goid : {6, 7, 8}) {
    Goroutine worker = goroutine(goid, "waiting", "chan receive",
                                 {gopark, user_frame(0x406a5d, "runtime.chanrecv", 0x2fd, exe),
                                  user_frame(0x4c2051, "main.worker", 0x51, exe), goexit});
    worker.wait_since = 1'000'000'000;
    worker.waited_ns = 12LL * 60 * 1'000'000'000 + 5;
    Frame by = user_frame(0x4c1e77, "main.main", 0x177, exe);
    by.file = "/srv/src/main.go";
    by.line = 27;
    worker.created_by = by;
    s.goroutines.push_back(std::move(worker));
  }
  Goroutine scavenger =
      goroutine(3, "waiting", "GC scavenge wait",
                {gopark, user_frame(0x4250c5, "runtime.bgscavenge", 0x45, exe), goexit});
  s.goroutines.push_back(std::move(scavenger));
  Goroutine spinning = goroutine(20, "running", "", s.threads[3].user.frames);
  spinning.tid = 5003;
  spinning.notes = {"running: its frames are those of thread 5003"};
  s.goroutines.push_back(std::move(spinning));

  s.goroutines_read = GoroutineRead::CheckedNoStop;
  s.goroutine_groups = {GoroutineGroup{{6, 7, 8}}, GoroutineGroup{{1}}, GoroutineGroup{{2}},
                        GoroutineGroup{{3}}, GoroutineGroup{{20}}};
  return s;
}

}  // namespace ukstack::testing
