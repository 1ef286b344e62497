#include "tests/capture/fakes.h"

#include <algorithm>
#include <cerrno>
#include <sstream>

namespace ukstack::testing {

namespace {

// The tid of "<pid>/task/<tid>/<file>", and the file's name; 0 and the whole path
// for anything else.
std::pair<int, std::string> task_file(const std::string& path) {
  const auto task = path.find("/task/");
  if (task == std::string::npos) return {0, path};
  const auto tid_begin = task + 6;
  const auto slash = path.find('/', tid_begin);
  if (slash == std::string::npos) return {0, path};
  try {
    return {std::stoi(path.substr(tid_begin, slash - tid_begin)), path.substr(slash + 1)};
  } catch (const std::exception&) {
    return {0, path};
  }
}

bool is_tracer_call(const std::string& kind) { return kind != "read" && kind != "unwind"; }

}  // namespace

// ---- EventLog ------------------------------------------------------------------

std::vector<std::string> EventLog::tracer_calls(int tid) const {
  std::vector<std::string> calls;
  for (const auto& event : events_) {
    if (event.tid == tid && is_tracer_call(event.kind)) calls.push_back(event.kind);
  }
  return calls;
}

int EventLog::count(const std::string& kind, int tid) const {
  return static_cast<int>(std::ranges::count_if(
      events_, [&](const Event& e) { return e.kind == kind && e.tid == tid; }));
}

int EventLog::reads(const std::string& name, int tid) const {
  return static_cast<int>(std::ranges::count_if(
      events_, [&](const Event& e) { return e.kind == "read" && e.file == name && e.tid == tid; }));
}

int EventLog::count(const std::string& kind) const {
  return static_cast<int>(
      std::ranges::count_if(events_, [&](const Event& e) { return e.kind == kind; }));
}

int EventLog::first(const std::string& kind, int tid) const {
  for (std::size_t i = 0; i < events_.size(); ++i) {
    if (events_[i].kind == kind && (tid == 0 || events_[i].tid == tid)) return static_cast<int>(i);
  }
  return -1;
}

int EventLog::last(const std::string& kind, int tid) const {
  int found = -1;
  for (std::size_t i = 0; i < events_.size(); ++i) {
    if (events_[i].kind == kind && (tid == 0 || events_[i].tid == tid)) found = static_cast<int>(i);
  }
  return found;
}

int EventLog::first_read(const std::string& name, int tid) const {
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const Event& e = events_[i];
    if (e.kind == "read" && e.file == name && e.tid != 0 && (tid == 0 || e.tid == tid)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

int EventLog::last_read(const std::string& name, int tid) const {
  int found = -1;
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const Event& e = events_[i];
    if (e.kind == "read" && e.file == name && e.tid != 0 && (tid == 0 || e.tid == tid)) {
      found = static_cast<int>(i);
    }
  }
  return found;
}

std::string EventLog::dump() const {
  std::ostringstream out;
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const Event& e = events_[i];
    out << i << ": " << e.kind;
    if (e.tid != 0) out << " " << e.tid;
    if (!e.file.empty()) out << " " << e.file;
    if (e.signal != 0) out << " signal " << e.signal;
    out << "\n";
  }
  return out.str();
}

// ---- RecordingProcSource -----------------------------------------------------------

void RecordingProcSource::record(const std::string& path) const {
  auto [tid, file] = task_file(path);
  log_.add(Event{"read", tid, file, 0});
}

Result<std::string> RecordingProcSource::read_file(const std::string& path) const {
  record(path);
  return inner_.read_file(path);
}

Result<std::vector<std::string>> RecordingProcSource::list_dir(const std::string& path) const {
  record(path);
  return inner_.list_dir(path);
}

Result<std::string> RecordingProcSource::read_link(const std::string& path) const {
  record(path);
  return inner_.read_link(path);
}

Result<procfs::FileIdentity> RecordingProcSource::identify(const std::string& path) const {
  record(path);
  return inner_.identify(path);
}

// ---- FakeTracer --------------------------------------------------------------------

Status FakeTracer::seize(int tid) {
  log_.add(Event{"seize", tid, {}, 0});
  TracerScript& s = script(tid);
  if (s.on_seize) s.on_seize();
  if (s.seize_errno != 0) return Error::from_errno(s.seize_errno, "PTRACE_SEIZE");
  held_[tid] = true;
  return {};
}

bool FakeTracer::interrupt(int tid) {
  log_.add(Event{"interrupt", tid, {}, 0});
  return script(tid).interrupt_ok;
}

WaitResult FakeTracer::wait_for_stop(int tid, Clock::time_point /*deadline*/) {
  log_.add(Event{"wait", tid, {}, 0});
  TracerScript& s = script(tid);
  if (s.on_wait) s.on_wait();
  std::size_t& done = waits_done_[tid];
  const WaitResult result = s.waits.at(std::min(done, s.waits.size() - 1));
  ++done;
  if (result.outcome == StopOutcome::Exited) held_[tid] = false;
  return result;
}

Result<user_regs_struct> FakeTracer::registers(int tid) {
  log_.add(Event{"registers", tid, {}, 0});
  return script(tid).regs;
}

Result<unwind::StackCopy> FakeTracer::copy_stack(int tid, RemoteAddr sp, std::size_t max_bytes,
                                                 unwind::ByteBuffer buffer) {
  log_.add(Event{"copy_stack", tid, {}, 0});
  buffer.resize(std::min(max_bytes, script(tid).stack_bytes));
  std::fill(buffer.begin(), buffer.end(), std::byte{0x5a});
  return unwind::StackCopy{.base = sp, .bytes = std::move(buffer)};
}

void FakeTracer::detach(int tid, int signal) {
  log_.add(Event{"detach", tid, {}, signal});
  if (auto& s = script(tid); s.on_detach) s.on_detach();
  held_[tid] = false;
}

void FakeTracer::linger(int tid) {
  log_.add(Event{"linger", tid, {}, 0});
  held_[tid] = false;
  if (auto polls = scripts_[tid].stops_after_polls) lingering_[tid] = *polls;
}

int FakeTracer::detach_lingering() {
  log_.add(Event{"detach_lingering", 0, {}, 0});
  int remaining = 0;
  for (auto it = lingering_.begin(); it != lingering_.end();) {
    if (it->second-- == 0) {
      log_.add(Event{"detach", it->first, {}, 0});
      it = lingering_.erase(it);
    } else {
      ++remaining;
      ++it;
    }
  }
  return remaining;
}

std::vector<int> FakeTracer::still_held() const {
  std::vector<int> held;
  for (const auto& [tid, is_held] : held_) {
    if (is_held) held.push_back(tid);
  }
  return held;
}

// ---- FakeUnwinding -----------------------------------------------------------------

namespace {

class FakeUnwinder final : public unwind::Unwinder {
 public:
  explicit FakeUnwinder(FakeUnwinding& owner) : owner_(owner) {}
  std::string_view method() const override { return "fake"; }
  unwind::UnwoundStack unwind(const unwind::ThreadSample& sample) override {
    return owner_.unwind(sample);
  }

 private:
  FakeUnwinding& owner_;
};

}  // namespace

UnwinderFactory FakeUnwinding::factory() {
  return [this](unwind::LiveProcess process, const unwind::UnwindOptions& /*options*/)
             -> Result<std::unique_ptr<unwind::Unwinder>> {
    opened_with_.push_back(process.mappings);
    if (fail_open) return Error{0, "fake unwinder refused to open"};
    return std::unique_ptr<unwind::Unwinder>(std::make_unique<FakeUnwinder>(*this));
  };
}

unwind::UnwoundStack FakeUnwinding::unwind(const unwind::ThreadSample& sample) {
  log_.add(Event{"unwind", sample.tid, sample.stack.bytes.empty() ? "nostop" : "copy", 0});
  samples_.push_back(sample);
  UnwindScript& s = script(sample.tid);
  if (s.on_unwind) s.on_unwind(sample);
  if (sample.stack.base == RemoteAddr(kFakeBpfCopyBase)) return s.from_bpf;
  return sample.stack.bytes.empty() ? s.nostop : s.from_copy;
}

Result<BpfPass> FakeBpf::read(int /*pid*/, int tid, bool with_stacks) {
  ++passes_;
  // Not under the thread's tid: a pass is no call on the thread.
  log_.add(Event{with_stacks ? "bpf_read" : "bpf_counters", -1, std::to_string(tid), 0});
  if (fail) return *fail;
  BpfPass pass;
  for (auto& [thread_tid, queue] : records) {
    if ((tid != 0 && thread_tid != tid) || queue.empty()) continue;
    std::size_t& next = taken_[thread_tid];
    pass.threads.push_back(queue[std::min(next, queue.size() - 1)]);
    ++next;
  }
  return pass;
}

BpfThreadRead fake_bpf_record(const FakeThread& thread) {
  BpfThreadRead record;
  record.tid = thread.tid;
  record.name = thread.name;
  record.state = thread.state;
  record.before = bpf::TaskMoment{};
  record.before.state = thread.state == 'R' ? 0U : 1U;  // TASK_RUNNING, TASK_INTERRUPTIBLE
  record.before.nvcsw = thread.voluntary_switches;
  // As the fake's /proc/<tid>/schedstat says.
  record.before.cpu_ns = 2587533;
  record.before.wait_ns = 7131706;
  record.before.times_run = 2;
  record.after = record.before;
  user_regs_struct regs{};
  regs.rsp = thread.sp;
  regs.rip = thread.pc;
  regs.rbp = thread.sp + 0x40;  // what /proc/<tid>/syscall does not show
  regs.orig_rax = 288;          // accept4
  regs.rdi = 3;
  record.registers = regs;
  record.kernel_stack = procfs_sample("stack-6.18-accept.txt");
  record.stack.base = RemoteAddr(kFakeBpfCopyBase);
  record.stack.bytes.resize(4096);
  return record;
}

BpfThreadRead woke_during(BpfThreadRead record) {
  record.after.nvcsw += 1;
  record.after.times_run += 1;
  return record;
}

unwind::UnwoundStack fake_stack(const std::vector<std::string>& functions, bool complete) {
  unwind::UnwoundStack stack;
  std::uint64_t pc = 0x401000;
  for (const auto& function : functions) {
    unwind::UnwoundFrame frame;
    frame.pc = RemoteAddr(pc);
    frame.function = function;
    frame.offset = 0x10;
    frame.module = "/usr/bin/fake";
    stack.frames.push_back(std::move(frame));
    pc += 0x100;
  }
  stack.complete = complete;
  return stack;
}

}  // namespace ukstack::testing
