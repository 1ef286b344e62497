// A CaptureSession over fakes only: the test describes the process in a fake /proc,
// scripts the tracer and the unwinder per thread, captures, and then asks what was
// done to each thread (EventLog) and what the snapshot says.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>

#include "capture/session.h"
#include "cli/cli.h"
#include "tests/capture/fake_process.h"
#include "tests/capture/fakes.h"

namespace ukstack::testing {

class CaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The session treats its own pid (and a TracerPid equal to it) specially.
    ASSERT_NE(getpid(), kPid);
    ASSERT_NE(getpid(), kOtherTracer);
    process.add_process_files();
  }

  // Puts the thread in /proc, and scripts the tracer (its registers in a stop say
  // it is where /proc/<tid>/syscall showed it) and the unwinder (a complete stack
  // of the thread's own, with or without a stop).
  FakeThread add(FakeThread thread) {
    process.add(thread);
    TracerScript& t = tracer.script(thread.tid);
    t.regs.rsp = thread.sp;
    t.regs.rip = thread.pc;
    UnwindScript& u = unwinding.script(thread.tid);
    u.nostop = fake_stack({"nostop_" + std::to_string(thread.tid), "main"});
    u.from_copy = fake_stack({"stopped_" + std::to_string(thread.tid), "main"});
    u.from_bpf = fake_stack({"bpf_" + std::to_string(thread.tid), "main"});
    return thread;
  }

  CaptureSeams seams() {
    CaptureSeams seams;
    seams.proc = &recorded;
    seams.tracer = &tracer;
    seams.open_unwinder = unwinding.factory();
    if (use_bpf) {
      seams.bpf = &bpf;
      seams.may_trace = [this](int pid) -> Status {
        log.add(Event{"may_trace", -1, std::to_string(pid), 0});
        if (refuse_trace)
          return Error{EPERM, "not permitted to trace process " + std::to_string(pid)};
        return {};
      };
    }
    return seams;
  }

  Result<std::unique_ptr<CaptureSession>> open(int pid = kPid) {
    return CaptureSession::open(pid, options, seams());
  }

  // Opens a session (which must succeed) and captures once.
  Result<Snapshot> capture_once() {
    auto session = open();
    EXPECT_TRUE(session.ok()) << session.error().message;
    if (!session) return session.error();
    return capture_with(**session);
  }

  Result<Snapshot> capture_with(CaptureSession& session) {
    auto snapshot = session.capture();
    // Whatever happened, no thread is left seized.
    EXPECT_TRUE(tracer.still_held().empty()) << log.dump();
    return snapshot;
  }

  static const Thread& thread_of(const Snapshot& snapshot, int tid) {
    auto it = std::ranges::find(snapshot.threads, tid, &Thread::tid);
    if (it == snapshot.threads.end()) {
      ADD_FAILURE() << "thread " << tid << " is not in the snapshot";
      static const Thread none;
      return none;
    }
    return *it;
  }

  static bool has_note(const Thread& thread, const std::string& part) {
    return std::ranges::any_of(thread.notes, [&](const std::string& note) {
      return note.find(part) != std::string::npos;
    });
  }

  static std::vector<std::string> functions(const Stack& stack) {
    std::vector<std::string> names;
    for (const auto& frame : stack.frames) names.push_back(frame.function);
    return names;
  }

  // One thread's whole stop, in order.
  static std::vector<std::string> full_stop() {
    return {"seize", "interrupt", "wait", "registers", "copy_stack", "detach"};
  }

  procfs::FakeProcSource proc;
  EventLog log;
  RecordingProcSource recorded{proc, log};
  FakeTracer tracer{log};
  FakeUnwinding unwinding{log};
  FakeBpf bpf{log};
  bool use_bpf = false;       // the session is given `bpf` and a may_trace check
  bool refuse_trace = false;  // that check says no
  FakeProcess process{proc, kPid};
  CaptureOptions options;
};

}  // namespace ukstack::testing
