#include "model/snapshot_json.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/format.h"
#include "base/version.h"

namespace ukstack {
namespace {

// ---- Snapshot -> JSON -------------------------------------------------------------
// Built as a template so render_json can keep the DESIGN's field order
// (nlohmann::ordered_json) while snapshot_to_json returns a plain nlohmann::json.

template <class Json>
Json hex_or_null(const std::optional<std::uint64_t>& value) {
  return value ? Json(hex(*value)) : Json(nullptr);
}

template <class Json>
Json string_or_null(const std::optional<std::string>& value) {
  return value ? Json(*value) : Json(nullptr);
}

// The model uses "" for "unknown"; JSON says null.
template <class Json>
Json nonempty_or_null(const std::string& value) {
  return value.empty() ? Json(nullptr) : Json(value);
}

// The names of FoundBy in the schema.
constexpr std::pair<FoundBy, std::string_view> kFoundByNames[] = {
    {FoundBy::Context, "context"}, {FoundBy::Cfi, "cfi"}, {FoundBy::FramePointer, "frame_pointer"}};

template <class Json>
Json found_by_or_null(const std::optional<FoundBy>& found_by) {
  for (const auto& [value, name] : kFoundByNames) {
    if (found_by == value) return Json(std::string(name));
  }
  return Json(nullptr);
}

template <class Json>
Json kernel_frame_to_json(const Frame& frame) {
  Json out = Json::object();
  if (frame.pc) out["pc"] = hex(*frame.pc);
  out["function"] = nonempty_or_null<Json>(frame.function);
  out["offset"] = frame.function.empty() ? Json(nullptr) : Json(hex(frame.offset));
  out["size"] = hex_or_null<Json>(frame.size);
  out["module"] = string_or_null<Json>(frame.module);
  out["found_by"] = nullptr;  // the kernel's own unwinder does not say
  return out;
}

template <class Json>
Json user_frame_to_json(const Frame& frame) {
  Json out = Json::object();
  out["pc"] = hex_or_null<Json>(frame.pc);
  out["function"] = nonempty_or_null<Json>(frame.function);
  out["offset"] = frame.function.empty() ? Json(nullptr) : Json(hex(frame.offset));
  out["module"] = string_or_null<Json>(frame.module);
  out["file"] = string_or_null<Json>(frame.file);
  out["line"] = frame.line ? Json(*frame.line) : Json(nullptr);
  out["inlined"] = frame.inlined;
  out["found_by"] = found_by_or_null<Json>(frame.found_by);
  // Present only when known, so snapshots of frames without them read as before.
  if (frame.build_id) out["build_id"] = *frame.build_id;
  if (frame.module_offset) out["module_offset"] = hex(*frame.module_offset);
  out["language"] = std::string(to_string(frame.language));
  return out;
}

template <class Json>
Json stack_to_json(const Stack& stack, bool kernel) {
  Json frames = Json::array();
  for (const Frame& frame : stack.frames) {
    frames.push_back(kernel ? kernel_frame_to_json<Json>(frame) : user_frame_to_json<Json>(frame));
  }
  Json out = Json::object();
  out["method"] = to_string(stack.method);
  out["error"] = string_or_null<Json>(stack.error);
  out["frames"] = std::move(frames);
  return out;
}

template <class Json>
Json syscall_to_json(const std::optional<SyscallInfo>& syscall) {
  if (!syscall || syscall->nr < 0) return nullptr;  // nr -1: not in a system call
  Json args = Json::array();
  for (std::uint64_t arg : syscall->args) args.push_back(hex(arg));
  Json fds = Json::array();
  for (const FdDescription& fd : syscall->fds) {
    Json entry = Json::object();
    entry["arg"] = fd.arg;
    entry["fd"] = fd.fd;
    entry["target"] = fd.target;
    entry["description"] = fd.description;
    fds.push_back(std::move(entry));
  }
  Json out = Json::object();
  out["nr"] = syscall->nr;
  out["name"] = nonempty_or_null<Json>(syscall->name);
  out["args"] = std::move(args);
  out["fds"] = std::move(fds);
  return out;
}

template <class Json>
Json wait_to_json(const Wait& wait) {
  Json holders = Json::array();
  for (const WaitHolder& holder : wait.holders) {
    Json entry = Json::object();
    entry["pid"] = holder.pid;
    entry["tid"] = holder.tid ? Json(*holder.tid) : Json(nullptr);
    entry["name"] = holder.name;
    entry["state"] = holder.state;
    entry["syscall"] = string_or_null<Json>(holder.syscall);
    holders.push_back(std::move(entry));
  }
  Json out = Json::object();
  out["kind"] = to_string(wait.kind);
  out["address"] = hex_or_null<Json>(wait.address);
  out["description"] = wait.description;
  out["holders"] = std::move(holders);
  out["reason"] = string_or_null<Json>(wait.reason);
  return out;
}

template <class Json>
Json thread_to_json(const Thread& thread) {
  Json out = Json::object();
  out["tid"] = thread.tid;
  out["name"] = thread.name;
  out["state"] = thread.state;
  out["wchan"] = thread.wchan;
  out["syscall"] = syscall_to_json<Json>(thread.syscall);
  out["kernel"] = stack_to_json<Json>(thread.kernel, /*kernel=*/true);
  out["user"] = stack_to_json<Json>(thread.user, /*kernel=*/false);
  Json waits = Json::array();
  for (const Wait& wait : thread.waits_for) waits.push_back(wait_to_json<Json>(wait));
  out["waits_for"] = std::move(waits);
  out["progress"] = thread.progress ? Json(to_string(*thread.progress)) : Json(nullptr);
  if (thread.go_goroutine) {
    out["goroutine"] = *thread.go_goroutine ? Json(**thread.go_goroutine) : Json(nullptr);
  }
  out["notes"] = thread.notes;
  return out;
}

template <class Json>
Json goroutine_to_json(const Goroutine& goroutine) {
  Json out = Json::object();
  out["goid"] = goroutine.goid;
  out["status"] = goroutine.status;
  out["wait_reason"] = nonempty_or_null<Json>(goroutine.wait_reason);
  out["wait_since"] = goroutine.wait_since ? Json(*goroutine.wait_since) : Json(nullptr);
  out["waited_ns"] = goroutine.waited_ns ? Json(*goroutine.waited_ns) : Json(nullptr);
  out["created_by"] =
      goroutine.created_by ? user_frame_to_json<Json>(*goroutine.created_by) : Json(nullptr);
  out["tid"] = goroutine.tid ? Json(*goroutine.tid) : Json(nullptr);
  out["method"] = to_string(goroutine.stack.method);
  out["error"] = string_or_null<Json>(goroutine.stack.error);
  Json frames = Json::array();
  for (const Frame& frame : goroutine.stack.frames)
    frames.push_back(user_frame_to_json<Json>(frame));
  out["frames"] = std::move(frames);
  out["notes"] = goroutine.notes;
  return out;
}

// As a thread group: the shared stack from the first goroutine, functions and
// modules only.
template <class Json>
Json goroutine_groups_to_json(const Snapshot& snapshot) {
  Json out = Json::array();
  std::unordered_map<std::uint64_t, const Goroutine*> goroutines;
  for (const Goroutine& goroutine : snapshot.goroutines)
    goroutines.emplace(goroutine.goid, &goroutine);
  for (const GoroutineGroup& group : snapshot.goroutine_groups) {
    Json entry = Json::object();
    entry["goids"] = group.goids;
    auto first = group.goids.empty() ? goroutines.end() : goroutines.find(group.goids.front());
    const Goroutine* shown = first == goroutines.end() ? nullptr : first->second;
    entry["status"] = shown != nullptr ? Json(shown->status) : Json(nullptr);
    entry["wait_reason"] =
        shown != nullptr ? nonempty_or_null<Json>(shown->wait_reason) : Json(nullptr);
    Json frames = Json::array();
    if (shown != nullptr) {
      for (const Frame& frame : shown->stack.frames) {
        Json item = Json::object();
        item["function"] = nonempty_or_null<Json>(frame.function);
        item["module"] = string_or_null<Json>(frame.module);
        item["inlined"] = frame.inlined;
        frames.push_back(std::move(item));
      }
    }
    entry["frames"] = std::move(frames);
    out.push_back(std::move(entry));
  }
  return out;
}

// A group's shared stack, from its first thread: what makes the threads one group
// (analysis/groups.h), without the offsets and addresses that may differ. The full
// frames are on that thread.
template <class Json>
Json group_to_json(const ThreadGroup& group,
                   const std::unordered_map<int, const Thread*>& threads) {
  Json out = Json::object();
  out["tids"] = group.tids;
  const auto shown = group.tids.empty() ? threads.end() : threads.find(group.tids.front());
  const Thread* thread = shown == threads.end() ? nullptr : shown->second;
  out["syscall"] = thread != nullptr && thread->syscall && thread->syscall->nr >= 0
                       ? nonempty_or_null<Json>(thread->syscall->name)
                       : Json(nullptr);
  Json kernel = Json::array();
  Json user = Json::array();
  if (thread != nullptr) {
    for (const Frame& frame : thread->kernel.frames) {
      Json entry = Json::object();
      entry["function"] = nonempty_or_null<Json>(frame.function);
      entry["module"] = string_or_null<Json>(frame.module);
      kernel.push_back(std::move(entry));
    }
    for (const Frame& frame : thread->user.frames) {
      Json entry = Json::object();
      entry["function"] = nonempty_or_null<Json>(frame.function);
      entry["module"] = string_or_null<Json>(frame.module);
      entry["inlined"] = frame.inlined;
      user.push_back(std::move(entry));
    }
  }
  out["kernel"] = std::move(kernel);
  out["user"] = std::move(user);
  return out;
}

template <class Json>
Json groups_to_json(const Snapshot& snapshot) {
  Json out = Json::array();
  if (snapshot.groups.empty()) return out;
  std::unordered_map<int, const Thread*> threads;
  for (const Thread& thread : snapshot.threads) threads.emplace(thread.tid, &thread);
  for (const ThreadGroup& group : snapshot.groups) {
    out.push_back(group_to_json<Json>(group, threads));
  }
  return out;
}

template <class Json>
Json to_json(const Snapshot& snapshot, bool with_items = true) {
  Json out = Json::object();
  out["schema"] = kSnapshotSchema;
  out["tool"] = Json::object();
  out["tool"]["name"] = "ukstack";
  out["tool"]["version"] = kVersion;
  out["source"] = to_string(snapshot.source);
  if (snapshot.core_file) out["core_file"] = *snapshot.core_file;
  out["captured_at"] = snapshot.captured_at;
  out["kernel"] = snapshot.kernel;
  out["arch"] = snapshot.arch;
  out["engine"] = nonempty_or_null<Json>(snapshot.engine);
  Json process = Json::object();
  process["pid"] = snapshot.process.pid;
  process["exe"] = snapshot.process.exe;
  process["cmdline"] = snapshot.process.cmdline;
  process["name"] = snapshot.process.name;
  out["process"] = std::move(process);
  Json threads = Json::array();
  if (with_items) {
    for (const Thread& thread : snapshot.threads) threads.push_back(thread_to_json<Json>(thread));
  }
  out["threads"] = std::move(threads);
  Json goroutines = Json::array();
  if (with_items) {
    for (const Goroutine& goroutine : snapshot.goroutines) {
      goroutines.push_back(goroutine_to_json<Json>(goroutine));
    }
  }
  out["goroutines"] = std::move(goroutines);
  if (snapshot.goroutines_read) {
    out["goroutines_read"] = std::string(to_string(*snapshot.goroutines_read));
    out["goroutine_groups"] = goroutine_groups_to_json<Json>(snapshot);
  }
  if (!snapshot.goroutine_notes.empty()) out["goroutine_notes"] = snapshot.goroutine_notes;
  if (snapshot.python) {
    Json python = Json::object();
    python["version"] = snapshot.python->version;
    python["layouts_from"] = snapshot.python->layouts_from;
    python["gil_holder"] =
        snapshot.python->gil_holder ? Json(*snapshot.python->gil_holder) : Json(nullptr);
    python["gil_holder_in"] = nonempty_or_null<Json>(snapshot.python->gil_holder_in);
    python["notes"] = snapshot.python->notes;
    out["python"] = std::move(python);
  }
  out["groups"] = groups_to_json<Json>(snapshot);
  Json deadlocks = Json::array();
  for (const Deadlock& deadlock : snapshot.deadlocks) {
    Json entry = Json::object();
    entry["tids"] = deadlock.tids;
    entry["resources"] = deadlock.resources;
    deadlocks.push_back(std::move(entry));
  }
  out["deadlocks"] = std::move(deadlocks);
  if (snapshot.samples) {
    Json samples = Json::object();
    samples["count"] = snapshot.samples->count;
    samples["interval_ms"] = snapshot.samples->interval_ms;
    out["samples"] = std::move(samples);
  } else {
    out["samples"] = nullptr;
  }
  return out;
}

// ---- JSON -> Snapshot -------------------------------------------------------------
// A Reader is a JSON value with its path ("threads[0].kernel"); a mismatch throws a
// FormatError naming the path, which snapshot_from_json turns into an Error.

using nlohmann::json;

struct FormatError {
  std::string message;
};

class Reader {
 public:
  Reader(const json& value, std::string path) : value_(value), path_(std::move(path)) {}

  bool is_null() const { return value_.is_null(); }

  Reader field(std::string_view key) const {
    if (!value_.is_object()) fail("expected an object");
    auto it = value_.find(key);
    if (it == value_.end()) fail(fmt::format("missing field \"{}\"", key));
    return Reader(*it, path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key));
  }

  bool has(std::string_view key) const { return present(key) && !value_.at(key).is_null(); }
  bool present(std::string_view key) const { return value_.is_object() && value_.contains(key); }

  // Calls fn(Reader) for each item of an array.
  template <class Fn>
  void each(Fn&& fn) const {
    if (!value_.is_array()) fail("expected an array");
    for (std::size_t i = 0; i < value_.size(); ++i) {
      fn(Reader(value_[i], fmt::format("{}[{}]", path_, i)));
    }
  }

  std::string str() const {
    if (!value_.is_string()) fail("expected a string");
    return value_.get<std::string>();
  }
  std::optional<std::string> optional_str() const {
    return is_null() ? std::nullopt : std::optional(str());
  }
  std::string str_or_empty() const { return is_null() ? std::string() : str(); }

  std::vector<std::string> strings() const {
    std::vector<std::string> out;
    each([&](const Reader& item) { out.push_back(item.str()); });
    return out;
  }

  bool boolean() const {
    if (!value_.is_boolean()) fail("expected true or false");
    return value_.get<bool>();
  }

  template <class Int>
  Int integer() const {
    if (!value_.is_number_integer()) fail("expected an integer");
    const bool fits = value_.is_number_unsigned() ? std::in_range<Int>(value_.get<std::uint64_t>())
                                                  : std::in_range<Int>(value_.get<std::int64_t>());
    if (!fits) fail("integer out of range");
    return value_.is_number_unsigned() ? static_cast<Int>(value_.get<std::uint64_t>())
                                       : static_cast<Int>(value_.get<std::int64_t>());
  }

  std::uint64_t hex() const {
    constexpr std::string_view kExpected = "expected a hex string such as \"0x1f\"";
    if (!value_.is_string()) fail(kExpected);
    const auto& text = value_.get_ref<const std::string&>();
    if (text.size() < 3 || text.size() > 18 || text[0] != '0' || text[1] != 'x') fail(kExpected);
    std::uint64_t out = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data() + 2, end, out, 16);
    if (ec != std::errc() || ptr != end) fail(kExpected);
    return out;
  }
  FoundBy found_by() const {
    const std::string name = str();
    for (const auto& [value, known] : kFoundByNames) {
      if (name == known) return value;
    }
    fail("expected \"context\", \"cfi\" or \"frame_pointer\"");
  }

  // A GNU build-id: whole bytes in lower-case hex (it names files on the reading
  // machine, .build-id/xx/rest.debug, so nothing else gets through).
  std::string build_id() const {
    static constexpr std::string_view kExpected = "expected a build-id in lower-case hex";
    std::string text = str();
    if (text.empty() || text.size() % 2 != 0 || text.size() > 128 ||
        text.find_first_not_of("0123456789abcdef") != std::string::npos) {
      fail(kExpected);
    }
    return text;
  }

  std::optional<std::uint64_t> optional_hex() const {
    return is_null() ? std::nullopt : std::optional(hex());
  }

  [[noreturn]] void fail(std::string_view what) const {
    throw FormatError{path_.empty() ? std::string(what) : fmt::format("{}: {}", path_, what)};
  }

 private:
  const json& value_;
  std::string path_;
};

Frame frame_from_json(const Reader& r, bool kernel) {
  Frame frame;
  if (kernel) {
    if (r.has("pc")) frame.pc = r.field("pc").hex();
    frame.size = r.field("size").optional_hex();
  } else {
    frame.pc = r.field("pc").optional_hex();
    frame.file = r.field("file").optional_str();
    if (!r.field("line").is_null()) frame.line = r.field("line").integer<int>();
    frame.inlined = r.field("inlined").boolean();
    if (r.has("found_by"))
      frame.found_by = r.field("found_by").found_by();  // absent before it existed
    if (r.has("build_id")) frame.build_id = r.field("build_id").build_id();
    if (r.has("module_offset")) frame.module_offset = r.field("module_offset").hex();
    if (r.has("language")) {  // absent before it existed: native
      const Reader language = r.field("language");
      auto parsed = parse_frame_language(language.str());
      if (!parsed) language.fail("unknown frame language \"" + language.str() + "\"");
      frame.language = *parsed;
    }
  }
  frame.function = r.field("function").str_or_empty();
  frame.offset = r.field("offset").optional_hex().value_or(0);
  frame.module = r.field("module").optional_str();
  return frame;
}

Stack stack_from_json(const Reader& r, bool kernel) {
  Stack stack;
  const Reader method = r.field("method");
  auto parsed = parse_stack_method(method.str());
  if (!parsed) method.fail("unknown stack method \"" + method.str() + "\"");
  stack.method = *parsed;
  stack.error = r.field("error").optional_str();
  r.field("frames").each(
      [&](const Reader& item) { stack.frames.push_back(frame_from_json(item, kernel)); });
  return stack;
}

SyscallInfo syscall_from_json(const Reader& r) {
  SyscallInfo syscall;
  syscall.nr = r.field("nr").integer<long>();
  syscall.name = r.field("name").str_or_empty();
  r.field("args").each([&](const Reader& item) { syscall.args.push_back(item.hex()); });
  r.field("fds").each([&](const Reader& item) {
    syscall.fds.push_back(FdDescription{.arg = item.field("arg").integer<int>(),
                                        .fd = item.field("fd").integer<int>(),
                                        .target = item.field("target").str(),
                                        .description = item.field("description").str()});
  });
  return syscall;
}

// The schemas this reader knows. /1 documents have none of /2's fields (engine,
// groups, deadlocks, samples; a thread's waits_for and progress): they load with
// those empty.
enum class SchemaVersion { V1, V2 };

Wait wait_from_json(const Reader& r) {
  Wait wait;
  const Reader kind = r.field("kind");
  auto parsed = parse_wait_kind(kind.str());
  if (!parsed) {
    kind.fail("unknown wait kind \"" + kind.str() +
              "\" (mutex, rwlock, pipe, fifo, socket, child or file_lock)");
  }
  wait.kind = *parsed;
  wait.address = r.field("address").optional_hex();
  wait.description = r.field("description").str();
  r.field("holders").each([&](const Reader& item) {
    WaitHolder holder;
    holder.pid = item.field("pid").integer<int>();
    if (!item.field("tid").is_null()) holder.tid = item.field("tid").integer<int>();
    holder.name = item.field("name").str();
    holder.state = item.field("state").str();
    holder.syscall = item.field("syscall").optional_str();
    wait.holders.push_back(std::move(holder));
  });
  wait.reason = r.field("reason").optional_str();
  return wait;
}

Thread thread_from_json(const Reader& r, SchemaVersion version) {
  Thread thread;
  thread.tid = r.field("tid").integer<int>();
  thread.name = r.field("name").str();
  thread.state = r.field("state").str();
  thread.wchan = r.field("wchan").str();
  if (!r.field("syscall").is_null()) thread.syscall = syscall_from_json(r.field("syscall"));
  thread.kernel = stack_from_json(r.field("kernel"), /*kernel=*/true);
  thread.user = stack_from_json(r.field("user"), /*kernel=*/false);
  if (version == SchemaVersion::V2) {
    r.field("waits_for").each([&](const Reader& item) {
      thread.waits_for.push_back(wait_from_json(item));
    });
    const Reader progress = r.field("progress");
    if (!progress.is_null()) {
      auto parsed = parse_progress(progress.str());
      if (!parsed) {
        progress.fail("unknown progress \"" + progress.str() + "\" (stuck, waking or moving)");
      }
      thread.progress = *parsed;
    }
    // Present and null (a Go thread running no goroutine) differs from absent.
    if (r.present("goroutine")) {
      const Reader goroutine = r.field("goroutine");
      thread.go_goroutine.emplace(goroutine.is_null() ? std::optional<std::uint64_t>()
                                                      : goroutine.integer<std::uint64_t>());
    }
  }
  thread.notes = r.field("notes").strings();
  return thread;
}

// A group's tids; its stack is its first thread's, so it is not read back. The
// text renderer shows grouped threads only through their group: a tid that is no
// thread here, one in two groups, or a thread left out would lose or repeat one.
std::vector<ThreadGroup> groups_from_json(const Reader& r, const std::vector<Thread>& threads) {
  std::unordered_set<int> known;
  for (const Thread& thread : threads) known.insert(thread.tid);
  std::unordered_set<int> grouped;
  std::vector<ThreadGroup> groups;
  r.each([&](const Reader& item) {
    ThreadGroup group;
    const Reader tids = item.field("tids");
    tids.each([&](const Reader& tid_reader) {
      const int tid = tid_reader.integer<int>();
      if (!known.contains(tid)) tid_reader.fail(fmt::format("{} is not a thread here", tid));
      if (!grouped.insert(tid).second) tid_reader.fail(fmt::format("{} is in two groups", tid));
      group.tids.push_back(tid);
    });
    if (group.tids.empty()) tids.fail("a group without threads");
    groups.push_back(std::move(group));
  });
  if (!groups.empty()) {
    for (const Thread& thread : threads) {
      if (!grouped.contains(thread.tid))
        r.fail(fmt::format("thread {} is in no group", thread.tid));
    }
  }
  return groups;
}

Goroutine goroutine_from_json(const Reader& r) {
  Goroutine goroutine;
  goroutine.goid = r.field("goid").integer<std::uint64_t>();
  goroutine.status = r.field("status").str();
  goroutine.wait_reason = r.field("wait_reason").str_or_empty();
  if (!r.field("wait_since").is_null())
    goroutine.wait_since = r.field("wait_since").integer<std::int64_t>();
  if (!r.field("waited_ns").is_null())
    goroutine.waited_ns = r.field("waited_ns").integer<std::int64_t>();
  if (!r.field("created_by").is_null())
    goroutine.created_by = frame_from_json(r.field("created_by"), /*kernel=*/false);
  if (!r.field("tid").is_null()) goroutine.tid = r.field("tid").integer<int>();
  const Reader method = r.field("method");
  auto parsed = parse_stack_method(method.str());
  if (!parsed) method.fail("unknown stack method \"" + method.str() + "\"");
  goroutine.stack.method = *parsed;
  goroutine.stack.error = r.field("error").optional_str();
  r.field("frames").each([&](const Reader& item) {
    goroutine.stack.frames.push_back(frame_from_json(item, /*kernel=*/false));
  });
  goroutine.notes = r.field("notes").strings();
  return goroutine;
}

// Groups of goroutines: their goids, each a goroutine here and in one group.
std::vector<GoroutineGroup> goroutine_groups_from_json(const Reader& r,
                                                       const std::vector<Goroutine>& goroutines) {
  std::unordered_set<std::uint64_t> known;
  for (const Goroutine& goroutine : goroutines) known.insert(goroutine.goid);
  std::unordered_set<std::uint64_t> grouped;
  std::vector<GoroutineGroup> groups;
  r.each([&](const Reader& item) {
    GoroutineGroup group;
    const Reader goids = item.field("goids");
    goids.each([&](const Reader& goid_reader) {
      const auto goid = goid_reader.integer<std::uint64_t>();
      if (!known.contains(goid)) goid_reader.fail(fmt::format("{} is not a goroutine here", goid));
      if (!grouped.insert(goid).second) goid_reader.fail(fmt::format("{} is in two groups", goid));
      group.goids.push_back(goid);
    });
    if (group.goids.empty()) goids.fail("a group without goroutines");
    groups.push_back(std::move(group));
  });
  return groups;
}

Deadlock deadlock_from_json(const Reader& r) {
  Deadlock deadlock;
  r.field("tids").each([&](const Reader& item) { deadlock.tids.push_back(item.integer<int>()); });
  deadlock.resources = r.field("resources").strings();
  // A cycle: resources[i] is held by tids[i + 1], the last by tids[0].
  if (deadlock.tids.empty()) r.field("tids").fail("a deadlock without threads");
  if (deadlock.resources.size() != deadlock.tids.size()) {
    r.field("resources").fail("expected one resource per thread of the cycle");
  }
  return deadlock;
}

SampleInfo samples_from_json(const Reader& r) {
  SampleInfo samples;
  samples.count = r.field("count").integer<int>();
  if (samples.count < 1) r.field("count").fail("expected at least 1");
  samples.interval_ms = r.field("interval_ms").integer<int>();
  if (samples.interval_ms < 0) r.field("interval_ms").fail("expected 0 or more");
  return samples;
}

SchemaVersion schema_version(const Reader& r) {
  const Reader schema = r.field("schema");
  const std::string name = schema.str();
  if (name == kSnapshotSchema) return SchemaVersion::V2;
  if (name == kSnapshotSchemaV1) return SchemaVersion::V1;
  schema.fail(fmt::format("unsupported schema \"{}\" (this ukstack reads \"{}\" and \"{}\")", name,
                          kSnapshotSchema, kSnapshotSchemaV1));
}

Snapshot snapshot_from_reader(const Reader& r) {
  const SchemaVersion version = schema_version(r);
  Snapshot snapshot;
  const Reader source = r.field("source");
  auto parsed = parse_snapshot_source(source.str());
  if (!parsed) source.fail("unknown source \"" + source.str() + "\" (live or core)");
  snapshot.source = *parsed;
  if (r.has("core_file")) snapshot.core_file = r.field("core_file").str();
  snapshot.captured_at = r.field("captured_at").str();
  snapshot.kernel = r.field("kernel").str();
  snapshot.arch = r.field("arch").str();
  if (version == SchemaVersion::V2) snapshot.engine = r.field("engine").str_or_empty();
  const Reader process = r.field("process");
  snapshot.process.pid = process.field("pid").integer<int>();
  snapshot.process.exe = process.field("exe").str();
  snapshot.process.cmdline = process.field("cmdline").strings();
  snapshot.process.name = process.field("name").str();
  r.field("threads").each(
      [&](const Reader& item) { snapshot.threads.push_back(thread_from_json(item, version)); });
  if (version == SchemaVersion::V2) {
    snapshot.groups = groups_from_json(r.field("groups"), snapshot.threads);
    r.field("deadlocks").each([&](const Reader& item) {
      snapshot.deadlocks.push_back(deadlock_from_json(item));
    });
    if (!r.field("samples").is_null()) snapshot.samples = samples_from_json(r.field("samples"));
    r.field("goroutines").each([&](const Reader& item) {
      snapshot.goroutines.push_back(goroutine_from_json(item));
    });
    if (r.has("goroutines_read")) {
      const Reader read = r.field("goroutines_read");
      auto how = parse_goroutine_read(read.str());
      if (!how) read.fail("unknown way of reading goroutines \"" + read.str() + "\"");
      snapshot.goroutines_read = *how;
    }
    if (r.has("goroutine_groups")) {
      snapshot.goroutine_groups =
          goroutine_groups_from_json(r.field("goroutine_groups"), snapshot.goroutines);
    }
    if (r.has("goroutine_notes")) snapshot.goroutine_notes = r.field("goroutine_notes").strings();
    if (r.has("python") && !r.field("python").is_null()) {
      const Reader python = r.field("python");
      PythonInfo& info = snapshot.python.emplace();
      info.version = python.field("version").str();
      info.layouts_from = python.field("layouts_from").str();
      if (!python.field("gil_holder").is_null()) {
        info.gil_holder = python.field("gil_holder").integer<int>();
      }
      info.gil_holder_in = python.field("gil_holder_in").str_or_empty();
      info.notes = python.field("notes").strings();
    }
  }
  return snapshot;
}

}  // namespace

nlohmann::json snapshot_to_json(const Snapshot& snapshot) {
  return to_json<nlohmann::json>(snapshot);
}

nlohmann::ordered_json snapshot_outline_to_json(const Snapshot& snapshot) {
  return to_json<nlohmann::ordered_json>(snapshot, /*with_items=*/false);
}

nlohmann::ordered_json thread_to_ordered_json(const Thread& thread) {
  return thread_to_json<nlohmann::ordered_json>(thread);
}

nlohmann::ordered_json goroutine_to_ordered_json(const Goroutine& goroutine) {
  return goroutine_to_json<nlohmann::ordered_json>(goroutine);
}

nlohmann::json snapshots_to_json(const std::vector<Snapshot>& snapshots) {
  if (snapshots.size() == 1) return snapshot_to_json(snapshots.front());
  nlohmann::json out = nlohmann::json::array();
  for (const Snapshot& snapshot : snapshots) out.push_back(snapshot_to_json(snapshot));
  return out;
}

namespace {

// The reader's exceptions become an Error: nothing a document holds throws past here.
template <class Fn>
auto read_document(Fn&& read) -> Result<decltype(read())> {
  try {
    return read();
  } catch (const FormatError& e) {
    return Error{0, "not a ukstack snapshot: " + e.message};
  } catch (const nlohmann::json::exception& e) {  // not expected: Reader checks types first
    return Error{0, std::string("not a ukstack snapshot: ") + e.what()};
  }
}

}  // namespace

Result<Snapshot> snapshot_from_json(const nlohmann::json& document) {
  return read_document([&] { return snapshot_from_reader(Reader(document, "")); });
}

Result<std::vector<Snapshot>> snapshots_from_json(const nlohmann::json& document) {
  return read_document([&] {
    std::vector<Snapshot> snapshots;
    if (!document.is_array()) {
      snapshots.push_back(snapshot_from_reader(Reader(document, "")));
      return snapshots;
    }
    if (document.empty()) throw FormatError{"an empty array (expected one snapshot or more)"};
    for (std::size_t i = 0; i < document.size(); ++i) {
      snapshots.push_back(snapshot_from_reader(Reader(document[i], fmt::format("[{}]", i))));
    }
    return snapshots;
  });
}

}  // namespace ukstack
