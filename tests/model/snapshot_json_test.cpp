// The JSON document both ways (model/snapshot_json.h, model/snapshot_file.h): schema
// /2's fields survive a round trip, /1 documents still load, several processes load
// from one array, and bad documents give one clear line, never a crash.
#include "model/snapshot_json.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "model/snapshot_file.h"
#include "tests/model/sample_snapshot.h"
#include "tests/model/schema_check.h"

namespace ukstack {
namespace {

using nlohmann::json;
using testing::sample_snapshot;
using testing::SchemaVersion;
using testing::validate_against_schema;
using testing::waiting_snapshot;

// /2's fields of two snapshots, compared one by one (the model has no operator==).
void expect_same_v2_fields(const Snapshot& loaded, const Snapshot& original) {
  EXPECT_EQ(loaded.engine, original.engine);
  ASSERT_EQ(loaded.samples.has_value(), original.samples.has_value());
  if (original.samples) {
    EXPECT_EQ(loaded.samples->count, original.samples->count);
    EXPECT_EQ(loaded.samples->interval_ms, original.samples->interval_ms);
  }
  ASSERT_EQ(loaded.groups.size(), original.groups.size());
  for (std::size_t i = 0; i < original.groups.size(); ++i) {
    EXPECT_EQ(loaded.groups[i].tids, original.groups[i].tids) << "group " << i;
  }
  ASSERT_EQ(loaded.deadlocks.size(), original.deadlocks.size());
  for (std::size_t i = 0; i < original.deadlocks.size(); ++i) {
    EXPECT_EQ(loaded.deadlocks[i].tids, original.deadlocks[i].tids);
    EXPECT_EQ(loaded.deadlocks[i].resources, original.deadlocks[i].resources);
  }
  ASSERT_EQ(loaded.threads.size(), original.threads.size());
  for (std::size_t t = 0; t < original.threads.size(); ++t) {
    const Thread& got = loaded.threads[t];
    const Thread& want = original.threads[t];
    SCOPED_TRACE("thread " + std::to_string(want.tid));
    EXPECT_EQ(got.progress, want.progress);
    EXPECT_FALSE(got.activity.has_value());  // not in the JSON
    ASSERT_EQ(got.waits_for.size(), want.waits_for.size());
    for (std::size_t w = 0; w < want.waits_for.size(); ++w) {
      const Wait& a = got.waits_for[w];
      const Wait& b = want.waits_for[w];
      EXPECT_EQ(a.kind, b.kind);
      EXPECT_EQ(a.address, b.address);
      EXPECT_EQ(a.description, b.description);
      EXPECT_EQ(a.reason, b.reason);
      ASSERT_EQ(a.holders.size(), b.holders.size());
      for (std::size_t h = 0; h < b.holders.size(); ++h) {
        EXPECT_EQ(a.holders[h].pid, b.holders[h].pid);
        EXPECT_EQ(a.holders[h].tid, b.holders[h].tid);
        EXPECT_EQ(a.holders[h].name, b.holders[h].name);
        EXPECT_EQ(a.holders[h].state, b.holders[h].state);
      }
    }
  }
}

// The message of loading `document`, which must fail.
std::string load_error(const json& document) {
  const Result<Snapshot> loaded = snapshot_from_json(document);
  EXPECT_FALSE(loaded.ok()) << document.dump();
  return loaded.ok() ? "" : loaded.error().message;
}

// A file in the test's temporary directory, removed at the end of the test.
class TempJsonFile {
 public:
  explicit TempJsonFile(const std::string& text)
      : path_((std::filesystem::path(::testing::TempDir()) /
               (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
                ".json"))
                  .string()) {
    std::ofstream(path_) << text;
  }
  ~TempJsonFile() { std::filesystem::remove(path_); }
  TempJsonFile(const TempJsonFile&) = delete;
  TempJsonFile& operator=(const TempJsonFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(SnapshotJsonV2, EveryNewFieldRoundTrips) {
  const Snapshot original = waiting_snapshot();
  const json document = snapshot_to_json(original);
  EXPECT_EQ(document["schema"], "ukstack.snapshot/2");
  const Result<Snapshot> loaded = snapshot_from_json(document);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  expect_same_v2_fields(*loaded, original);
  EXPECT_EQ(snapshot_to_json(*loaded), document);
}

TEST(SnapshotJsonV2, EmptyNewFieldsRoundTripAsEmpty) {
  Snapshot original = sample_snapshot();  // no engine, groups, waits, progress, samples
  const Result<Snapshot> loaded = snapshot_from_json(snapshot_to_json(original));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  expect_same_v2_fields(*loaded, original);
}

// What another machine needs to name a frame (--resymbolize): each user frame's
// module build-id and its address in the module, kept through a round trip, valid
// against the schema, and absent (not null) where a frame has none.
TEST(SnapshotJsonV2, BuildIdAndModuleOffsetRoundTripAndValidate) {
  Snapshot original = sample_snapshot();
  Frame& named = original.threads[0].user.frames[0];
  named.build_id = "1e5b7c0d9a3f42e8b6c1d2e3f4a5b6c7d8e9f001";
  named.module_offset = 0x10b1b;
  Frame& bare = original.threads[1].user.frames[1];
  bare.build_id = "00ff";
  bare.module_offset = 0x401000;  // a fixed-address executable: its own pc
  const json document = snapshot_to_json(original);
  EXPECT_EQ(validate_against_schema(document.dump()), "");
  const json& frame = document["threads"][0]["user"]["frames"][0];
  EXPECT_EQ(frame["build_id"], "1e5b7c0d9a3f42e8b6c1d2e3f4a5b6c7d8e9f001");
  EXPECT_EQ(frame["module_offset"], "0x10b1b");  // a hex string, as every address
  EXPECT_FALSE(document["threads"][0]["user"]["frames"][2].contains("build_id"));
  EXPECT_FALSE(document["threads"][0]["user"]["frames"][2].contains("module_offset"));

  const Result<Snapshot> loaded = snapshot_from_json(document);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->threads[0].user.frames[0].build_id, named.build_id);
  EXPECT_EQ(loaded->threads[0].user.frames[0].module_offset, named.module_offset);
  EXPECT_EQ(loaded->threads[1].user.frames[1].build_id, "00ff");
  EXPECT_EQ(loaded->threads[1].user.frames[1].module_offset, 0x401000u);
  EXPECT_FALSE(loaded->threads[0].user.frames[2].build_id.has_value());
  EXPECT_FALSE(loaded->threads[0].user.frames[2].module_offset.has_value());
  EXPECT_EQ(snapshot_to_json(*loaded), document);  // nothing lost or changed
}

// Issue 14: Python and JIT frames carry their language, and a Python program's
// interpreter (its version, the GIL's holder) is kept; both survive a round trip.
TEST(SnapshotJsonV2, FrameLanguagesAndPythonInfoRoundTripAndValidate) {
  Snapshot original = sample_snapshot();
  Frame python;
  python.language = FrameLanguage::Python;
  python.function = "Handler.handle_request";
  python.file = "/srv/app.py";
  python.line = 212;
  auto& frames = original.threads[0].user.frames;
  frames.insert(frames.begin() + 1, python);
  frames[2].language = FrameLanguage::Jit;
  original.python = PythonInfo{.version = "3.11.2",
                               .layouts_from = "debug info",
                               .gil_holder = original.threads[0].tid,
                               .gil_holder_in = "zlib_compress_impl, called from pack (app.py:80)",
                               .notes = {"a note"}};
  Wait gil;
  gil.kind = WaitKind::Gil;
  gil.description = "the GIL of process 1";
  original.threads[1].waits_for.push_back(gil);
  const json document = snapshot_to_json(original);
  EXPECT_EQ(validate_against_schema(document.dump()), "");
  const json& written = document["threads"][0]["user"]["frames"];
  EXPECT_EQ(written[0]["language"], "native");
  EXPECT_EQ(written[1]["language"], "python");
  EXPECT_EQ(written[1]["pc"], nullptr);
  EXPECT_EQ(written[1]["module"], nullptr);
  EXPECT_EQ(written[2]["language"], "jit");
  EXPECT_EQ(document["python"]["gil_holder"], original.threads[0].tid);

  const Result<Snapshot> loaded = snapshot_from_json(document);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->threads[0].user.frames[1].language, FrameLanguage::Python);
  EXPECT_EQ(loaded->threads[0].user.frames[1].line, 212);
  EXPECT_EQ(loaded->threads[0].user.frames[2].language, FrameLanguage::Jit);
  ASSERT_TRUE(loaded->python.has_value());
  EXPECT_EQ(loaded->python->gil_holder_in, original.python->gil_holder_in);
  EXPECT_EQ(loaded->threads[1].waits_for.back().kind, WaitKind::Gil);
  EXPECT_EQ(snapshot_to_json(*loaded), document);  // nothing lost or changed

  json unknown = document;
  unknown["threads"][0]["user"]["frames"][1]["language"] = "cobol";
  EXPECT_NE(load_error(unknown).find("frames[1].language: unknown frame language"),
            std::string::npos)
      << load_error(unknown);
  EXPECT_NE(validate_against_schema(unknown.dump()), "");
}

// A build-id names files on the reading machine (.build-id/xx/rest.debug): only
// whole bytes of lower-case hex are taken, by the reader as by the schema.
TEST(SnapshotJsonV2, BadBuildIdsAndModuleOffsetsNameTheField) {
  const json good = snapshot_to_json(sample_snapshot());
  const std::string where = "not a ukstack snapshot: threads[0].user.frames[0].";
  for (const json& bad : {json("../../etc/passwd"), json("ABCDEF"), json("abc"), json(""),
                          json(std::string(130, 'a')), json(1234)}) {
    json broken = good;
    broken["threads"][0]["user"]["frames"][0]["build_id"] = bad;
    EXPECT_NE(load_error(broken).find(where + "build_id: expected a"), std::string::npos)
        << bad.dump();
    EXPECT_NE(validate_against_schema(broken.dump()), "") << bad.dump();
  }
  json broken = good;
  broken["threads"][0]["user"]["frames"][0]["module_offset"] = 4096;
  EXPECT_EQ(load_error(broken), where + "module_offset: expected a hex string such as \"0x1f\"");
  EXPECT_NE(validate_against_schema(broken.dump()), "");
}

TEST(SnapshotJsonV2, GoroutinesRoundTripAndValidate) {
  const Snapshot original = testing::go_snapshot();
  const json document = snapshot_to_json(original);
  EXPECT_EQ(validate_against_schema(document.dump()), "");
  ASSERT_EQ(document["goroutines"].size(), original.goroutines.size());
  EXPECT_EQ(document["goroutines_read"], "no-stop-checked");
  // A Go thread names its goroutine, or null when idle; other threads have no field.
  EXPECT_EQ(document["threads"][3]["goroutine"], 20);
  ASSERT_TRUE(document["threads"][0].contains("goroutine"));
  EXPECT_TRUE(document["threads"][0]["goroutine"].is_null());

  const Result<Snapshot> loaded = snapshot_from_json(document);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_EQ(loaded->goroutines.size(), original.goroutines.size());
  const Goroutine& worker = loaded->goroutines[2];
  EXPECT_EQ(worker.goid, 6u);
  EXPECT_EQ(worker.wait_reason, "chan receive");
  EXPECT_EQ(worker.waited_ns, original.goroutines[2].waited_ns);
  ASSERT_TRUE(worker.created_by);
  EXPECT_EQ(worker.created_by->function, "main.main");
  EXPECT_EQ(loaded->goroutines.back().tid, 5003);
  ASSERT_EQ(loaded->goroutine_groups.size(), original.goroutine_groups.size());
  EXPECT_EQ(loaded->goroutine_groups[0].goids, (std::vector<std::uint64_t>{6, 7, 8}));
  EXPECT_EQ(loaded->threads[3].go_goroutine, original.threads[3].go_goroutine);
  EXPECT_EQ(snapshot_to_json(*loaded), document);  // nothing lost or changed

  // A program that is not Go has none of the goroutine fields but the empty list.
  const json plain = snapshot_to_json(sample_snapshot());
  EXPECT_TRUE(plain["goroutines"].empty());
  EXPECT_FALSE(plain.contains("goroutines_read"));
  EXPECT_FALSE(plain["threads"][0].contains("goroutine"));
}

TEST(SnapshotJsonV2, GoroutineGroupsNameGoroutinesOfTheSnapshot) {
  json document = snapshot_to_json(testing::go_snapshot());
  document["goroutine_groups"][1]["goids"].push_back(999);
  EXPECT_NE(load_error(document).find("goroutine_groups[1].goids[1]: 999 is not a goroutine here"),
            std::string::npos);
  document = snapshot_to_json(testing::go_snapshot());
  document["goroutine_groups"][1]["goids"].push_back(6);
  EXPECT_NE(load_error(document).find("goroutine_groups[1].goids[1]: 6 is in two groups"),
            std::string::npos);
  document = snapshot_to_json(testing::go_snapshot());
  document["goroutines_read"] = "guessed";
  EXPECT_NE(load_error(document).find("goroutines_read"), std::string::npos);
}

// A file an older ukstack wrote: the fuzz regression input is one, kept as it was.
TEST(SnapshotJsonV1, CommittedV1FileValidatesAgainstV1AndLoads) {
  const std::string path =
      std::string(UKSTACK_SOURCE_DIR) +
      "/tests/fuzz/regressions/snapshot_json/zombie-leader-no-exe-closed-fd.json";
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(json::parse(text)["schema"], "ukstack.snapshot/1");
  EXPECT_EQ(validate_against_schema(text, SchemaVersion::V1), "");
  EXPECT_NE(validate_against_schema(text), "");  // not a /2 document
  const Result<Snapshot> loaded = load_snapshot_file(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_FALSE(loaded->threads.empty());
  // Written again, it is a valid /2 document.
  EXPECT_EQ(validate_against_schema(snapshot_to_json(*loaded).dump()), "");
}

// The sample as ukstack 1 would have written it: /2's fields absent. It loads with
// them empty and everything else as it was.
TEST(SnapshotJsonV1, LoadsWithTheNewFieldsEmpty) {
  json v1 = snapshot_to_json(waiting_snapshot());
  v1["schema"] = "ukstack.snapshot/1";
  for (const char* field : {"engine", "groups", "deadlocks", "samples"}) v1.erase(field);
  for (json& thread : v1["threads"]) {
    thread.erase("waits_for");
    thread.erase("progress");
    for (json& frame : thread["user"]["frames"]) frame.erase("language");
  }
  ASSERT_EQ(validate_against_schema(v1.dump(), SchemaVersion::V1), "");

  const Result<Snapshot> loaded = snapshot_from_json(v1);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->engine, "");
  EXPECT_TRUE(loaded->groups.empty());
  EXPECT_TRUE(loaded->deadlocks.empty());
  EXPECT_FALSE(loaded->samples.has_value());
  for (const Thread& thread : loaded->threads) {
    EXPECT_TRUE(thread.waits_for.empty());
    EXPECT_FALSE(thread.progress.has_value());
  }
  // Everything /1 has is as it was.
  Snapshot expected = waiting_snapshot();
  expected.engine.clear();
  expected.groups.clear();
  expected.deadlocks.clear();
  expected.samples.reset();
  for (Thread& thread : expected.threads) {
    thread.waits_for.clear();
    thread.progress.reset();
  }
  EXPECT_EQ(snapshot_to_json(*loaded), snapshot_to_json(expected));
}

TEST(SnapshotJsonV2, NewFieldsAreRequiredInV2) {
  const json good = snapshot_to_json(waiting_snapshot());
  json j = good;
  j.erase("deadlocks");
  EXPECT_EQ(load_error(j), "not a ukstack snapshot: missing field \"deadlocks\"");
  j = good;
  j["threads"][2].erase("waits_for");
  EXPECT_EQ(load_error(j), "not a ukstack snapshot: threads[2]: missing field \"waits_for\"");
}

TEST(SnapshotJson, UnknownSchemaIsOneClearLine) {
  json j = snapshot_to_json(sample_snapshot());
  j["schema"] = "ukstack.snapshot/3";
  const std::string error = load_error(j);
  EXPECT_EQ(error,
            "not a ukstack snapshot: schema: unsupported schema \"ukstack.snapshot/3\" (this "
            "ukstack reads \"ukstack.snapshot/2\" and \"ukstack.snapshot/1\")");
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST(SnapshotJsonV2, BadWaitsAndProgressNameTheField) {
  const json good = snapshot_to_json(waiting_snapshot());
  struct Case {
    const char* pointer;
    json value;
    const char* error;
  };
  const Case cases[] = {
      {"/threads/1/waits_for/0/kind", "spinlock",
       "threads[1].waits_for[0].kind: unknown wait kind \"spinlock\" (mutex, rwlock, pipe, "
       "fifo, socket, child or file_lock)"},
      {"/threads/1/progress", "frozen",
       "threads[1].progress: unknown progress \"frozen\" (stuck, waking or moving)"},
      {"/threads/1/progress", 1, "threads[1].progress: expected a string"},
      {"/threads/1/waits_for/0/address", 94358525501504,
       "threads[1].waits_for[0].address: expected a hex string such as \"0x1f\""},
      {"/threads/1/waits_for/0/address", "55d0a0c0e040",
       "threads[1].waits_for[0].address: expected a hex string such as \"0x1f\""},
      {"/threads/1/waits_for/0/address", "0xnothex",
       "threads[1].waits_for[0].address: expected a hex string such as \"0x1f\""},
      {"/threads/1/waits_for/0/holders/0/tid", "5002",
       "threads[1].waits_for[0].holders[0].tid: expected an integer"},
      {"/threads/0/waits_for/0/holders", json::object(),
       "threads[0].waits_for[0].holders: expected an array"},
      {"/threads/3/waits_for/0/reason", false, "threads[3].waits_for[0].reason: expected a string"},
      {"/samples/count", 0, "samples.count: expected at least 1"},
      {"/samples/interval_ms", -5, "samples.interval_ms: expected 0 or more"},
      {"/engine", 7, "engine: expected a string"},
      {"/deadlocks/0/resources", json::array({"mutex 0x55d0a0c0e040"}),
       "deadlocks[0].resources: expected one resource per thread of the cycle"},
      {"/deadlocks/0/tids", json::array(), "deadlocks[0].tids: a deadlock without threads"},
  };
  for (const Case& c : cases) {
    json broken = good;
    broken[json::json_pointer(c.pointer)] = c.value;
    EXPECT_EQ(load_error(broken), std::string("not a ukstack snapshot: ") + c.error) << c.pointer;
  }
}

// The text shows grouped threads only through their groups, so groups that lose or
// repeat a thread are refused rather than shown wrong.
TEST(SnapshotJsonV2, GroupsMustPartitionTheThreads) {
  const json good = snapshot_to_json(waiting_snapshot());
  json j = good;
  j["groups"][1]["tids"] = {4999};
  EXPECT_EQ(load_error(j), "not a ukstack snapshot: groups[1].tids[0]: 4999 is not a thread here");
  j = good;
  j["groups"][1]["tids"] = {5000, 5001};
  EXPECT_EQ(load_error(j), "not a ukstack snapshot: groups[1].tids[1]: 5001 is in two groups");
  j = good;
  j["groups"].erase(3);
  EXPECT_EQ(load_error(j), "not a ukstack snapshot: groups: thread 5004 is in no group");
  j = good;
  j["groups"][3]["tids"] = json::array();
  EXPECT_EQ(load_error(j), "not a ukstack snapshot: groups[3].tids: a group without threads");
  j = good;
  j["groups"] = json::array();  // not grouped
  const Result<Snapshot> loaded = snapshot_from_json(j);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_TRUE(loaded->groups.empty());
}

TEST(SnapshotsJson, OneSnapshotIsAnObjectSeveralAnArray) {
  const Snapshot first = waiting_snapshot();
  const Snapshot second = sample_snapshot();
  EXPECT_EQ(snapshots_to_json({first}), snapshot_to_json(first));
  const json both = snapshots_to_json({first, second});
  ASSERT_TRUE(both.is_array());
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0], snapshot_to_json(first));
  EXPECT_EQ(both[1], snapshot_to_json(second));
}

TEST(SnapshotsJson, LoadsAnObjectOrAnArray) {
  const Snapshot first = waiting_snapshot();
  const Snapshot second = sample_snapshot();
  const auto one = snapshots_from_json(snapshot_to_json(first));
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().process.pid, first.process.pid);

  const auto both = snapshots_from_json(snapshots_to_json({first, second}));
  ASSERT_TRUE(both.ok()) << both.error().message;
  ASSERT_EQ(both->size(), 2u);
  EXPECT_EQ(snapshots_to_json(*both), snapshots_to_json({first, second}));
  expect_same_v2_fields((*both)[0], first);

  // /1 and /2 snapshots may sit in one array (a file put together by hand).
  json mixed = json::array({snapshot_to_json(second), snapshot_to_json(first)});
  mixed[0]["schema"] = "ukstack.snapshot/1";
  for (const char* field : {"engine", "groups", "deadlocks", "samples"}) mixed[0].erase(field);
  for (json& thread : mixed[0]["threads"]) {
    thread.erase("waits_for");
    thread.erase("progress");
  }
  EXPECT_TRUE(snapshots_from_json(mixed).ok());
}

TEST(SnapshotsJson, ArrayErrorsNameTheItem) {
  json both = snapshots_to_json({waiting_snapshot(), sample_snapshot()});
  both[1]["threads"][0]["tid"] = "4242";
  auto loaded = snapshots_from_json(both);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message,
            "not a ukstack snapshot: [1].threads[0].tid: expected an integer");

  loaded = snapshots_from_json(json::array());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message,
            "not a ukstack snapshot: an empty array (expected one snapshot or more)");

  for (const json& j :
       {json(nullptr), json(42), json::array({1}), json::array({json::array()}), json::object()}) {
    Result<std::vector<Snapshot>> r = std::vector<Snapshot>{};
    EXPECT_NO_THROW(r = snapshots_from_json(j)) << j;
    EXPECT_FALSE(r.ok()) << j;
  }
  // snapshot_from_json takes one snapshot, never an array.
  EXPECT_EQ(load_error(snapshots_to_json({waiting_snapshot(), sample_snapshot()})),
            "not a ukstack snapshot: expected an object");
}

TEST(SnapshotsFile, LoadsEverySnapshotOfAFile) {
  const TempJsonFile file(snapshots_to_json({waiting_snapshot(), sample_snapshot()}).dump(2));
  const auto loaded = load_snapshots_file(file.path());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0].process.pid, 5000);
  EXPECT_EQ((*loaded)[1].process.pid, 4242);

  // One snapshot expected: a file of two says so.
  const Result<Snapshot> one = load_snapshot_file(file.path());
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.error().message,
            file.path() + " holds 2 snapshots (one per process); expected one");
}

// The committed fuzz input: a /2 parent beside its /1 child, deadlocked across the
// two processes, a holder's name with control characters (kept as read: renderers
// escape), an unreadable lock at the top of the address space.
TEST(SnapshotsFile, CommittedTwoProcessFileLoads) {
  const auto loaded = load_snapshots_file(std::string(UKSTACK_SOURCE_DIR) +
                                          "/tests/fuzz/regressions/snapshot_json/"
                                          "two-processes-v2-beside-v1-cross-process-deadlock.json");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_EQ(loaded->size(), 2u);
  const Snapshot& parent = (*loaded)[0];
  const Snapshot& child = (*loaded)[1];
  ASSERT_EQ(parent.deadlocks.size(), 1u);
  EXPECT_EQ(parent.deadlocks[0].tids, (std::vector<int>{7000, child.process.pid}));
  ASSERT_EQ(parent.threads[0].waits_for.size(), 2u);
  EXPECT_EQ(parent.threads[0].waits_for[0].holders.at(0).name, "\x1b[2Jchild\n");
  EXPECT_EQ(parent.threads[0].waits_for[1].address, 0xffffffffffffffffu);
  EXPECT_TRUE(parent.threads[0].waits_for[1].holders.empty());
  EXPECT_TRUE(child.groups.empty());  // a /1 document
}

TEST(SnapshotsFile, ErrorsNameTheFile) {
  const TempJsonFile file(R"({"schema": "ukstack.snapshot/9"})");
  const auto loaded = load_snapshots_file(file.path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message.rfind(file.path() + ": not a ukstack snapshot: schema: ", 0), 0u)
      << loaded.error().message;
  const auto missing = load_snapshots_file(file.path() + ".missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace ukstack
