// The seams of a CaptureSession, faked: a /proc that logs what is read, a Tracer
// scripted per thread that logs every ptrace call, and an unwinder scripted per
// thread. All three write to one EventLog, so a test can ask in what order things
// happened (a /proc read before a seize, a detach before an unwind). Nothing here
// starts, signals, traces or reads a live process.
#pragma once

#include <sys/user.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capture/bpf_records.h"
#include "capture/session.h"
#include "capture/tracer.h"
#include "procfs/source.h"
#include "tests/capture/fake_process.h"
#include "unwind/unwinder.h"

namespace ukstack::testing {

// One thing that happened to the target. `kind` is the Tracer method's name
// ("seize", "interrupt", "wait", "registers", "copy_stack", "detach", "linger",
// "detach_lingering"), "read" for a /proc file read (`file` is the path), or
// "unwind" (`file` is "nostop" for an unwind without a stack copy, else "copy").
struct Event {
  std::string kind;
  int tid = 0;  // 0 when not about one thread
  std::string file;
  int signal = 0;  // detach: the signal handed back
};

class EventLog {
 public:
  void add(Event event) { events_.push_back(std::move(event)); }
  const std::vector<Event>& events() const { return events_; }

  // The ptrace calls made on `tid`, in order (reads and unwinds left out).
  std::vector<std::string> tracer_calls(int tid) const;
  int count(const std::string& kind, int tid) const;
  int count(const std::string& kind) const;
  // Position of the first / last event of `kind` (for `tid`, when not 0); -1 if none.
  int first(const std::string& kind, int tid = 0) const;
  int last(const std::string& kind, int tid = 0) const;
  // Position of the first / last read of a file named `name` ("stack", "stat").
  int first_read(const std::string& name, int tid = 0) const;
  // How often a file named `name` of `tid` was read.
  int reads(const std::string& name, int tid) const;
  int last_read(const std::string& name, int tid = 0) const;
  // Everything, one event a line, for failure messages.
  std::string dump() const;

 private:
  std::vector<Event> events_;
};

// A ProcSource in front of another that logs every read (files, directories,
// links, stats) to the EventLog, with the thread id when the path is a task's file.
class RecordingProcSource final : public procfs::ProcSource {
 public:
  RecordingProcSource(const procfs::ProcSource& inner, EventLog& log) : inner_(inner), log_(log) {}
  Result<std::string> read_file(const std::string& path) const override;
  Result<std::vector<std::string>> list_dir(const std::string& path) const override;
  Result<std::string> read_link(const std::string& path) const override;
  Result<procfs::FileIdentity> identify(const std::string& path) const override;

 private:
  void record(const std::string& path) const;
  const procfs::ProcSource& inner_;
  EventLog& log_;
};

// How the FakeTracer answers for one thread.
struct TracerScript {
  int seize_errno = 0;       // 0: the seize succeeds
  bool interrupt_ok = true;  // false: the thread is gone
  // Answers to wait_for_stop, in order; the last one repeats.
  std::vector<WaitResult> waits = {WaitResult{StopOutcome::Stopped, 0}};
  user_regs_struct regs{};
  std::size_t stack_bytes = 256;  // how much copy_stack copies
  // Run inside the call, before it answers: a test changes the fake /proc here,
  // as the kernel would while the call happens.
  std::function<void()> on_seize;
  std::function<void()> on_wait;
  std::function<void()> on_detach;
  // A thread left lingering (seized, never stopped): by default the kernel lets it
  // go; when set, it stops after that many detach_lingering calls have found it
  // still running, and the next one detaches it.
  std::optional<int> stops_after_polls;
};

class FakeTracer final : public Tracer {
 public:
  explicit FakeTracer(EventLog& log) : log_(log) {}
  TracerScript& script(int tid) { return scripts_[tid]; }

  Status seize(int tid) override;
  bool interrupt(int tid) override;
  WaitResult wait_for_stop(int tid, Clock::time_point deadline) override;
  Result<user_regs_struct> registers(int tid) override;
  Result<unwind::StackCopy> copy_stack(int tid, RemoteAddr sp, std::size_t max_bytes,
                                       unwind::ByteBuffer buffer) override;
  void detach(int tid, int signal) override;
  void linger(int tid) override;
  int detach_lingering() override;

  // Threads seized and neither detached, lingered nor exited: must be none after
  // every capture.
  std::vector<int> still_held() const;

 private:
  EventLog& log_;
  std::map<int, TracerScript> scripts_;
  std::map<int, std::size_t> waits_done_;
  std::map<int, bool> held_;
  std::map<int, int> lingering_;  // tid: detach_lingering calls before it stops
};

// How the FakeUnwinder answers for one thread.
struct UnwindScript {
  unwind::UnwoundStack nostop;     // for a sample without a stack copy (not stopped)
  unwind::UnwoundStack from_copy;  // for a sample taken in a stop
  unwind::UnwoundStack from_bpf;   // for a sample from a BPF record (copy at kFakeBpfCopyBase)
  std::function<void(const unwind::ThreadSample&)> on_unwind;  // before it answers
};

// What the unwinder factory was asked and what its unwinders were given. Owned by
// the test: the session owns only the FakeUnwinder, which answers from here.
class FakeUnwinding {
 public:
  explicit FakeUnwinding(EventLog& log) : log_(log) {}
  UnwindScript& script(int tid) { return scripts_[tid]; }

  UnwinderFactory factory();
  int opened() const { return static_cast<int>(opened_with_.size()); }
  // The mappings each open was given.
  const std::vector<std::vector<procfs::Mapping>>& opened_with() const { return opened_with_; }
  // Every sample unwound, in order.
  const std::vector<unwind::ThreadSample>& samples() const { return samples_; }
  bool fail_open = false;

  unwind::UnwoundStack unwind(const unwind::ThreadSample& sample);

 private:
  EventLog& log_;
  std::map<int, UnwindScript> scripts_;
  std::vector<std::vector<procfs::Mapping>> opened_with_;
  std::vector<unwind::ThreadSample> samples_;
};

// Where a FakeBpf record's stack copy begins: how the fake unwinder knows it.
inline constexpr std::uint64_t kFakeBpfCopyBase = 0x7ffbbf000000;

// The BPF engine as a test scripts it: per thread, the records the coming passes
// give (the last one stays for the passes after).
class FakeBpf final : public BpfSource {
 public:
  explicit FakeBpf(EventLog& log) : log_(log) {}
  Result<BpfPass> read(int pid, int tid, bool with_stacks) override;

  std::map<int, std::vector<BpfThreadRead>> records;
  std::optional<Error> fail;  // every pass fails so
  int passes() const { return passes_; }

 private:
  EventLog& log_;
  std::map<int, std::size_t> taken_;
  int passes_ = 0;
};

// A record of a thread blocked where `thread` says (accept4 on fd 3), asleep and
// of one moment, with the fake process's kernel stack.
BpfThreadRead fake_bpf_record(const FakeThread& thread);
// The same record, with the thread woken during it (its counters moved).
BpfThreadRead woke_during(BpfThreadRead record);

// A stack the fake unwinder returns: `functions` innermost first.
unwind::UnwoundStack fake_stack(const std::vector<std::string>& functions, bool complete = true);

}  // namespace ukstack::testing
