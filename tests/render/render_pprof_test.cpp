// The pprof view on hand-built snapshots, read back as a collector reads it: gunzip,
// then parse with the same profile.proto.
#include <google/protobuf/io/gzip_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "profile.pb.h"
#include "render/pprof.h"
#include "tests/model/sample_snapshot.h"

namespace ukstack {
namespace {

namespace pb = perftools::profiles;
using testing::sample_snapshot;
using testing::server_snapshot;

struct ReadBack {
  std::string bytes;
  pb::Profile profile;
};

ReadBack write_and_read(std::span<const Snapshot> snapshots) {
  std::ostringstream out;
  EXPECT_TRUE(write_pprof(snapshots, out));
  ReadBack back{out.str(), {}};
  google::protobuf::io::ArrayInputStream raw(back.bytes.data(),
                                             static_cast<int>(back.bytes.size()));
  google::protobuf::io::GzipInputStream gunzip(&raw, google::protobuf::io::GzipInputStream::GZIP);
  EXPECT_TRUE(back.profile.ParseFromZeroCopyStream(&gunzip));
  return back;
}

ReadBack write_and_read(const Snapshot& snapshot) { return write_and_read({&snapshot, 1}); }

// The profile's tables by id, and what a sample says in words.
class Tables {
 public:
  explicit Tables(const pb::Profile& profile) : profile_(profile) {
    for (const auto& location : profile.location()) locations_[location.id()] = &location;
    for (const auto& function : profile.function()) functions_[function.id()] = &function;
    for (const auto& mapping : profile.mapping()) mappings_[mapping.id()] = &mapping;
  }
  const std::string& text(std::int64_t index) const {
    return profile_.string_table(static_cast<int>(index));
  }
  const pb::Location& location(std::uint64_t id) const { return *locations_.at(id); }
  const pb::Function& function(std::uint64_t id) const { return *functions_.at(id); }
  std::string mapping_file(std::uint64_t id) const {
    return id == 0 ? "" : text(mappings_.at(id)->filename());
  }

  // Function names, innermost first, inlined calls before their caller.
  std::vector<std::string> names(const pb::Sample& sample) const {
    std::vector<std::string> out;
    for (auto id : sample.location_id()) {
      for (const auto& line : location(id).line())
        out.push_back(text(function(line.function_id()).name()));
    }
    return out;
  }
  std::string label(const pb::Sample& sample, const std::string& key) const {
    for (const auto& label : sample.label()) {
      if (text(label.key()) == key)
        return label.str() != 0 ? text(label.str()) : std::to_string(label.num());
    }
    return "(none)";
  }
  const pb::Sample& sample_of(int tid) const {
    for (const auto& sample : profile_.sample()) {
      if (label(sample, "tid") == std::to_string(tid)) return sample;
    }
    throw std::out_of_range("no sample of tid " + std::to_string(tid));
  }

 private:
  const pb::Profile& profile_;
  std::map<std::uint64_t, const pb::Location*> locations_;
  std::map<std::uint64_t, const pb::Function*> functions_;
  std::map<std::uint64_t, const pb::Mapping*> mappings_;
};

TEST(RenderPprof, GzippedProfileOfThreadCounts) {
  const ReadBack back = write_and_read(sample_snapshot());
  ASSERT_GE(back.bytes.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(back.bytes[0]), 0x1f);  // gzip's magic
  EXPECT_EQ(static_cast<unsigned char>(back.bytes[1]), 0x8b);
  const pb::Profile& profile = back.profile;
  const Tables tables(profile);
  ASSERT_EQ(profile.string_table(0), "");
  ASSERT_EQ(profile.sample_type_size(), 1);
  EXPECT_EQ(tables.text(profile.sample_type(0).type()), "threads");
  EXPECT_EQ(tables.text(profile.sample_type(0).unit()), "count");
  // One sample per thread there was at the capture (the exited one is left out).
  ASSERT_EQ(profile.sample_size(), 4);
  for (const auto& sample : profile.sample()) {
    ASSERT_EQ(sample.value_size(), 1);
    EXPECT_EQ(sample.value(0), 1);
  }
  EXPECT_GT(profile.time_nanos(), 0);
}

TEST(RenderPprof, KernelFramesThenUserFramesInnermostFirst) {
  const ReadBack back = write_and_read(sample_snapshot());
  const Tables tables(back.profile);
  const pb::Sample& accept = tables.sample_of(4242);
  EXPECT_EQ(tables.names(accept),
            (std::vector<std::string>{"inet_csk_accept_[k]", "inet_accept_[k]", "do_accept_[k]",
                                      "entry_SYSCALL_64_after_hwframe_[k]", "accept", "accept_one",
                                      "server_accept_and_close", "main"}));
  // Kernel frames are in the kernel's mapping, named without the mark underneath.
  const pb::Location& innermost = tables.location(accept.location_id(0));
  EXPECT_EQ(tables.mapping_file(innermost.mapping_id()), "[kernel.kallsyms]");
  EXPECT_EQ(tables.text(tables.function(innermost.line(0).function_id()).system_name()),
            "inet_csk_accept");
  // The inlined call is a line of its caller's location, with its own line number.
  ASSERT_EQ(accept.location_id_size(), 7);
  const pb::Location& server = tables.location(accept.location_id(5));
  ASSERT_EQ(server.line_size(), 2);
  EXPECT_EQ(server.address(), 0x55d0c0de1189u);
  EXPECT_EQ(server.line(0).line(), 24);
  EXPECT_EQ(server.line(1).line(), 31);
  EXPECT_EQ(tables.text(tables.function(server.line(0).function_id()).filename()),
            "accept_server.c");
  EXPECT_EQ(tables.mapping_file(server.mapping_id()), "/build/fixtures/accept_server");

  const pb::Sample& reader = tables.sample_of(4245);
  EXPECT_EQ(tables.mapping_file(tables.location(reader.location_id(0)).mapping_id()), "[nfs]");
  // A frame with no name keeps its address for pprof to show.
  const pb::Sample& worker = tables.sample_of(4243);
  ASSERT_EQ(worker.location_id_size(), 2);
  EXPECT_EQ(tables.location(worker.location_id(1)).line_size(), 0);
  EXPECT_EQ(tables.location(worker.location_id(1)).address(), 0x7f3a00001000u);
}

// A user module's build-id goes into its mapping, so a collector can find its debug
// info; a module without one has none.
TEST(RenderPprof, MappingsCarryTheModulesBuildId) {
  Snapshot snapshot = sample_snapshot();
  for (auto& thread : snapshot.threads) {
    for (auto& frame : thread.user.frames) {
      if (frame.module == "/build/fixtures/accept_server") frame.build_id = "5ca1ab1e00c0ffee";
    }
  }
  const ReadBack back = write_and_read(snapshot);
  const Tables tables(back.profile);
  std::map<std::string, std::string> build_ids;
  for (const auto& mapping : back.profile.mapping())
    build_ids[tables.text(mapping.filename())] = tables.text(mapping.build_id());
  EXPECT_EQ(build_ids.at("/build/fixtures/accept_server"), "5ca1ab1e00c0ffee");
  EXPECT_EQ(build_ids.at("[kernel.kallsyms]"), "");
}

TEST(RenderPprof, LabelsNameTheThreadAndTheProcess) {
  const ReadBack back = write_and_read(sample_snapshot());
  const Tables tables(back.profile);
  const pb::Sample& accept = tables.sample_of(4242);
  EXPECT_EQ(tables.label(accept, "thread"), "accept_server");
  EXPECT_EQ(tables.label(accept, "pid"), "4242");
  EXPECT_EQ(tables.label(accept, "process"), "accept_server");
  EXPECT_EQ(tables.label(accept, "state"), "S");
  EXPECT_EQ(tables.label(accept, "syscall"), "accept");
  EXPECT_EQ(tables.label(tables.sample_of(4245), "state"), "D");
  EXPECT_EQ(tables.label(tables.sample_of(4245), "syscall"), "999");  // no name known
  EXPECT_EQ(tables.label(tables.sample_of(4243), "syscall"), "(none)");
}

TEST(RenderPprof, LocationsAndFunctionsAreSharedAndWellFormed) {
  const Snapshot snapshot = server_snapshot();
  const ReadBack back = write_and_read(snapshot);
  const pb::Profile& profile = back.profile;
  std::set<std::uint64_t> ids;
  for (const auto& location : profile.location()) {
    EXPECT_NE(location.id(), 0u);
    EXPECT_TRUE(ids.insert(location.id()).second);
  }
  const Tables tables(profile);
  std::set<std::string> names;
  for (const auto& function : profile.function()) {
    EXPECT_TRUE(names.insert(tables.text(function.name())).second)
        << tables.text(function.name()) << " twice";
  }
  std::set<std::string> mappings;
  for (const auto& mapping : profile.mapping()) {
    EXPECT_TRUE(mappings.insert(tables.text(mapping.filename())).second);
  }
  EXPECT_EQ(mappings,
            (std::set<std::string>{"[kernel.kallsyms]", "[nfs]",
                                   "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/sbin/kvserver"}));
  for (const auto& sample : profile.sample()) {
    for (auto id : sample.location_id()) EXPECT_TRUE(ids.contains(id));
  }
}

TEST(RenderPprof, WithSamplesValuesAddUp) {
  Snapshot snapshot = server_snapshot();  // 5 samples; every thread stuck or waking
  snapshot.threads[3].progress = Progress::Moving;
  const ReadBack back = write_and_read(snapshot);
  const Tables tables(back.profile);
  std::int64_t sum = 0;
  for (const auto& sample : back.profile.sample()) sum += sample.value(0);
  const auto threads = static_cast<std::int64_t>(snapshot.threads.size());
  EXPECT_EQ(sum, (threads - 1) * 5 + 1);
  EXPECT_EQ(tables.sample_of(snapshot.threads[3].tid).value(0), 1);
  EXPECT_EQ(tables.label(tables.sample_of(snapshot.threads[3].tid), "progress"), "moving");
  EXPECT_EQ(back.profile.duration_nanos(), 4 * 100'000'000);
}

TEST(RenderPprof, HostileStringsAreEscaped) {
  Snapshot snapshot = sample_snapshot();
  snapshot.threads[0].name = "evil\x1b]0;title\x07\xff";
  snapshot.threads[0].user.frames[0].function = "f\n\x1b[2J";
  const ReadBack back = write_and_read(snapshot);  // parsing checks the strings are UTF-8
  const Tables tables(back.profile);
  for (const std::string& text : back.profile.string_table()) {
    for (char c : text) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << text;
  }
  const pb::Sample& evil = tables.sample_of(4242);
  EXPECT_EQ(tables.label(evil, "thread"), "evil\\x1b]0;title\\x07\\xff");
  EXPECT_EQ(tables.names(evil)[4], "f\\n\\x1b[2J");
}

}  // namespace
}  // namespace ukstack
