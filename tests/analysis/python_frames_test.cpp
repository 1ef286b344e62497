// The merge of Python frames into a native stack and the Python-only view, on
// stacks shaped as CPython 3.11's are (ukstack's own capture of a thread in
// time.sleep: fixtures/python/blocking_threads.py's sleeper).
#include "analysis/python_frames.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ukstack {
namespace {

Frame native(std::string function, bool inlined = false) {
  Frame frame;
  frame.function = std::move(function);
  frame.module = "/usr/bin/python3.11";
  frame.inlined = inlined;
  return frame;
}

Frame python(std::string function, int line) {
  Frame frame;
  frame.language = FrameLanguage::Python;
  frame.function = std::move(function);
  frame.file = "/srv/app.py";
  frame.line = line;
  return frame;
}

// A sleeping thread: time.sleep called from nap, called from sleeper, which
// Thread.run called through a C-level call (CALL_FUNCTION_EX → do_call_core).
Stack sleeping_thread() {
  Stack stack;
  stack.frames = {native("clock_nanosleep"),
                  native("pysleep", /*inlined=*/true),
                  native("time_sleep.lto_priv.0"),
                  native("cfunction_vectorcall_O.lto_priv.0"),
                  native("_PyObject_VectorcallTstate", true),
                  native("PyObject_Vectorcall"),
                  native("_PyEval_EvalFrameDefault"),
                  native("_PyEval_EvalFrame", true),
                  native("_PyEval_Vector", true),
                  native("_PyFunction_Vectorcall"),
                  native("do_call_core", true),
                  native("_PyEval_EvalFrameDefault"),
                  native("method_vectorcall.lto_priv.0"),
                  native("thread_run.lto_priv.0"),
                  native("pythread_wrapper"),
                  native("start_thread")};
  return stack;
}

std::vector<std::vector<Frame>> sleeping_runs() {
  return {{python("nap", 33), python("sleeper", 38)},
          {python("Thread.run", 975), python("Thread._bootstrap_inner", 1038),
           python("Thread._bootstrap", 995)}};
}

std::vector<std::string> names(const Stack& stack) {
  std::vector<std::string> out;
  for (const Frame& frame : stack.frames) {
    out.push_back((frame.language == FrameLanguage::Python ? "py " : "") + frame.function);
  }
  return out;
}

TEST(MergePythonFrames, EachRunGoesInsideItsEvalFrameAndTheCallsInlinedIntoIt) {
  Stack stack = sleeping_thread();
  const auto runs = sleeping_runs();
  EXPECT_TRUE(merge_python_frames(stack, runs).empty());
  EXPECT_EQ(names(stack), (std::vector<std::string>{"clock_nanosleep",
                                                    "pysleep",
                                                    "time_sleep.lto_priv.0",
                                                    "cfunction_vectorcall_O.lto_priv.0",
                                                    "_PyObject_VectorcallTstate",
                                                    "PyObject_Vectorcall",
                                                    "py nap",
                                                    "py sleeper",
                                                    "_PyEval_EvalFrameDefault",
                                                    "_PyEval_EvalFrame",
                                                    "_PyEval_Vector",
                                                    "_PyFunction_Vectorcall",
                                                    "py Thread.run",
                                                    "py Thread._bootstrap_inner",
                                                    "py Thread._bootstrap",
                                                    "do_call_core",
                                                    "_PyEval_EvalFrameDefault",
                                                    "method_vectorcall.lto_priv.0",
                                                    "thread_run.lto_priv.0",
                                                    "pythread_wrapper",
                                                    "start_thread"}));
}

TEST(MergePythonFrames, RunsBeyondTheNativeStackGoAtItsEndWithANote) {
  Stack stack = sleeping_thread();
  stack.frames.resize(7);  // the unwind ended at the first eval frame
  const auto runs = sleeping_runs();
  const auto notes = merge_python_frames(stack, runs);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("3 Python frames"), std::string::npos) << notes[0];
  const auto merged = names(stack);
  EXPECT_EQ(merged.back(), "py Thread._bootstrap");
  EXPECT_EQ(merged[6], "py nap");
  EXPECT_EQ(merged[8], "_PyEval_EvalFrameDefault");
}

TEST(MergePythonFrames, EvalFramesWithoutARunStayAsTheyAre) {
  Stack stack = sleeping_thread();
  const std::vector<std::vector<Frame>> one_run{{python("nap", 33)}};
  EXPECT_TRUE(merge_python_frames(stack, one_run).empty());
  EXPECT_EQ(stack.frames.size(), sleeping_thread().frames.size() + 1);
  EXPECT_EQ(stack.frames[6].function, "nap");
  EXPECT_EQ(stack.frames.back().function, "start_thread");
}

TEST(MergePythonFrames, NoRunsLeaveTheStackUntouched) {
  Stack stack = sleeping_thread();
  EXPECT_TRUE(merge_python_frames(stack, {}).empty());
  EXPECT_EQ(names(stack), names(sleeping_thread()));
}

TEST(PythonOnlyView, KeepsPythonFramesAndTheCFunctionEachCalled) {
  Snapshot snapshot;
  Thread& thread = snapshot.threads.emplace_back();
  thread.kernel.frames = {native("hrtimer_nanosleep")};
  thread.user = sleeping_thread();
  const auto runs = sleeping_runs();
  merge_python_frames(thread.user, runs);
  hide_native_frames(snapshot);
  EXPECT_EQ(names(thread.user),
            (std::vector<std::string>{"pysleep", "time_sleep.lto_priv.0", "py nap", "py sleeper",
                                      "py Thread.run", "py Thread._bootstrap_inner",
                                      "py Thread._bootstrap"}));
  EXPECT_EQ(thread.kernel.frames.size(), 1u);  // the kernel half stays
}

TEST(PythonOnlyView, StacksWithoutPythonFramesStayWhole) {
  Snapshot snapshot;
  snapshot.threads.emplace_back().user = sleeping_thread();
  hide_native_frames(snapshot);
  EXPECT_EQ(names(snapshot.threads[0].user), names(sleeping_thread()));
}

TEST(CFunctionCalledFromPython, IsTheOutermostNonMachineryFrameAboveThePythonFrames) {
  Stack stack = sleeping_thread();
  const auto runs = sleeping_runs();
  merge_python_frames(stack, runs);
  const Frame* called = c_function_called_from_python(stack);
  ASSERT_NE(called, nullptr);
  EXPECT_EQ(called->function, "time_sleep.lto_priv.0");
  EXPECT_EQ(c_function_called_from_python(sleeping_thread()), nullptr);  // no Python frame
}

}  // namespace
}  // namespace ukstack
