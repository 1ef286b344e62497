// The goroutine oracles (go_oracle.h, go_crash.h): their parsers on excerpts of real
// output (Go 1.19, delve 1.20.2), then live on fixtures/go_goroutines, where the
// runtime's own dump, delve and the fixture's ready line must tell the same story.
#include "tests/support/go_oracle.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "tests/support/fixture_process.h"
#include "tests/support/go_crash.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

using Names = std::vector<std::string>;

const std::string kGoGoroutines = std::string(UKSTACK_FIXTURE_DIR) + "/go_goroutines";

// True when `part` appears in `whole` in this order, other names allowed between.
bool in_order(const Names& part, const Names& whole) {
  auto at = whole.begin();
  for (const std::string& name : part) {
    at = std::find(at, whole.end(), name);
    if (at == whole.end()) return false;
    ++at;
  }
  return true;
}

const OracleGoroutine* find_goid(const std::vector<OracleGoroutine>& goroutines, long goid) {
  auto at = std::ranges::find(goroutines, goid, &OracleGoroutine::goid);
  return at == goroutines.end() ? nullptr : &*at;
}

// The goroutines whose frames hold `function`.
std::vector<const OracleGoroutine*> in_function(const std::vector<OracleGoroutine>& goroutines,
                                                const std::string& function) {
  std::vector<const OracleGoroutine*> found;
  for (const OracleGoroutine& goroutine : goroutines) {
    if (std::ranges::count(goroutine.functions(), function) > 0) found.push_back(&goroutine);
  }
  return found;
}

// --- parsers, on excerpts of real output ---------------------------------------------

// runtime.Stack(buf, true) of go_goroutines, and the header forms of other tracebacks.
constexpr std::string_view kStackDump = R"(goroutine 1 [running]:
main.allParked(0x1e)
	/work/fixtures/go_goroutines/main.go:90 +0x88
main.main()
	/work/fixtures/go_goroutines/main.go:175 +0x4f6

goroutine 20 [semacquire, 12 minutes]:
sync.runtime_SemacquireMutex(0x0?, 0x0?, 0x0?)
	/usr/lib/go-1.19/src/runtime/sema.go:77 +0x25
sync.(*Mutex).lockSlow(0xc0000b2020)
	/usr/lib/go-1.19/src/sync/mutex.go:171 +0x165
sync.(*Mutex).Lock(...)
	/usr/lib/go-1.19/src/sync/mutex.go:90
main.waitOnMutex(0x0?)
	/work/fixtures/go_goroutines/main.go:64 +0x31
created by main.main
	/work/fixtures/go_goroutines/main.go:153 +0x2aa

goroutine 50 [syscall, locked to thread]:
main._Cfunc_cgo_block_in_read(0x6, 0x9)
	_cgo_gotypes.go:43 +0x45
main.blockInCgoRead(0x0?, 0x0?)
	/work/fixtures/go_goroutines/main.go:77 +0x25
created by main.main in goroutine 1
	/work/fixtures/go_goroutines/main.go:165 +0x397

goroutine 7 gp=0xc000007c00 m=nil [chan receive]:
main.waitOnChannel(0x0?)
	/work/fixtures/go_goroutines/main.go:61 +0x1b
...additional frames elided...

goroutine 9 [running]:
	goroutine running on other thread; stack unavailable
)";

TEST(GoTraceback, StackDump) {
  std::vector<OracleGoroutine> goroutines = parse_go_traceback(kStackDump);
  ASSERT_EQ(goroutines.size(), 5u);
  EXPECT_EQ(goroutines[0].goid, 1);
  EXPECT_EQ(goroutines[0].state, "running");
  EXPECT_EQ(goroutines[0].functions(), (Names{"main.allParked", "main.main"}));
  EXPECT_TRUE(goroutines[0].created_by.empty());

  const OracleGoroutine& mutex = goroutines[1];
  EXPECT_EQ(mutex.goid, 20);
  EXPECT_EQ(mutex.state, "semacquire");
  EXPECT_EQ(mutex.wait_minutes, 12);
  EXPECT_FALSE(mutex.locked_to_thread);
  EXPECT_EQ(mutex.functions(), (Names{"sync.runtime_SemacquireMutex", "sync.(*Mutex).lockSlow",
                                      "sync.(*Mutex).Lock", "main.waitOnMutex"}));
  EXPECT_EQ(mutex.frames[2].file, "/usr/lib/go-1.19/src/sync/mutex.go");  // inlined: no offset
  EXPECT_EQ(mutex.frames[2].line, 90);
  EXPECT_EQ(mutex.frames[3].line, 64);
  EXPECT_EQ(mutex.created_by, "main.main");

  const OracleGoroutine& cgo = goroutines[2];
  EXPECT_EQ(cgo.state, "syscall");
  EXPECT_TRUE(cgo.locked_to_thread);
  EXPECT_FALSE(cgo.wait_minutes);
  EXPECT_EQ(cgo.functions(), (Names{"main._Cfunc_cgo_block_in_read", "main.blockInCgoRead"}));
  EXPECT_EQ(cgo.frames[0].file, "_cgo_gotypes.go");
  EXPECT_EQ(cgo.created_by, "main.main");  // Go >= 1.21 adds " in goroutine 1"

  EXPECT_EQ(goroutines[3].goid, 7);  // newer Go's "gp=... m=..." before the status
  EXPECT_EQ(goroutines[3].state, "chan receive");
  EXPECT_EQ(goroutines[3].functions(), (Names{"main.waitOnChannel"}));
  EXPECT_EQ(goroutines[4].goid, 9);
  EXPECT_TRUE(goroutines[4].frames.empty());
}

// A panic under GOTRACEBACK=crash: fp/sp/pc after each location, runtime frames and
// the goroutines' wrappers shown, a panic message and register dump outside any block.
constexpr std::string_view kCrashTraceback = R"(panic: go_goroutines: -crash after ready

goroutine 1 [running]:
panic({0x4c34a0, 0x4fd528})
	/usr/lib/go-1.19/src/runtime/panic.go:987 +0x3ba fp=0xc0000a1de0 sp=0xc0000a1d20 pc=0x434bba
main.crashAfterReady()
	/work/fixtures/go_goroutines/main.go:80 +0x27 fp=0xc0000a1e00 sp=0xc0000a1de0 pc=0x4b8387
main.main()
	/work/fixtures/go_goroutines/main.go:202 +0x713 fp=0xc0000a1f80 sp=0xc0000a1e00 pc=0x4b9073

goroutine 6 [chan receive]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
	/usr/lib/go-1.19/src/runtime/proc.go:363 +0xd6 fp=0xc0000406f0 sp=0xc0000406d0 pc=0x437c16
runtime.chanrecv1(0x0?, 0x0?)
	/usr/lib/go-1.19/src/runtime/chan.go:442 +0x18 fp=0xc0000407a8 sp=0xc000040780 pc=0x407c98
main.waitOnChannel(0x0?)
	/work/fixtures/go_goroutines/main.go:61 +0x1b fp=0xc0000407c8 sp=0xc0000407a8 pc=0x4b821b
main.main.func3()
	/work/fixtures/go_goroutines/main.go:151 +0x26 fp=0xc0000407e0 sp=0xc0000407c8 pc=0x4b93a6
runtime.goexit()
	/usr/lib/go-1.19/src/runtime/asm_amd64.s:1594 +0x1 fp=0xc0000407e8 sp=0xc0000407e0 pc=0x461941
created by main.main
	/work/fixtures/go_goroutines/main.go:151 +0x30a

goroutine 2 [force gc (idle)]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
	/usr/lib/go-1.19/src/runtime/proc.go:363 +0xd6 fp=0xc00003efb0 sp=0xc00003ef90 pc=0x437c16
runtime.forcegchelper()
	/usr/lib/go-1.19/src/runtime/proc.go:302 +0xad fp=0xc00003efe0 sp=0xc00003efb0 pc=0x437aad
created by runtime.init.6
	/usr/lib/go-1.19/src/runtime/proc.go:290 +0x25

rax    0x0
rip    0x461d21
)";

TEST(GoTraceback, CrashTraceback) {
  std::vector<OracleGoroutine> goroutines = parse_go_traceback(kCrashTraceback);
  ASSERT_EQ(goroutines.size(), 3u);
  EXPECT_EQ(goroutines[0].functions(), (Names{"panic", "main.crashAfterReady", "main.main"}));
  EXPECT_EQ(goroutines[0].frames[1].file, "/work/fixtures/go_goroutines/main.go");
  EXPECT_EQ(goroutines[0].frames[1].line, 80);
  EXPECT_EQ(goroutines[1].functions(),
            (Names{"runtime.gopark", "runtime.chanrecv1", "main.waitOnChannel", "main.main.func3",
                   "runtime.goexit"}));
  EXPECT_EQ(goroutines[1].frames.back().file, "/usr/lib/go-1.19/src/runtime/asm_amd64.s");
  EXPECT_FALSE(is_runtime_goroutine(goroutines[1]));
  EXPECT_EQ(goroutines[2].state, "force gc (idle)");
  EXPECT_EQ(goroutines[2].created_by, "runtime.init.6");
  EXPECT_TRUE(is_runtime_goroutine(goroutines[2]));
}

TEST(GoTraceback, NoGoroutines) {
  EXPECT_TRUE(parse_go_traceback("").empty());
  EXPECT_TRUE(parse_go_traceback("panic: boom\n\nmain.main()\n\t/x.go:1\n").empty());
  EXPECT_TRUE(parse_go_traceback("goroutine x [running]:\nmain.main()\n").empty());
}

// delve 1.20.2's `goroutines -t` on go_goroutines (shortened paths), prompts included.
constexpr std::string_view kDelveOutput = R"(Type 'help' for list of commands.
(dlv)   Goroutine 1 - User: /src/main.go:204 main.main (0x4b8fbe) [select (no cases)]
	0  0x0000000000437c16 in runtime.gopark
	    at /usr/lib/go-1.19/src/runtime/proc.go:364
	1  0x000000000044654c in runtime.block
	    at /usr/lib/go-1.19/src/runtime/select.go:104
	2  0x00000000004b8fbe in main.main
	    at /src/main.go:204
  Goroutine 19 - User: /src/main.go:61 main.waitOnChannel (0x4b821b) [chan receive 19088130874713]
	0  0x0000000000437c16 in runtime.gopark
	    at /usr/lib/go-1.19/src/runtime/proc.go:364
	1  0x00000000004b821b in main.waitOnChannel
	    at /src/main.go:61
  Goroutine 2 - User: /usr/lib/go-1.19/src/runtime/proc.go:364 runtime.gopark (0x437c16) [force gc (idle) 19088130874713]
	0  0x0000000000437c16 in runtime.gopark
	    at /usr/lib/go-1.19/src/runtime/proc.go:364
  Goroutine (unreadable could not read goroutine)
* Goroutine 49 - User: /src/main.go:72 main.spin (0x4b82f1) (thread 6501)
	0  0x00000000004b82f1 in main.spin
	    at /src/main.go:72
  Goroutine 50 - User: ../sysdeps/unix/sysv/linux/read.c:26 C.__libc_read (0x7f8a123bc2ec) (thread 6500)
	 0  0x00007f8a123bc2ec in __libc_read
	     at ../sysdeps/unix/sysv/linux/read.c:26
	10  0x00000000004b948f in cgo_block_in_read
	     at /src/main.go:36
[6 goroutines]
(dlv) Would you like to kill the process? [Y/n] )";

TEST(DelveGoroutines, GoroutinesDashT) {
  std::vector<OracleGoroutine> goroutines = parse_delve_goroutines(kDelveOutput);
  ASSERT_EQ(goroutines.size(), 5u);  // the unreadable one is left out

  EXPECT_EQ(goroutines[0].goid, 1);
  EXPECT_EQ(goroutines[0].state, "select (no cases)");
  EXPECT_FALSE(goroutines[0].wait_since);
  EXPECT_FALSE(goroutines[0].tid);
  EXPECT_EQ(goroutines[0].functions(), (Names{"runtime.gopark", "runtime.block", "main.main"}));
  EXPECT_EQ(goroutines[0].frames[2].file, "/src/main.go");
  EXPECT_EQ(goroutines[0].frames[2].line, 204);

  EXPECT_EQ(goroutines[1].state, "chan receive");
  EXPECT_EQ(goroutines[1].wait_since, 19088130874713LL);
  EXPECT_EQ(goroutines[2].state, "force gc (idle)");
  EXPECT_TRUE(is_runtime_goroutine(goroutines[2]));

  EXPECT_EQ(goroutines[3].goid, 49);  // the selected one, marked '*'
  EXPECT_EQ(goroutines[3].state, "");
  EXPECT_EQ(goroutines[3].tid, 6501);
  EXPECT_EQ(goroutines[4].tid, 6500);
  EXPECT_EQ(goroutines[4].functions(), (Names{"__libc_read", "cgo_block_in_read"}));
  EXPECT_EQ(goroutines[4].frames[0].file, "../sysdeps/unix/sysv/linux/read.c");
}

TEST(DelveGoroutines, NothingListed) {
  EXPECT_TRUE(parse_delve_goroutines("").empty());
  EXPECT_TRUE(parse_delve_goroutines("Could not attach to pid 1: no such process\n").empty());
}

// --- live, on fixtures/go_goroutines ----------------------------------------------

class GoGoroutines : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kGoGoroutines))
      GTEST_SKIP() << "go_goroutines not built (go was not found when configuring)";
  }
};

// go_goroutines N: goroutine i waits in one of three places by i % 3.
std::map<std::string, long> expected_parked(long n) {
  return {{"main.waitOnChannel", (n + 2) / 3},
          {"main.waitOnMutex", (n + 1) / 3},
          {"main.sleepLong", n / 3}};
}

TEST_F(GoGoroutines, ReadyOnlyWhenTheRuntimeShowsEveryGoroutineParked) {
  constexpr long kGoroutines = 300;
  TempDir dir;
  const std::string dump_path = (dir.path() / "dump").string();
  auto fixture =
      FixtureProcess::start({kGoGoroutines, "-dump", dump_path, std::to_string(kGoroutines)});
  EXPECT_EQ(fixture.id("n"), kGoroutines);
  EXPECT_EQ(fixture.value("dump"), dump_path);
  // The cgo call's thread, named on the ready line, is in read(2) on the pipe.
  const int cgo_tid = fixture.id("cgo_tid");
  EXPECT_EQ(current_syscall(cgo_tid), 0) << "thread " << cgo_tid << " is not in read";
  std::string kernel = read_text_file("/proc/" + std::to_string(fixture.pid()) + "/task/" +
                                      std::to_string(cgo_tid) + "/stack")
                           .value_or("");
  EXPECT_NE(kernel.find("pipe_read"), std::string::npos) << kernel;

  std::vector<OracleGoroutine> dump = parse_go_traceback(read_text_file(dump_path).value_or(""));
  ASSERT_EQ(dump.size(), kGoroutines + 3);  // + main, spin, the cgo call
  for (const auto& [function, count] : expected_parked(kGoroutines)) {
    SCOPED_TRACE(function);
    auto parked = in_function(dump, function);
    EXPECT_EQ(static_cast<long>(parked.size()), count);
    for (const OracleGoroutine* goroutine : parked) {
      EXPECT_NE(goroutine->state, "running");
      EXPECT_NE(goroutine->state, "runnable");
      EXPECT_EQ(goroutine->created_by, "main.main");
    }
  }
  auto cgo = in_function(dump, "main.blockInCgoRead");
  ASSERT_EQ(cgo.size(), 1u);
  EXPECT_EQ(cgo[0]->state, "syscall");
  EXPECT_EQ(in_function(dump, "main.spin").size(), 1u);
}

TEST_F(GoGoroutines, DelveAgreesWithTheRuntimesOwnDumpAndLeavesTheProcessRunning) {
  if (!have_delve()) GTEST_SKIP() << "dlv (Debian package delve) is not installed";
  constexpr long kGoroutines = 1000;
  TempDir dir;
  const std::string dump_path = (dir.path() / "dump").string();
  auto fixture =
      FixtureProcess::start({kGoGoroutines, "-dump", dump_path, std::to_string(kGoroutines)});
  std::vector<OracleGoroutine> dump = parse_go_traceback(read_text_file(dump_path).value_or(""));
  std::vector<OracleGoroutine> delve = read_delve_goroutines(fixture.pid());

  // Delve detached: the process runs on, untraced, and still answers.
  EXPECT_EQ(status_field(fixture.pid(), "TracerPid"), 0);
  for (int tid : thread_ids(fixture.pid())) {
    std::optional<char> state = thread_state(tid);
    EXPECT_TRUE(state && *state != 't' && *state != 'T') << "thread " << tid << " left stopped";
  }
  EXPECT_TRUE(wait_for_syscall(fixture.id("cgo_tid"), 0, std::chrono::seconds(5)));

  // The same goroutines: every one of the dump (none ends in this fixture), and
  // beyond them only the runtime's own, which runtime.Stack leaves out.
  ASSERT_EQ(dump.size(), kGoroutines + 3);
  for (const OracleGoroutine& ours : dump) EXPECT_TRUE(find_goid(delve, ours.goid)) << ours.goid;
  for (const OracleGoroutine& theirs : delve) {
    if (find_goid(dump, theirs.goid)) continue;
    EXPECT_TRUE(is_runtime_goroutine(theirs))
        << theirs.goid << ": " << ::testing::PrintToString(theirs.functions());
  }

  // Parked goroutines: the same wait reason, and the dump's frames among delve's in
  // the same order (delve adds the runtime's frames and the go statements' wrappers).
  long compared = 0;
  for (const OracleGoroutine& ours : dump) {
    if (ours.state == "running" || ours.state == "runnable" || ours.state == "syscall") continue;
    const OracleGoroutine* theirs = find_goid(delve, ours.goid);
    if (theirs == nullptr) continue;
    SCOPED_TRACE("goroutine " + std::to_string(ours.goid));
    EXPECT_EQ(theirs->state, ours.state);
    EXPECT_TRUE(in_order(ours.functions(), theirs->functions()))
        << ::testing::PrintToString(ours.functions()) << " vs "
        << ::testing::PrintToString(theirs->functions());
    EXPECT_EQ(theirs->frames.back().function, "runtime.goexit");
    ++compared;
  }
  EXPECT_EQ(compared, kGoroutines);
  for (const auto& [function, count] : expected_parked(kGoroutines))
    EXPECT_EQ(static_cast<long>(in_function(delve, function).size()), count) << function;

  // The cgo call: on the thread the fixture named, in read(2) under the Go frames.
  auto cgo = in_function(delve, "main.blockInCgoRead");
  ASSERT_EQ(cgo.size(), 1u);
  EXPECT_EQ(cgo[0]->tid, fixture.id("cgo_tid"));
  EXPECT_TRUE(in_order({"cgo_block_in_read", "runtime.cgocall", "main._Cfunc_cgo_block_in_read",
                        "main.blockInCgoRead"},
                       cgo[0]->functions()))
      << ::testing::PrintToString(cgo[0]->functions());
  EXPECT_EQ(in_function(delve, "main.spin").size(), 1u);
  const OracleGoroutine* main_goroutine = find_goid(delve, 1);
  ASSERT_NE(main_goroutine, nullptr);
  EXPECT_EQ(main_goroutine->state, "select (no cases)");
}

TEST_F(GoGoroutines, CrashWritesTheTracebackAndACore) {
  constexpr long kGoroutines = 30;
  TempDir dir;
  GoCrash crash = crash_go_goroutines(kGoGoroutines, kGoroutines, dir.path());
  ASSERT_GT(crash.pid, 0) << "no ready line; stderr: " << crash.traceback.substr(0, 400);
  ASSERT_TRUE(WIFSIGNALED(crash.wait_status)) << crash.why;
  EXPECT_EQ(WTERMSIG(crash.wait_status), SIGABRT);

  // The traceback holds every goroutine (GOTRACEBACK=crash: the runtime's too), the
  // panicking one first.
  std::vector<OracleGoroutine> goroutines = parse_go_traceback(crash.traceback);
  ASSERT_FALSE(goroutines.empty()) << crash.traceback.substr(0, 400);
  EXPECT_EQ(goroutines[0].goid, 1);
  EXPECT_EQ(goroutines[0].state, "running");
  EXPECT_TRUE(in_order({"main.crashAfterReady", "main.main", "runtime.main", "runtime.goexit"},
                       goroutines[0].functions()))
      << ::testing::PrintToString(goroutines[0].functions());
  for (const auto& [function, count] : expected_parked(kGoroutines))
    EXPECT_EQ(static_cast<long>(in_function(goroutines, function).size()), count) << function;
  EXPECT_EQ(in_function(goroutines, "main.blockInCgoRead").size(), 1u);
  EXPECT_EQ(in_function(goroutines, "main.spin").size(), 1u);
  EXPECT_TRUE(std::ranges::any_of(goroutines, is_runtime_goroutine));

  if (crash.core.empty()) GTEST_SKIP() << "no core: " << crash.why;
  EXPECT_TRUE(WCOREDUMP(crash.wait_status));
  std::ifstream core(crash.core, std::ios::binary);
  char header[18] = {};
  core.read(header, sizeof header);
  EXPECT_EQ(std::string_view(header, 4),
            "\x7f"
            "ELF");
  EXPECT_EQ(header[16], 4) << "e_type is not ET_CORE";
}

}  // namespace
}  // namespace ukstack::test
