#include "render/pprof.h"

#include <google/protobuf/io/gzip_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <cstdint>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "profile.pb.h"
#include "render/escape.h"
#include "render/profile_weight.h"

namespace ukstack {

namespace {

namespace pb = perftools::profiles;

// RFC 3339 in UTC as a capture writes it ("2026-12-02T02:25:07Z"), in nanoseconds
// since the epoch; 0 (pprof: unknown) for anything else, including a time past 2262
// that nanoseconds cannot hold (a loaded snapshot may say anything).
std::int64_t epoch_nanos(const std::string& rfc3339) {
  std::tm parts{};
  const char* end = strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%SZ", &parts);
  if (end == nullptr || *end != '\0') return 0;
  std::int64_t nanos = 0;
  if (__builtin_mul_overflow(static_cast<std::int64_t>(timegm(&parts)), 1'000'000'000, &nanos))
    return 0;
  return nanos;
}

std::string kernel_mapping_name(const Frame& frame) {
  if (frame.module && !frame.module->empty()) return "[" + escape_for_terminal(*frame.module) + "]";
  return "[kernel.kallsyms]";  // as perf names the kernel's own image
}

class ProfileBuilder {
 public:
  ProfileBuilder() {
    string_id("");  // profile.proto: string_table[0] is the empty string
    pb::ValueType* threads = profile_.add_sample_type();
    threads->set_type(string_id("threads"));
    threads->set_unit(string_id("count"));
    *profile_.mutable_period_type() = *threads;
    profile_.set_period(1);
  }

  void add(const Snapshot& snapshot) {
    if (profile_.time_nanos() == 0) profile_.set_time_nanos(epoch_nanos(snapshot.captured_at));
    std::string comment = "ukstack: process " + std::to_string(snapshot.process.pid) + " (" +
                          escape_for_terminal(snapshot.process.name) + "), " +
                          std::string(to_string(snapshot.source)) + ", " + snapshot.captured_at;
    if (snapshot.samples) {
      comment += ", " + std::to_string(snapshot.samples->count) + " samples " +
                 std::to_string(snapshot.samples->interval_ms) +
                 " ms apart: a stuck or waking thread counts once per sample, any other once";
      // From the first sample's start to the last's (a loaded snapshot may say anything).
      std::int64_t span = 0;
      if (snapshot.samples->count > 1 && snapshot.samples->interval_ms > 0 &&
          !__builtin_mul_overflow(std::int64_t{snapshot.samples->count - 1},
                                  std::int64_t{snapshot.samples->interval_ms} * 1'000'000, &span)) {
        profile_.set_duration_nanos(span);
      }
    }
    profile_.add_comment(string_id(comment));
    // The executable's mapping first: pprof names the profile after its first mapping.
    if (!snapshot.process.exe.empty()) mapping(escape_for_terminal(snapshot.process.exe));
    for (const Thread& thread : snapshot.threads) {
      if (in_profile(thread)) add_thread(snapshot, thread);
    }
  }

  const pb::Profile& profile() const { return profile_; }

 private:
  // Strings from the target go through escape_for_terminal before they get here.
  std::int64_t string_id(const std::string& text) {
    auto [it, added] = strings_.try_emplace(text, profile_.string_table_size());
    if (added) profile_.add_string_table(text);
    return it->second;
  }

  pb::Mapping& mapping(const std::string& file) {
    auto [it, added] = mappings_.try_emplace(file, profile_.mapping_size());
    if (added) {
      pb::Mapping* created = profile_.add_mapping();
      created->set_id(static_cast<std::uint64_t>(profile_.mapping_size()));
      created->set_filename(string_id(file));
      // ukstack named what it could; the load address is not kept, so pprof must
      // not try to symbolize the addresses again.
      created->set_has_functions(true);
    }
    return *profile_.mutable_mapping(it->second);
  }

  std::uint64_t function_id(const std::string& name, const std::string& system_name,
                            const std::string& file) {
    const auto key = std::make_tuple(string_id(name), string_id(system_name), string_id(file));
    auto [it, added] = functions_.try_emplace(key, profile_.function_size() + 1);
    if (added) {
      pb::Function* function = profile_.add_function();
      function->set_id(it->second);
      function->set_name(std::get<0>(key));
      function->set_system_name(std::get<1>(key));
      function->set_filename(std::get<2>(key));
    }
    return it->second;
  }

  using Lines = std::vector<std::pair<std::uint64_t, std::int64_t>>;  // function id, line

  std::uint64_t location_id(const pb::Mapping* in, std::uint64_t address, const Lines& lines) {
    const std::uint64_t mapping_id = in != nullptr ? in->id() : 0;
    auto [it, added] = locations_.try_emplace(std::make_tuple(mapping_id, address, lines),
                                              profile_.location_size() + 1);
    if (added) {
      pb::Location* location = profile_.add_location();
      location->set_id(it->second);
      location->set_mapping_id(mapping_id);
      location->set_address(address);
      for (const auto& [function, line] : lines) {
        pb::Line* entry = location->add_line();
        entry->set_function_id(function);
        entry->set_line(line);
      }
    }
    return it->second;
  }

  std::uint64_t kernel_location(const Frame& frame) {
    const std::string name =
        frame.function.empty() ? "[unknown]" : escape_for_terminal(frame.function);
    const Lines lines{{function_id(name + "_[k]", name, ""), 0}};
    return location_id(&mapping(kernel_mapping_name(frame)), frame.pc.value_or(0), lines);
  }

  // `calls`: frames innermost first, all inlined into the last one, whose pc and
  // module the location has.
  std::uint64_t user_location(const std::vector<const Frame*>& calls) {
    const Frame& physical = *calls.back();
    pb::Mapping* in = nullptr;
    if (physical.module && !physical.module->empty()) {
      in = &mapping(escape_for_terminal(*physical.module));
      in->set_has_inline_frames(in->has_inline_frames() || calls.size() > 1);
      // The build-id lets a collector (or `pprof -symbolize`) find the module's debug info.
      if (physical.build_id && in->build_id() == 0) in->set_build_id(string_id(*physical.build_id));
    }
    Lines lines;
    for (const Frame* call : calls) {
      if (call->function.empty()) continue;
      const std::string name = escape_for_terminal(call->function);
      const std::string file = call->file ? escape_for_terminal(*call->file) : "";
      lines.emplace_back(function_id(name, name, file), call->line.value_or(0));
      if (in != nullptr) {
        in->set_has_filenames(in->has_filenames() || call->file.has_value());
        in->set_has_line_numbers(in->has_line_numbers() || call->line.has_value());
      }
    }
    return location_id(in, physical.pc.value_or(0), lines);
  }

  void add_label(pb::Sample& sample, const std::string& key, const std::string& text) {
    pb::Label* label = sample.add_label();
    label->set_key(string_id(key));
    label->set_str(string_id(text));
  }
  void add_label(pb::Sample& sample, const std::string& key, std::int64_t number) {
    pb::Label* label = sample.add_label();
    label->set_key(string_id(key));
    label->set_num(number);
  }

  void add_thread(const Snapshot& snapshot, const Thread& thread) {
    pb::Sample* sample = profile_.add_sample();
    sample->add_value(sample_weight(snapshot, thread));
    for (const Frame& frame : thread.kernel.frames) sample->add_location_id(kernel_location(frame));
    std::vector<const Frame*> calls;
    for (const Frame& frame : thread.user.frames) {
      calls.push_back(&frame);
      if (frame.inlined) continue;  // its caller comes next: one location
      sample->add_location_id(user_location(calls));
      calls.clear();
    }
    if (!calls.empty()) sample->add_location_id(user_location(calls));  // cut after an inlined call

    add_label(*sample, "thread", escape_for_terminal(thread.name));
    add_label(*sample, "tid", thread.tid);
    add_label(*sample, "pid", snapshot.process.pid);
    add_label(*sample, "process", escape_for_terminal(snapshot.process.name));
    if (!thread.state.empty()) add_label(*sample, "state", escape_for_terminal(thread.state));
    if (thread.syscall) {
      add_label(*sample, "syscall",
                thread.syscall->name.empty() ? std::to_string(thread.syscall->nr)
                                             : escape_for_terminal(thread.syscall->name));
    }
    if (thread.progress) add_label(*sample, "progress", std::string(to_string(*thread.progress)));
  }

  pb::Profile profile_;
  std::unordered_map<std::string, std::int64_t> strings_;
  std::map<std::string, int> mappings_;  // file → index in profile_.mapping
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, std::uint64_t> functions_;
  std::map<std::tuple<std::uint64_t, std::uint64_t, Lines>, std::uint64_t> locations_;
};

}  // namespace

bool write_pprof(std::span<const Snapshot> snapshots, std::ostream& out) {
  ProfileBuilder builder;
  for (const Snapshot& snapshot : snapshots) builder.add(snapshot);
  bool written = false;
  {
    google::protobuf::io::OstreamOutputStream stream(&out);
    google::protobuf::io::GzipOutputStream::Options options;
    options.format = google::protobuf::io::GzipOutputStream::GZIP;
    google::protobuf::io::GzipOutputStream gzip(&stream, options);
    written = builder.profile().SerializeToZeroCopyStream(&gzip);
    written = gzip.Close() && written;
  }  // the ostream stream hands its last bytes to `out` here
  out.flush();
  return written && out.good();
}

}  // namespace ukstack
