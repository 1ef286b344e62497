#include "capture/python_threads.h"

#include <algorithm>
#include <unordered_map>

#include "analysis/python_frames.h"

namespace ukstack {

namespace {

// How often a thread state whose current frame moved is read again before it is
// shown as read, marked.
constexpr int kRereads = 2;

std::string file_name(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The thread's Python frames cut into the runs of its eval-loop calls, as model
// frames, innermost first. A chain that ends without an entry frame (cut short)
// makes a last run of its own.
std::vector<std::vector<Frame>> runs_of(const std::vector<unwind::PythonFrame>& frames) {
  std::vector<std::vector<Frame>> runs;
  std::vector<Frame> run;
  for (const unwind::PythonFrame& python : frames) {
    Frame& frame = run.emplace_back();
    frame.language = FrameLanguage::Python;
    frame.function = python.function;
    if (!python.file.empty()) frame.file = python.file;
    frame.line = python.line;
    if (python.entry) {
      runs.push_back(std::move(run));
      run.clear();
    }
  }
  if (!run.empty()) runs.push_back(std::move(run));
  return runs;
}

// A thread state read without a stop: its current frame read again after. One that
// moved is read again; one that keeps moving is shown as last read, marked.
void check_unstopped(const unwind::AddressSpace& memory, const unwind::PythonProgram& program,
                     unwind::PythonThreadState& state) {
  for (int reread = 0;; ++reread) {
    auto again = unwind::read_current_frame(memory, program, state.tstate);
    if (again && *again == state.current_frame) return;
    if (reread == kRereads) {
      state.notes.push_back(
          "its Python frames changed while they were read (it runs Python code): they may "
          "mix two moments");
      return;
    }
    state = unwind::read_python_thread(memory, program, state.tstate);
  }
}

bool in_take_gil(const Thread& thread) {
  return std::ranges::any_of(thread.user.frames, [](const Frame& frame) {
    return frame.language == FrameLanguage::Native && frame.function.starts_with("take_gil");
  });
}

// "zlib_compress_impl, called from compressor (blocking_threads.py:80)".
std::string where_it_is(const Thread& thread) {
  const auto python =
      std::ranges::find(thread.user.frames, FrameLanguage::Python, &Frame::language);
  std::string out;
  if (const Frame* c_function = c_function_called_from_python(thread.user)) {
    out = c_function->function;
    if (python != thread.user.frames.end()) out += ", called from ";
  }
  if (python != thread.user.frames.end()) {
    out += python->function.empty() ? "??" : python->function;
    if (python->file) {
      out += " (" + file_name(*python->file);
      if (python->line) out += ":" + std::to_string(*python->line);
      out += ")";
    }
  }
  return out;
}

void add_gil_waits(Snapshot& snapshot, const std::optional<int>& holder_tid) {
  const Thread* holder = nullptr;
  if (holder_tid) {
    auto it = std::ranges::find(snapshot.threads, *holder_tid, &Thread::tid);
    if (it != snapshot.threads.end()) holder = &*it;
  }
  if (holder != nullptr) snapshot.python->gil_holder_in = where_it_is(*holder);
  for (Thread& thread : snapshot.threads) {
    if (&thread == holder || !in_take_gil(thread)) continue;
    Wait& wait = thread.waits_for.emplace_back();
    wait.kind = WaitKind::Gil;
    wait.description = "the GIL of process " + std::to_string(snapshot.process.pid);
    if (holder != nullptr) {
      wait.holders.push_back(WaitHolder{.pid = snapshot.process.pid,
                                        .tid = holder->tid,
                                        .name = holder->name,
                                        .state = holder->state,
                                        .syscall = std::nullopt});
    } else {
      wait.reason = "no thread held the GIL when it was read (it was being handed over)";
    }
  }
}

}  // namespace

PythonCapture read_python(const unwind::AddressSpace& memory, const unwind::PythonProgram& program,
                          PythonRead how) {
  PythonCapture capture{.threads = unwind::read_python_threads(memory, program), .how = how};
  if (capture.threads && how == PythonRead::CheckedNoStop) {
    for (unwind::PythonThreadState& state : capture.threads->threads) {
      check_unstopped(memory, program, state);
    }
  }
  return capture;
}

void add_python_frames(Snapshot& snapshot, const unwind::PythonProgram& program,
                       PythonCapture capture) {
  PythonInfo& info = snapshot.python.emplace();
  info.version = program.version.text();
  info.layouts_from = program.layout_source;
  if (!capture.threads) {
    info.notes.push_back("the Python threads cannot be read: " + capture.threads.error().message);
    return;
  }
  unwind::PythonThreads* read = &*capture.threads;
  const PythonRead how = capture.how;
  info.notes = read->notes;
  std::unordered_map<int, Thread*> by_tid;
  for (Thread& thread : snapshot.threads) by_tid.emplace(thread.tid, &thread);

  std::optional<int> holder_tid;
  for (unwind::PythonThreadState& state : read->threads) {
    if (read->gil_holder && *read->gil_holder == state.tstate) holder_tid = state.tid;
    if (!state.tid) continue;
    auto it = by_tid.find(*state.tid);
    if (it == by_tid.end()) continue;  // not asked for (--tid), or gone
    Thread& thread = *it->second;
    // A thread on a CPU ran on after its native stack was taken.
    if (how == PythonRead::CheckedNoStop && thread.state == "R" && !state.frames.empty()) {
      state.notes.push_back(
          "it was running: its Python frames were read a moment after its native stack");
    }
    const auto runs = runs_of(state.frames);
    for (std::string& note : merge_python_frames(thread.user, runs)) {
      thread.notes.push_back(std::move(note));
    }
    for (std::string& note : state.notes) thread.notes.push_back("Python: " + note);
  }
  info.gil_holder = holder_tid;
  add_gil_waits(snapshot, holder_tid);
}

void add_python_note(Snapshot& snapshot, const Error& why) {
  PythonInfo& info = snapshot.python.emplace();
  info.notes.push_back("a Python interpreter is mapped but its threads cannot be read: " +
                       why.message);
}

}  // namespace ukstack
