// The CPython reader against a live Debian python3.11: three threads blocked in
// time.sleep, threading.Event.wait and (under 50 recursive calls) Lock.acquire,
// read through LiveAddressSpace with the program found in the process's own
// mappings, and compared with what the program wrote about itself from
// sys._current_frames() before it printed `ready`: per native thread id, every
// frame's qualified name, file and line, in order.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "procfs/process_reader.h"
#include "tests/support/fixture_process.h"
#include "tests/support/process_control.h"
#include "unwind/core_address_space.h"
#include "unwind/dwfl_session.h"
#include "unwind/live_address_space.h"
#include "unwind/python_program.h"
#include "unwind/python_threads.h"

namespace ukstack::unwind {
namespace {

// Debian's interpreter; UKSTACK_TEST_PYTHON names another (3.9+) to check the
// reader on other versions by hand.
std::string python_under_test() {
  const char* other = std::getenv("UKSTACK_TEST_PYTHON");
  return other != nullptr && *other != '\0' ? other : "/usr/bin/python3.11";
}

// Writes its worker threads' frames (innermost first) to argv[1] once each is on
// the line of its blocking call (where it stays while the call blocks), then
// prints `ready` and blocks itself.
constexpr const char* kScript = R"PY(import inspect
import sys
import threading
import time

held = threading.Lock()
held.acquire()
never = threading.Event()


def f():
    time.sleep(3600)


def g():
    never.wait()


def recurse(depth):
    if depth == 0:
        held.acquire()
        return
    recurse(depth - 1)


def frames_of(ident):
    frame = sys._current_frames().get(ident)
    out = []
    while frame is not None:
        code = frame.f_code
        out.append((getattr(code, "co_qualname", code.co_name), code.co_filename, frame.f_lineno))
        frame = frame.f_back
    return out


def line_of(function, text):
    lines, first = inspect.getsourcelines(function)
    for number, source in enumerate(lines, first):
        if text in source:
            return number
    raise SystemExit("no line with " + text)


workers = [
    (threading.Thread(target=f, daemon=True), ("f", line_of(f, "time.sleep"))),
    (threading.Thread(target=g, daemon=True),
     # Condition.wait blocks in the waiter.acquire() under "if timeout is None:".
     ("Condition.wait" if sys.version_info >= (3, 11) else "wait",
      line_of(threading.Condition.wait, "if timeout is None:") + 1)),
    (threading.Thread(target=recurse, args=(50,), daemon=True),
     ("recurse", line_of(recurse, "held.acquire()"))),
]
for thread, _ in workers:
    thread.start()


def blocked(thread, where):
    frames = frames_of(thread.ident)
    return bool(frames) and (frames[0][0], frames[0][2]) == where


while not all(blocked(thread, where) for thread, where in workers):
    time.sleep(0.001)
with open(sys.argv[1], "w") as dump:
    for thread, _ in workers:
        dump.write("thread %d\n" % thread.native_id)
        for name, file, line in frames_of(thread.ident):
            dump.write("%s\t%s\t%d\n" % (name, file, line))
print("ready main=%d" % threading.get_native_id(), flush=True)
never.wait()
)PY";

struct DumpedFrame {
  std::string function, file;
  int line = 0;
  bool operator==(const DumpedFrame&) const = default;
};
using Dump = std::map<int, std::vector<DumpedFrame>>;  // by native thread id

void PrintTo(const DumpedFrame& frame, std::ostream* out) {
  *out << frame.function << " (" << frame.file << ":" << frame.line << ")";
}

Dump read_dump(const std::filesystem::path& path) {
  Dump dump;
  std::ifstream in(path);
  std::vector<DumpedFrame>* current = nullptr;
  for (std::string text; std::getline(in, text);) {
    if (text.starts_with("thread ")) {
      current = &dump[std::stoi(text.substr(7))];
      continue;
    }
    std::istringstream fields(text);
    DumpedFrame frame;
    std::string line;
    std::getline(fields, frame.function, '\t');
    std::getline(fields, frame.file, '\t');
    std::getline(fields, line);
    frame.line = std::stoi(line);
    if (current != nullptr) current->push_back(frame);
  }
  return dump;
}

// The frames of every thread of the dump, as `threads` has them: names, files and
// lines in order, complete, the outermost an entry from C; and the GIL free or
// held by one of them.
void expect_threads_as_dumped(const PythonThreads& threads, const Dump& dump, int main_tid) {
  EXPECT_TRUE(threads.notes.empty()) << ::testing::PrintToString(threads.notes);
  // The main thread and the three workers.
  ASSERT_EQ(threads.threads.size(), 4u);
  std::map<int, const PythonThreadState*> by_tid;
  for (const auto& thread : threads.threads) {
    ASSERT_TRUE(thread.tid.has_value()) << "a thread state without a thread id";
    by_tid[*thread.tid] = &thread;
  }
  EXPECT_TRUE(by_tid.contains(main_tid));
  for (const auto& [tid, expected] : dump) {
    SCOPED_TRACE("thread " + std::to_string(tid));
    ASSERT_TRUE(by_tid.contains(tid)) << "no thread state for this thread";
    const PythonThreadState& thread = *by_tid[tid];
    EXPECT_TRUE(thread.complete);
    EXPECT_TRUE(thread.notes.empty()) << ::testing::PrintToString(thread.notes);
    std::vector<DumpedFrame> read;
    for (const auto& frame : thread.frames) {
      read.push_back({frame.function, frame.file, frame.line.value_or(-1)});
    }
    EXPECT_EQ(read, expected);
    // A thread's outermost Python frame was called from C (the thread's start).
    ASSERT_FALSE(thread.frames.empty());
    EXPECT_TRUE(thread.frames.back().entry);
  }
  // Every worker blocks without the GIL; the main thread may still be on its way
  // to its own wait: the GIL is free or held by one of the program's threads.
  if (threads.gil_holder) {
    bool known = false;
    for (const auto& thread : threads.threads) known |= thread.tstate == *threads.gil_holder;
    EXPECT_TRUE(known) << "the GIL's holder is no thread state of the program";
  }
}

class PythonLive : public ::testing::Test {
 protected:
  void SetUp() override {
    python_path_ = python_under_test();
    if (!std::filesystem::exists(python_path_)) {
      GTEST_SKIP() << python_path_ << " is not installed";
    }
    const auto script = dir_.path() / "blocked.py";
    const auto dump_path = dir_.path() / "frames.txt";
    std::ofstream(script) << kScript;
    python_.emplace(test::FixtureProcess::start({python_path_, script.string(), dump_path.string()},
                                                std::chrono::seconds(20)));
    dump_ = read_dump(dump_path);
    ASSERT_EQ(dump_.size(), 3u);
  }

  std::string python_path_;
  test::TempDir dir_;
  std::optional<test::FixtureProcess> python_;  // killed by its pid when the test ends
  Dump dump_;
};

TEST_F(PythonLive, FramesOfBlockedThreadsAreWhatThePythonProgramSaysOfItself) {
  procfs::RealProcSource proc;
  auto maps = procfs::ProcessReader(proc, python_->pid()).maps();
  ASSERT_TRUE(maps.ok()) << maps.error().message;
  LiveAddressSpace memory(python_->pid());
  const std::string root = "/proc/" + std::to_string(python_->pid()) + "/root";
  const auto finding = std::chrono::steady_clock::now();
  auto program = find_python_program(*maps, root, memory, {});
  const auto found_in = std::chrono::steady_clock::now() - finding;
  ASSERT_TRUE(program.ok()) << program.error().message;
  ASSERT_TRUE(program->has_value()) << "no _PyRuntime found in " << python_path_;
  const PythonProgram& found = **program;
  if (python_path_ == "/usr/bin/python3.11") {
    EXPECT_EQ(found.version.text(), "3.11.2");
    EXPECT_EQ(found.module, python_path_);
  }
  std::cout << found.description() << " (" << found.module << "), found in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(found_in).count() << " ms\n";

  const auto started = std::chrono::steady_clock::now();
  auto threads = read_python_threads(memory, found);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(threads.ok()) << threads.error().message;
  std::cout << "read " << threads->threads.size() << " Python threads in "
            << std::chrono::duration_cast<std::chrono::microseconds>(took).count() << " us\n";
  expect_threads_as_dumped(*threads, dump_, python_->id("main"));
  // Not moving: each chain's head is the same when read again.
  for (const auto& thread : threads->threads) {
    auto head = read_current_frame(memory, found, thread.tstate);
    ASSERT_TRUE(head.ok()) << head.error().message;
    if (thread.tid != python_->id("main")) {
      EXPECT_EQ(*head, thread.current_frame);
    }
  }
}

TEST_F(PythonLive, TheSameFromACoreOfTheProgram) {
  if (!std::filesystem::exists("/usr/bin/gcore")) {
    GTEST_SKIP() << "gcore (gdb) is not installed";
  }
  const std::string core_prefix = (dir_.path() / "core").string();
  test::CommandResult gcore =
      test::run_command({"/usr/bin/gcore", "-o", core_prefix, std::to_string(python_->pid())},
                        std::chrono::seconds(120));
  const std::string core = core_prefix + "." + std::to_string(python_->pid());
  ASSERT_TRUE(std::filesystem::exists(core)) << gcore.out << gcore.err;
  python_->kill_and_wait();  // the core alone from here

  auto session = DwflSession::open_core(core, "", {}, std::chrono::milliseconds(0),
                                        /*attach_threads=*/false);
  ASSERT_TRUE(session.ok()) << session.error().message;
  auto memory = CoreAddressSpace::from_elf((*session)->core_elf());
  ASSERT_TRUE(memory.ok()) << memory.error().message;
  auto program = find_python_program((*session)->get(), *memory);
  ASSERT_TRUE(program.ok()) << program.error().message;
  ASSERT_TRUE(program->has_value()) << "no _PyRuntime found in the core's modules";
  std::cout << (*program)->description() << " (" << (*program)->module << ")\n";
  auto threads = read_python_threads(*memory, **program);
  ASSERT_TRUE(threads.ok()) << threads.error().message;
  expect_threads_as_dumped(*threads, dump_, python_->id("main"));
}

}  // namespace
}  // namespace ukstack::unwind
