// Never disturb, measured (issue 12, part 6): many `--stop auto` captures of targets
// whose threads all wait in the kernel (fixtures quiet_waits and quiet_vfork, each
// built with and without frame pointers), for each engine. Where the engine promises
// it: no thread stopped (every user half unwound by the engine's no-stop method), no
// EINTR, no early return, no thread ever seen in restart_syscall (what a wait with a
// timeout shows after a ptrace stop), and user stacks complete to main or clone3,
// the same in every capture and the same as gdb's (attached once, at the end: gdb
// stops every thread, so it comes after the counts are read).
//
// The procfs engine cannot promise it for the frame-pointer builds: /proc/<tid>/syscall
// shows sp, pc and the argument registers, not rbp, and the fixture's frames need rbp
// to unwind, so auto stops those threads (and epoll_wait returns EINTR after a ptrace
// stop) - the problem the BPF engine solves. There the test checks what procfs does
// promise (see promises()).
//
// The bpf variants skip until ukstack accepts --engine. UKSTACK_STRESS_CAPTURES sets
// the number of captures per case (default 1000, as the issue asks; at most 100 where
// no-stop is not promised).
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "fixtures/quiet_counters.h"
#include "tests/integration/capture_helpers.h"
#include "tests/model/schema_check.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

int capture_count() {
  const char* text = std::getenv("UKSTACK_STRESS_CAPTURES");
  if (text == nullptr || *text == '\0') return 1000;
  return std::max(1, std::atoi(text));
}

// True once the lead's BPF engine is merged: today's ukstack has no --engine.
bool ukstack_has_engine_flag() {
  static const bool has = run_ukstack({"--help"}).out.find("--engine") != std::string::npos;
  return has;
}

// --- what each case promises ---------------------------------------------------------

struct Case {
  const char* fixture;  // quiet_waits_fp, quiet_waits_nofp, quiet_vfork_fp, quiet_vfork_nofp
  const char* engine;   // procfs, bpf, auto (the default: /proc first, BPF on demand)
};

std::string case_name(const Case& c) { return std::string(c.fixture) + "_" + c.engine; }
void PrintTo(const Case& c, std::ostream* out) { *out << case_name(c); }  // for gtest and ctest

bool is_vfork_fixture(const Case& c) { return std::string(c.fixture).starts_with("quiet_vfork"); }
bool has_frame_pointers(const Case& c) { return std::string(c.fixture).ends_with("_fp"); }

struct Promises {
  bool no_stop = true;            // 0 stops, 0 EINTR, 0 early returns, no restart_syscall
  bool epoll_eintr_ok = false;    // epoll_wait may return EINTR (after a ptrace stop)
  bool parent_cut_short = false;  // the D-state vfork parent's user half ends early
  int exit_code = 0;
};

Promises promises(const Case& c) {
  Promises p;
  if (std::string(c.engine) != "procfs" || !has_frame_pointers(c)) return p;
  // procfs on a frame-pointer build: auto stops the threads whose unwind needs rbp.
  // What it still promises: complete stacks (through the stop), no signal, nothing
  // left stopped or traced, no early return but epoll_wait's EINTR (the kernel's
  // doing after any ptrace stop; every other call restarts transparently).
  p.no_stop = false;
  p.epoll_eintr_ok = true;
  if (is_vfork_fixture(c)) {
    // The vfork parent's unwind needs rbp too, but a thread in state D does not stop:
    // auto tries, gives up at --timeout (200 ms: a note says so) and keeps the half
    // cut short, saying so (exit 1): never a wrong stack, never a wait for the stop.
    p.parent_cut_short = true;
    p.exit_code = 1;
  }
  return p;
}

// Whether `method` is how `engine` unwinds a thread without stopping it (auto: from
// /proc where that is whole, else from BPF).
bool engines_no_stop_method(const std::string& engine, const std::string& method) {
  if (engine == "auto") return method == "nostop" || method == "bpf";
  return method == (engine == "bpf" ? "bpf" : "nostop");
}
bool method_stopped_the_thread(const std::string& method) {
  return method == "libdw" || method == "libunwind";
}

// --- the target ----------------------------------------------------------------------

// A quiet fixture started with its counters file, its threads by call, and (for
// quiet_vfork) its vfork child, ended by pid before the parent.
class QuietTarget {
 public:
  explicit QuietTarget(const Case& c)
      : counters_path_((dir_.path() / "counters").string()),
        fixture_(FixtureProcess::start({fixture_path(c.fixture), counters_path_})) {
    if (is_vfork_fixture(c)) {
      calls_ = {QC_VFORK, QC_NANOSLEEP};
      child_ = std::make_unique<KillOnExit>(fixture_.id("child"));
    } else {
      for (int call = 0; call < QC_CALLS; ++call) {
        if (call != QC_VFORK) calls_.push_back(static_cast<quiet_call>(call));
      }
    }
    for (quiet_call call : calls_) tids_[call] = fixture_.id(quiet_call_names[call]);
  }

  int pid() const { return fixture_.pid(); }
  const std::vector<quiet_call>& calls() const { return calls_; }
  int tid(quiet_call call) const { return tids_.at(call); }
  std::string call_of(int tid) const {
    for (const auto& [call, id] : tids_) {
      if (id == tid) return quiet_call_names[call];
    }
    return "tid " + std::to_string(tid);
  }

  // Every thread in its blocking call (a wait with a timeout that a stop interrupted
  // goes on in restart_syscall: still blocked); the vfork parent in state D.
  bool all_blocked() const {
    for (quiet_call call : calls_) {
      std::vector<long> blocked_in = {SYS_restart_syscall};
      for (const long* nr = quiet_call_syscalls[call]; *nr != -1; ++nr) blocked_in.push_back(*nr);
      if (!wait_for_syscall(tid(call), blocked_in, seconds(10))) return false;
      if (call == QC_VFORK && !wait_for_state(tid(call), "D", seconds(10))) return false;
    }
    return true;
  }

  quiet_counters counters() const {
    quiet_counters block{};
    auto text = read_text_file(counters_path_);
    if (!text || text->size() < sizeof block) throw std::runtime_error("cannot read counters");
    std::memcpy(&block, text->data(), sizeof block);
    if (block.magic != QUIET_COUNTERS_MAGIC) throw std::runtime_error("counters not written");
    return block;
  }

  // quiet_vfork: ends the child, so the parent leaves vfork and pauses (gdb can
  // attach only then: a thread in state D does not stop for it).
  bool end_vfork() {
    child_->kill_now();
    return wait_for_syscall(pid(), SYS_pause, seconds(10));
  }

 private:
  TempDir dir_;
  std::string counters_path_;
  FixtureProcess fixture_;
  std::unique_ptr<KillOnExit> child_;  // after fixture_: dies first
  std::vector<quiet_call> calls_;
  std::map<quiet_call, int> tids_;
};

// --- many captures -------------------------------------------------------------------

struct Tally {
  int captures = 0;
  double seconds = 0;
  std::map<int, int> exits;                 // exit status -> captures
  std::map<std::string, int> methods;       // user.method -> thread-captures
  int stops = 0;                            // thread-captures unwound by stopping
  int not_engine_method = 0;                // thread-captures not in the no-stop method
  std::map<int, int> restart_syscall_seen;  // tid -> captures showing restart_syscall
  std::map<int, int> stack_changed;         // tid -> captures whose stack differs from the first
  int wrong_engine = 0, timed_out = 0, unparsed = 0;
  int left_stopped = 0, left_traced = 0;  // seen right after ukstack exited
  std::string first_failure;
  nlohmann::json first;                            // the first snapshot
  std::map<int, std::vector<std::string>> stacks;  // tid -> user functions, first capture
};

std::vector<std::string> ukstack_args(const std::string& engine, int pid) {
  std::vector<std::string> args = {"--format", "json", "--stop", "auto"};
  if (ukstack_has_engine_flag()) args.insert(args.end(), {"--engine", engine});
  args.push_back(std::to_string(pid));
  return args;
}

void count_snapshot(const nlohmann::json& snapshot, const std::string& engine, Tally& tally) {
  // auto names the engine that read the threads: procfs, or bpf once any was.
  const std::string ran = snapshot.value("engine", "");
  if (engine == "auto" ? (ran != "procfs" && ran != "bpf") : ran != engine) ++tally.wrong_engine;
  for (const auto& thread : snapshot["threads"]) {
    const int tid = thread["tid"].get<int>();
    const std::string method = thread["user"]["method"].get<std::string>();
    ++tally.methods[method];
    if (method_stopped_the_thread(method)) ++tally.stops;
    if (!engines_no_stop_method(engine, method)) ++tally.not_engine_method;
    const auto& call = thread["syscall"];
    if (call.is_object() &&
        (call["nr"] == SYS_restart_syscall || call["name"] == "restart_syscall"))
      ++tally.restart_syscall_seen[tid];
    auto user = functions(thread, "user");
    auto [first, inserted] = tally.stacks.emplace(tid, user);
    if (!inserted && first->second != user) ++tally.stack_changed[tid];
  }
}

Tally capture_many(const QuietTarget& target, const std::string& engine, int captures) {
  Tally tally;
  tally.captures = captures;
  const auto start = Clock::now();
  for (int run = 0; run < captures; ++run) {
    CommandResult result = run_ukstack(ukstack_args(engine, target.pid()));
    ++tally.exits[result.exit_code];
    if (result.timed_out) ++tally.timed_out;
    if (result.exit_code != 0 && tally.first_failure.empty())
      tally.first_failure = "run " + std::to_string(run) + ": exit " +
                            std::to_string(result.exit_code) + "\nstderr: " + result.err;
    for (int tid : thread_ids(target.pid())) {
      const auto state = thread_state(tid);
      if (state == 't' || state == 'T') ++tally.left_stopped;
      if (status_field(tid, "TracerPid").value_or(0) != 0) ++tally.left_traced;
    }
    auto snapshot = nlohmann::json::parse(result.out, nullptr, false);
    if (!snapshot.is_object() || !snapshot.contains("threads")) {
      ++tally.unparsed;
      continue;
    }
    if (tally.first.is_null()) {
      EXPECT_EQ(ukstack::testing::validate_against_schema(result.out), "");
      tally.first = snapshot;
    }
    count_snapshot(snapshot, engine, tally);
  }
  tally.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return tally;
}

void print_measure(const Case& c, const QuietTarget& target, const Tally& tally,
                   const quiet_counters& counters) {
  std::cout << "[measure] " << case_name(c) << ": " << tally.captures << " captures in "
            << tally.seconds << " s (" << 1000.0 * tally.seconds / tally.captures
            << " ms each); exits:";
  for (const auto& [code, count] : tally.exits) std::cout << " " << code << "x" << count;
  std::cout << "; user methods:";
  for (const auto& [method, count] : tally.methods) std::cout << " " << method << "=" << count;
  std::cout << "; stops " << tally.stops << "; restart_syscall seen:";
  for (const auto& [tid, count] : tally.restart_syscall_seen)
    std::cout << " " << target.call_of(tid) << "=" << count;
  std::cout << "; signals " << counters.signals << "; early returns/EINTR:";
  for (quiet_call call : target.calls())
    std::cout << " " << quiet_call_names[call] << "=" << counters.early_returns[call] << "/"
              << counters.eintr[call];
  std::cout << std::endl;
}

// A user half that reaches where its thread began: main for the main thread
// (ukstack goes on to _start), clone3 for the others (glibc's thread start).
bool reaches_thread_start(const std::vector<std::string>& user, bool main_thread) {
  if (main_thread) return contains_name(user, "main");
  return !user.empty() && alias_name(user.back()) == "clone3";
}

// --- the test ------------------------------------------------------------------------

class NeverDisturb : public ::testing::TestWithParam<Case> {};

TEST_P(NeverDisturb, ManyAutoCapturesStopNothingAndAgreeWithGdb) {
  const Case c = GetParam();
  const std::string engine = c.engine;
  if (!ukstack_has_engine_flag() && engine != "procfs") {
    GTEST_SKIP() << "ukstack has no --engine yet (the BPF engine of issue 12 is not "
                 << "merged): the " << engine << " variant runs once it is";
  }
  // auto promises no stop on a frame-pointer build only through BPF.
  if (engine != "procfs" && bpf_unavailable()) {
    GTEST_SKIP() << "BPF does not work here: " << *bpf_unavailable();
  }
  const Promises promised = promises(c);
  QuietTarget target(c);
  ASSERT_TRUE(target.all_blocked()) << "a thread of " << c.fixture << " never blocked";
  if (!is_vfork_fixture(c)) {
    ASSERT_TRUE(wait_for_syscall(target.pid(), SYS_pause, seconds(10)));
  }

  // Where no-stop is not promised every capture stops threads the same way: a hundred
  // show it as well as a thousand, in a tenth of the time.
  const int captures = promised.no_stop ? capture_count() : std::min(capture_count(), 100);
  const Tally tally = capture_many(target, engine, captures);
  // Let any late effect of the last capture land before counting.
  EXPECT_TRUE(target.all_blocked()) << "a thread is not back in its call";
  const quiet_counters counters = target.counters();
  print_measure(c, target, tally, counters);

  const auto promised_exits = tally.exits.find(promised.exit_code);
  EXPECT_EQ(promised_exits == tally.exits.end() ? 0 : promised_exits->second, tally.captures)
      << "first other exit: " << tally.first_failure;
  EXPECT_EQ(tally.timed_out, 0);
  EXPECT_EQ(tally.unparsed, 0);
  EXPECT_EQ(tally.wrong_engine, 0) << "the snapshot's engine is not " << engine;
  EXPECT_EQ(tally.left_stopped, 0) << "threads seen in t/T after ukstack exited";
  EXPECT_EQ(tally.left_traced, 0) << "threads still traced after ukstack exited";
  EXPECT_EQ(counters.signals, 0u);
  for (const auto& [tid, count] : tally.stack_changed)
    ADD_FAILURE() << target.call_of(tid) << ": " << count << " captures gave another stack";
  for (quiet_call call : target.calls()) {
    SCOPED_TRACE(quiet_call_names[call]);
    if (call == QC_EPOLL_WAIT && promised.epoll_eintr_ok) {
      EXPECT_EQ(counters.early_returns[call], counters.eintr[call]) << "early, not by EINTR";
    } else {
      EXPECT_EQ(counters.early_returns[call], 0u);
      EXPECT_EQ(counters.eintr[call], 0u);
    }
  }
  if (promised.no_stop) {
    EXPECT_EQ(tally.stops, 0) << "thread-captures unwound by stopping the thread";
    EXPECT_EQ(tally.not_engine_method, 0) << "user halves not unwound by " << engine;
    for (const auto& [tid, count] : tally.restart_syscall_seen)
      ADD_FAILURE() << target.call_of(tid) << " seen in restart_syscall in " << count
                    << " captures";
  }

  // The stacks of the first capture (every later one gave the same): complete, and
  // gdb's.
  ASSERT_TRUE(tally.first.is_object());
  std::map<int, std::vector<std::string>> ours;
  for (quiet_call call : target.calls()) {
    SCOPED_TRACE(quiet_call_names[call]);
    const int tid = target.tid(call);
    const auto* thread = find_thread(tally.first, tid);
    ASSERT_NE(thread, nullptr) << tally.first.dump(2);
    const auto user = functions(*thread, "user");
    if (call == QC_VFORK && promised.parent_cut_short) {
      EXPECT_EQ((*thread)["user"]["method"], "nostop");
      EXPECT_TRUE((*thread)["user"]["error"].is_string()) << ::testing::PrintToString(user);
      EXPECT_TRUE(contains_name(user, "vfork_inner")) << ::testing::PrintToString(user);
      EXPECT_TRUE(std::any_of((*thread)["notes"].begin(), (*thread)["notes"].end(),
                              [](const auto& note) {
                                return note.template get<std::string>().starts_with("did not stop");
                              }))
          << (*thread)["notes"].dump();
      continue;
    }
    EXPECT_TRUE((*thread)["user"]["error"].is_null()) << (*thread)["user"]["error"];
    EXPECT_TRUE(reaches_thread_start(user, tid == target.pid())) << ::testing::PrintToString(user);
    ours[tid] = user;
  }
  if (is_vfork_fixture(c)) {
    // gdb waits for every thread to stop, which a vfork parent does only once its child
    // ends: the parent is checked against the fixture's own chain, the sleeper against
    // gdb once the vfork is over (its nanosleep goes on, untouched by that).
    if (ours.count(target.pid()) != 0) {
      EXPECT_TRUE(in_order(ours[target.pid()], {"vfork_inner", "vfork_outer", "main"}))
          << ::testing::PrintToString(ours[target.pid()]);
      ours.erase(target.pid());
    }
    ASSERT_TRUE(target.end_vfork()) << "the parent did not leave vfork";
  }
  const Backtraces gdb = gdb_backtraces(target.pid());
  for (const auto& [tid, user] : ours) {
    SCOPED_TRACE(target.call_of(tid));
    ASSERT_EQ(gdb.count(tid), 1u) << "gdb shows no thread " << tid;
    expect_agrees_with_gdb(user, gdb.at(tid));
  }
}

INSTANTIATE_TEST_SUITE_P(
    FixturesAndEngines, NeverDisturb,
    ::testing::Values(Case{"quiet_waits_fp", "auto"}, Case{"quiet_vfork_fp", "auto"},
                      Case{"quiet_waits_fp", "procfs"}, Case{"quiet_waits_fp", "bpf"},
                      Case{"quiet_waits_nofp", "procfs"}, Case{"quiet_waits_nofp", "bpf"},
                      Case{"quiet_vfork_fp", "procfs"}, Case{"quiet_vfork_fp", "bpf"},
                      Case{"quiet_vfork_nofp", "procfs"}, Case{"quiet_vfork_nofp", "bpf"}),
    [](const auto& param_info) { return case_name(param_info.param); });

// The instrument itself: --stop each stops every thread, and the counts show it (the
// test above can fail). A few captures are enough.
TEST(NeverDisturbInstrument, StoppingThreadsIsSeen) {
  const Case c{"quiet_waits_nofp", "procfs"};
  QuietTarget target(c);
  ASSERT_TRUE(target.all_blocked());
  ASSERT_TRUE(wait_for_syscall(target.pid(), SYS_pause, seconds(10)));
  Tally tally;
  for (int run = 0; run < 5; ++run) {
    CommandResult result =
        run_ukstack({"--format", "json", "--stop", "each", std::to_string(target.pid())});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    count_snapshot(nlohmann::json::parse(result.out), "procfs", tally);
  }
  ASSERT_TRUE(target.all_blocked());
  const quiet_counters counters = target.counters();
  EXPECT_GT(tally.stops, 0);
  EXPECT_GT(counters.eintr[QC_EPOLL_WAIT], 0u) << "a stop makes epoll_wait return EINTR";
  // After a stop, waits with a timeout go on in restart_syscall, and the next
  // capture sees it.
  EXPECT_GT(tally.restart_syscall_seen[target.tid(QC_NANOSLEEP)], 0);
  EXPECT_GT(tally.restart_syscall_seen[target.tid(QC_CONDWAIT)], 0);
}

}  // namespace
}  // namespace ukstack::test
