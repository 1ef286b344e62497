#include "capture/goroutines.h"

#include <algorithm>
#include <span>
#include <unordered_map>

#include "capture/thread_builder.h"
#include "unwind/registers.h"

namespace ukstack {

namespace {

constexpr int kDwarfRbp = 6;

// Where a goroutine will go on from, and so where its unwind starts: one in a
// system call from where it entered it, any other off its thread from the
// registers the scheduler saved (sched). A running one has no such point: its
// thread's registers are the truth, and its thread's unwind has its frames.
struct ResumePoint {
  RemoteAddr pc;
  RemoteAddr sp;
  std::optional<RemoteAddr> bp;  // only sched records one
};

std::optional<ResumePoint> resume_point(const unwind::GoroutineInfo& info) {
  if (info.status == "running") return std::nullopt;
  if (info.status == "syscall" && !info.syscall_sp.is_null()) {
    return ResumePoint{info.syscall_pc, info.syscall_sp, std::nullopt};
  }
  if (info.sched_sp.is_null() || info.sched_pc.is_null()) return std::nullopt;
  return ResumePoint{info.sched_pc, info.sched_sp, info.sched_bp};
}

// The length of stack to copy for a goroutine resuming at `from`: the used part,
// [sp, stack.hi); without a sane hi, a page.
std::size_t stack_length(const unwind::GoroutineInfo& info, const ResumePoint& from) {
  if (info.stack_hi <= from.sp) return 4096;
  return static_cast<std::size_t>(
      std::min<std::uint64_t>(info.stack_hi.value() - from.sp.value(), kMaxGoroutineStackCopy));
}

// Each goroutine's stack from where it will resume, in one batch of reads. One
// that cannot be copied is unwound from the target's memory, and says so if that
// fails too.
void copy_stacks(const unwind::AddressSpace& memory, std::span<GoroutineSample> samples) {
  std::vector<unwind::ReadRequest> requests;
  std::vector<GoroutineSample*> copied;
  for (GoroutineSample& sample : samples) {
    auto from = resume_point(sample.info);
    if (!from) continue;
    sample.stack.base = from->sp;
    sample.stack.bytes.resize(stack_length(sample.info, *from));
    requests.push_back({.addr = from->sp, .out = std::span(sample.stack.bytes)});
    copied.push_back(&sample);
  }
  memory.read_each(requests);
  for (std::size_t i = 0; i < copied.size(); ++i) copied[i]->stack.bytes.resize(requests[i].got);
}

GoroutineSample sample_goroutine(const unwind::AddressSpace& memory, unwind::GoroutineInfo info) {
  GoroutineSample sample;
  sample.info = std::move(info);
  copy_stacks(memory, std::span(&sample, 1));
  return sample;
}

// Whether a goroutine is where it was: the same goroutine in the same g, with the
// same status and the registers it will resume from. The GC's scan bit comes and
// goes without the goroutine moving.
bool same_place(const unwind::GoroutineInfo& before, const unwind::GoroutineInfo& after) {
  if (before.goid != after.goid || before.status != after.status || before.m != after.m) {
    return false;
  }
  if (before.status == "running") return true;  // its thread's capture has its frames
  return before.sched_pc == after.sched_pc && before.sched_sp == after.sched_sp &&
         before.syscall_pc == after.syscall_pc && before.syscall_sp == after.syscall_sp &&
         before.notes.empty() == after.notes.empty();
}

GoroutineCapture read_once(const unwind::AddressSpace& memory,
                           const unwind::GoRuntimeLayout& layout,
                           std::vector<std::string>& wait_reasons) {
  GoroutineCapture capture;
  auto list = unwind::read_goroutines(memory, layout);
  if (!list) {
    capture.notes.push_back("the goroutines cannot be read: " + list.error().message);
    return capture;
  }
  capture.read = true;
  capture.notes = std::move(list->notes);
  if (list->dead > 0) {
    capture.notes.push_back(std::to_string(list->dead) +
                            " dead goroutines are kept by the runtime for reuse: not shown");
  }
  wait_reasons = std::move(list->wait_reasons);
  capture.goroutines.reserve(list->goroutines.size());
  for (auto& info : list->goroutines) capture.goroutines.emplace_back().info = std::move(info);
  copy_stacks(memory, capture.goroutines);
  if (layout.allm) {
    if (auto threads = unwind::read_go_threads(memory, layout)) {
      capture.threads = std::move(*threads);
    } else {
      capture.notes.push_back(threads.error().message);
    }
  }
  return capture;
}

unwind::RegisterSet registers_at(const ResumePoint& from) {
  unwind::RegisterSet registers;
  registers.set(unwind::kDwarfRip, from.pc.value());
  registers.set(unwind::kDwarfRsp, from.sp.value());
  if (from.bp && !from.bp->is_null()) registers.set(kDwarfRbp, from.bp->value());
  return registers;
}

// The function whose go statement made the goroutine (gopc is the return address
// of that statement's call into the runtime), as Go's traceback names it: the
// physical function, not a call inlined into it. 10,000 goroutines come from a
// handful of go statements: each is named once.
class Creators {
 public:
  explicit Creators(unwind::Unwinder& unwinder) : unwinder_(unwinder) {}
  std::optional<Frame> of(const unwind::GoroutineInfo& info) {
    if (info.gopc.is_null() || info.goid == 1) return std::nullopt;  // Go names none for main
    auto [it, added] = named_.try_emplace(info.gopc.value());
    if (added) {
      std::vector<unwind::UnwoundFrame> frames = unwinder_.describe(info.gopc, false);
      if (!frames.empty() && !frames.back().function.empty()) {
        it->second = to_frame(std::move(frames.back()));
      }
    }
    return it->second;
  }

 private:
  unwind::Unwinder& unwinder_;
  std::unordered_map<std::uint64_t, std::optional<Frame>> named_;
};

StackMethod method_of(const unwind::Unwinder& unwinder) {
  return parse_stack_method(unwinder.method()).value_or(StackMethod::None);
}

}  // namespace

std::optional<GoProgram> find_go_program(const std::string& exe_path, std::uint64_t load_bias) {
  if (!unwind::is_go_executable(exe_path)) return std::nullopt;
  GoProgram program;
  if (!unwind::has_debug_info(exe_path)) {
    program.why_not =
        "its debug information was stripped (built with -ldflags=-w, or -s -w), and the layout "
        "of the runtime's structures is read only from it; a build without -w has it";
  } else if (auto layout = unwind::load_go_runtime_layout(exe_path, load_bias)) {
    program.layout = std::move(*layout);
  } else {
    program.why_not = layout.error().message;
  }
  return program;
}

GoroutineCapture read_goroutine_stacks(const unwind::AddressSpace& memory,
                                       const unwind::GoRuntimeLayout& layout) {
  std::vector<std::string> wait_reasons;
  return read_once(memory, layout, wait_reasons);
}

GoroutineCapture read_goroutines_checked(const unwind::AddressSpace& memory,
                                         const unwind::GoRuntimeLayout& layout, int retries) {
  std::vector<std::string> wait_reasons;
  GoroutineCapture capture = read_once(memory, layout, wait_reasons);
  // Every record read again in one batch; only those that moved are followed.
  std::vector<RemoteAddr> gs;
  gs.reserve(capture.goroutines.size());
  for (const GoroutineSample& sample : capture.goroutines) gs.push_back(sample.info.g);
  std::vector<unwind::GoroutineInfo> second = read_goroutines_at(memory, layout, gs, wait_reasons);
  for (std::size_t i = 0; i < capture.goroutines.size(); ++i) {
    GoroutineSample& sample = capture.goroutines[i];
    if (same_place(sample.info, second[i])) continue;
    for (int attempt = 0;; ++attempt) {
      unwind::GoroutineInfo again =
          attempt == 0 ? std::move(second[i])
                       : unwind::read_goroutine(memory, layout, sample.info.g, wait_reasons);
      if (same_place(sample.info, again)) break;
      if (attempt == retries) {
        sample.changed_while_read = true;
        break;
      }
      // It moved between the reads of its record and its stack: both again.
      sample = sample_goroutine(memory, std::move(again));
    }
  }
  return capture;
}

void add_goroutines(Snapshot& snapshot, GoroutineCapture capture, unwind::Unwinder* unwinder,
                    GoroutineRead how, std::optional<std::int64_t> now_ns) {
  snapshot.goroutine_notes = std::move(capture.notes);
  if (!capture.read) return;
  snapshot.goroutines_read = how;
  if (unwinder == nullptr) {
    snapshot.goroutine_notes.push_back("no unwinder for this process: goroutines without frames");
  }
  std::unordered_map<int, Thread*> threads;
  for (Thread& thread : snapshot.threads) threads[thread.tid] = &thread;
  std::optional<Creators> creators;
  if (unwinder != nullptr) creators.emplace(*unwinder);
  std::unordered_map<std::uint64_t, std::uint64_t> goid_of_g;

  snapshot.goroutines.reserve(capture.goroutines.size());
  for (GoroutineSample& sample : capture.goroutines) {
    const unwind::GoroutineInfo& info = sample.info;
    goid_of_g[info.g.value()] = info.goid;
    Goroutine goroutine;
    goroutine.goid = info.goid;
    goroutine.status = info.status;
    goroutine.wait_reason = info.wait_reason;
    goroutine.notes = info.notes;
    if (info.status == "waiting" && info.wait_since > 0) {
      goroutine.wait_since = info.wait_since;
      if (now_ns && *now_ns >= info.wait_since) goroutine.waited_ns = *now_ns - info.wait_since;
    }
    if ((info.status == "running" || info.status == "syscall") && info.thread_id) {
      goroutine.tid = info.thread_id;
    }
    if (sample.changed_while_read) {
      goroutine.notes.push_back(
          "it kept changing while read without a stop: its frames may mix two moments");
    }
    if (creators) goroutine.created_by = creators->of(info);

    auto from = resume_point(info);
    if (!from) {
      auto thread = goroutine.tid ? threads.find(*goroutine.tid) : threads.end();
      if (thread != threads.end()) {
        goroutine.stack.frames = thread->second->user.frames;  // running: its thread's
        goroutine.stack.method = thread->second->user.method;
        goroutine.notes.push_back("running: its frames are those of thread " +
                                  std::to_string(*goroutine.tid));
      } else {
        goroutine.stack.error = info.status == "running"
                                    ? "running on a thread this capture did not unwind"
                                    : "the runtime records no registers to unwind it from";
      }
    } else if (unwinder != nullptr) {
      unwind::ThreadSample thread_sample{.tid = snapshot.process.pid,
                                         .registers = registers_at(*from),
                                         .stack = std::move(sample.stack)};
      unwind::UnwoundStack unwound = unwinder->unwind(thread_sample);
      goroutine.stack.method = method_of(*unwinder);
      for (auto& frame : unwound.frames)
        goroutine.stack.frames.push_back(to_frame(std::move(frame)));
      goroutine.stack.error = std::move(unwound.error);
    }
    snapshot.goroutines.push_back(std::move(goroutine));
  }

  // Each Go thread with the goroutine it runs, or none (idle in the scheduler).
  for (const unwind::GoThread& m : capture.threads) {
    auto thread = threads.find(m.tid);
    if (thread == threads.end()) continue;
    auto goid = goid_of_g.find(m.curg.value());
    thread->second->go_goroutine.emplace(m.curg.is_null() || goid == goid_of_g.end()
                                             ? std::optional<std::uint64_t>()
                                             : std::optional<std::uint64_t>(goid->second));
  }
  for (const Goroutine& goroutine : snapshot.goroutines) {
    if (!goroutine.tid) continue;
    auto thread = threads.find(*goroutine.tid);
    if (thread != threads.end()) thread->second->go_goroutine = goroutine.goid;
  }
}

void add_goroutine_note(Snapshot& snapshot, const GoProgram& program) {
  if (program.layout) return;
  snapshot.goroutine_notes.push_back("a Go program, but its goroutines cannot be read (" +
                                     program.why_not +
                                     "); the threads are shown as for any program");
}

}  // namespace ukstack
