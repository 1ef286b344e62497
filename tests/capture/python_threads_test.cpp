// A Python program's thread states put into a snapshot (capture/python_threads.h),
// from hand-made reads: each thread's frames merged at its eval frames by native
// thread id, the GIL's holder and a wait on it for every thread in take_gil, and an
// interpreter that cannot be read leaving the native stacks as they are.
#include "capture/python_threads.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace ukstack {
namespace {

Frame native(std::string function, bool inlined = false) {
  Frame frame;
  frame.function = std::move(function);
  frame.module = "/usr/bin/python3.11";
  frame.inlined = inlined;
  return frame;
}

Thread thread_with(int tid, std::vector<Frame> frames) {
  Thread thread;
  thread.tid = tid;
  thread.name = "python3";
  thread.state = "S";
  thread.user.frames = std::move(frames);
  return thread;
}

unwind::PythonProgram program_3_11() {
  unwind::PythonProgram program;
  program.version = unwind::PythonVersion{3, 11, 2};
  program.layout_source = "debug info";
  return program;
}

// Thread 10 holds the GIL in a C call made by `compress_all`; 11 and 12 wait for it.
Snapshot contended() {
  Snapshot snapshot;
  snapshot.process.pid = 10;
  snapshot.threads.push_back(
      thread_with(10, {native("deflate"), native("zlib_compress_impl", true),
                       native("zlib_compress"), native("cfunction_vectorcall_FASTCALL"),
                       native("_PyEval_EvalFrameDefault"), native("main")}));
  for (int tid : {11, 12}) {
    snapshot.threads.push_back(thread_with(
        tid, {native("pthread_cond_timedwait"), native("take_gil"),
              native("eval_frame_handle_pending", true), native("_PyEval_EvalFrameDefault")}));
  }
  return snapshot;
}

unwind::PythonThreadState state(int tid, std::uint64_t tstate,
                                std::vector<unwind::PythonFrame> frames) {
  unwind::PythonThreadState out;
  out.tid = tid;
  out.tstate = RemoteAddr(tstate);
  out.frames = std::move(frames);
  return out;
}

PythonCapture read_of_contended() {
  unwind::PythonThreads threads;
  threads.threads.push_back(
      state(10, 0x1000,
            {{.function = "compress_all", .file = "/srv/app.py", .line = 80},
             {.function = "<module>", .file = "/srv/app.py", .line = 90, .entry = true}}));
  threads.threads.push_back(
      state(11, 0x2000, {{.function = "spin", .file = "/srv/app.py", .line = 12, .entry = true}}));
  threads.threads.push_back(
      state(12, 0x3000, {{.function = "spin", .file = "/srv/app.py", .line = 13, .entry = true}}));
  threads.gil_holder = RemoteAddr(0x1000);
  return PythonCapture{.threads = std::move(threads), .how = PythonRead::Core};
}

TEST(PythonThreads, FramesGoToTheirThreadAndTheGilWaitersWaitForItsHolder) {
  Snapshot snapshot = contended();
  add_python_frames(snapshot, program_3_11(), read_of_contended());
  ASSERT_TRUE(snapshot.python.has_value());
  EXPECT_EQ(snapshot.python->version, "3.11.2");
  EXPECT_EQ(snapshot.python->layouts_from, "debug info");
  EXPECT_EQ(snapshot.python->gil_holder, 10);
  EXPECT_EQ(snapshot.python->gil_holder_in, "zlib_compress, called from compress_all (app.py:80)");

  const Thread& holder = snapshot.threads[0];
  ASSERT_EQ(holder.user.frames.size(), 8u);
  EXPECT_EQ(holder.user.frames[4].function, "compress_all");
  EXPECT_EQ(holder.user.frames[4].language, FrameLanguage::Python);
  EXPECT_EQ(holder.user.frames[5].function, "<module>");
  EXPECT_EQ(holder.user.frames[6].function, "_PyEval_EvalFrameDefault");
  EXPECT_TRUE(holder.waits_for.empty());

  for (const Thread* waiter : {&snapshot.threads[1], &snapshot.threads[2]}) {
    SCOPED_TRACE(waiter->tid);
    ASSERT_EQ(waiter->waits_for.size(), 1u);
    const Wait& wait = waiter->waits_for[0];
    EXPECT_EQ(wait.kind, WaitKind::Gil);
    EXPECT_EQ(wait.description, "the GIL of process 10");
    ASSERT_EQ(wait.holders.size(), 1u);
    EXPECT_EQ(wait.holders[0].tid, 10);
    // Inside the eval frame and the call inlined into it.
    EXPECT_EQ(waiter->user.frames[2].function, "spin");
    EXPECT_EQ(waiter->user.frames[3].function, "eval_frame_handle_pending");
  }
}

TEST(PythonThreads, NoHolderMeansAWaitWithAReason) {
  Snapshot snapshot = contended();
  PythonCapture capture = read_of_contended();
  capture.threads->gil_holder.reset();
  add_python_frames(snapshot, program_3_11(), std::move(capture));
  EXPECT_FALSE(snapshot.python->gil_holder.has_value());
  const Wait& wait = snapshot.threads[1].waits_for.at(0);
  EXPECT_TRUE(wait.holders.empty());
  ASSERT_TRUE(wait.reason.has_value());
  EXPECT_NE(wait.reason->find("no thread held the GIL"), std::string::npos);
}

TEST(PythonThreads, AThreadStateReadInPartSaysSoOnItsThread) {
  Snapshot snapshot = contended();
  PythonCapture capture = read_of_contended();
  capture.threads->threads[1].notes.push_back("the frame at 0x7f00 cannot be read");
  capture.threads->threads[1].complete = false;
  add_python_frames(snapshot, program_3_11(), std::move(capture));
  const auto& notes = snapshot.threads[1].notes;
  EXPECT_TRUE(std::ranges::any_of(notes, [](const std::string& note) {
    return note == "Python: the frame at 0x7f00 cannot be read";
  })) << ::testing::PrintToString(notes);
}

TEST(PythonThreads, AnUnreadableInterpreterLeavesTheNativeStacksAsTheyAre) {
  Snapshot snapshot = contended();
  const Snapshot before = contended();
  add_python_frames(
      snapshot, program_3_11(),
      PythonCapture{.threads = Error{0, "_PyRuntime.interpreters.head cannot be read"},
                    .how = PythonRead::CheckedNoStop});
  ASSERT_TRUE(snapshot.python.has_value());
  ASSERT_EQ(snapshot.python->notes.size(), 1u);
  EXPECT_NE(snapshot.python->notes[0].find("interpreters.head cannot be read"), std::string::npos);
  for (std::size_t i = 0; i < snapshot.threads.size(); ++i) {
    EXPECT_EQ(snapshot.threads[i].user.frames.size(), before.threads[i].user.frames.size());
    EXPECT_TRUE(snapshot.threads[i].waits_for.empty());
  }

  Snapshot unknown = contended();
  add_python_note(unknown, Error{0, "Python 3.15 (/usr/bin/python3.15): no layout known"});
  ASSERT_TRUE(unknown.python.has_value());
  EXPECT_NE(unknown.python->notes.at(0).find("no layout known"), std::string::npos);
  EXPECT_EQ(unknown.threads[0].user.frames.size(), before.threads[0].user.frames.size());
}

}  // namespace
}  // namespace ukstack
