#include <gtest/gtest.h>

#include "model/snapshot_json.h"
#include "render/json.h"
#include "render/text.h"
#include "tests/model/sample_snapshot.h"
#include "tests/model/schema_check.h"

namespace ukstack {
namespace {

using nlohmann::json;
using testing::sample_snapshot;
using testing::validate_against_schema;
using testing::waiting_snapshot;

TEST(RenderJson, TopLevelFields) {
  const json j = snapshot_to_json(sample_snapshot());
  EXPECT_EQ(j["schema"], "ukstack.snapshot/2");
  EXPECT_EQ(j["tool"]["name"], "ukstack");
  ASSERT_TRUE(j["tool"]["version"].is_string());
  EXPECT_FALSE(j["tool"]["version"].get<std::string>().empty());
  EXPECT_EQ(j["source"], "live");
  EXPECT_EQ(j["captured_at"], "2026-11-27T23:40:00Z");
  EXPECT_EQ(j["process"]["pid"], 4242);
  EXPECT_EQ(j["process"]["cmdline"], json({"/usr/bin/accept_server", "--port", "1337"}));
  EXPECT_EQ(j["goroutines"], json::array());
  // Not analysed, not sampled, no engine named: empty, not absent.
  EXPECT_TRUE(j["engine"].is_null());
  EXPECT_EQ(j["groups"], json::array());
  EXPECT_EQ(j["deadlocks"], json::array());
  EXPECT_TRUE(j["samples"].is_null());
  EXPECT_EQ(j["threads"][0]["waits_for"], json::array());
  EXPECT_TRUE(j["threads"][0]["progress"].is_null());
}

TEST(RenderJson, AddressesAreHexStrings) {
  const json t = snapshot_to_json(sample_snapshot())["threads"][0];
  EXPECT_EQ(t["syscall"]["nr"], 43);
  EXPECT_EQ(t["syscall"]["args"][0], "0x3");
  EXPECT_EQ(t["syscall"]["fds"][0], json({{"arg", 0},
                                          {"fd", 3},
                                          {"target", "socket:[81234]"},
                                          {"description", "tcp 127.0.0.1:1337 LISTEN"}}));
  EXPECT_EQ(t["kernel"]["frames"][0], json({{"function", "inet_csk_accept"},
                                            {"offset", "0x1f2"},
                                            {"size", "0x3b0"},
                                            {"module", nullptr},
                                            {"found_by", nullptr}}));
  EXPECT_EQ(t["user"]["frames"][0], json({{"pc", "0x7f3a12345b1b"},
                                          {"function", "accept"},
                                          {"offset", "0x1b"},
                                          {"module", "/usr/lib/x86_64-linux-gnu/libc.so.6"},
                                          {"file", nullptr},
                                          {"line", nullptr},
                                          {"inlined", false},
                                          {"found_by", "context"},
                                          {"language", "native"}}));
  EXPECT_EQ(t["user"]["frames"][1]["inlined"], true);
  EXPECT_EQ(t["user"]["frames"][1]["line"], 24);
}

TEST(RenderJson, AbsentValuesAreNull) {
  const json j = snapshot_to_json(sample_snapshot());
  const json& running = j["threads"][1];
  EXPECT_TRUE(running["syscall"].is_null());
  EXPECT_TRUE(running["kernel"]["error"].is_null());
  EXPECT_EQ(running["user"]["error"], "unwinding stopped: no CFI for 0x7f3a00001000");
  const json& unknown_frame = running["user"]["frames"][1];
  EXPECT_TRUE(unknown_frame["function"].is_null());
  EXPECT_TRUE(unknown_frame["offset"].is_null());
  EXPECT_TRUE(j["threads"][3]["syscall"]["name"].is_null());  // nr 999
}

TEST(RenderJson, KernelPcOnlyWhenKnown) {
  const json j = snapshot_to_json(sample_snapshot());
  EXPECT_FALSE(j["threads"][0]["kernel"]["frames"][0].contains("pc"));
  const json& module_frame = j["threads"][3]["kernel"]["frames"][0];
  EXPECT_EQ(module_frame["pc"], "0xffffffffc0a01234");
  EXPECT_EQ(module_frame["module"], "nfs");
}

TEST(RenderJson, FoundByOnUserFrames) {
  const json j = snapshot_to_json(sample_snapshot());
  const json& accept = j["threads"][0]["user"]["frames"];
  EXPECT_EQ(accept[0]["found_by"], "context");
  EXPECT_EQ(accept[1]["found_by"], "cfi");  // inlined: its physical frame's
  EXPECT_EQ(accept[2]["found_by"], "cfi");
  EXPECT_EQ(j["threads"][1]["user"]["frames"][1]["found_by"], "frame_pointer");
  EXPECT_TRUE(j["threads"][2]["user"]["frames"][0]["found_by"].is_null());  // not known
}

TEST(RenderJson, PrettyWithTrailingNewlineInDesignOrder) {
  const std::string text = render_json(sample_snapshot());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.rfind("{\n  \"schema\": \"ukstack.snapshot/2\",\n  \"tool\": {", 0), 0u) << text;
}

TEST(RenderJson, InvalidUtf8DoesNotThrow) {
  Snapshot s = sample_snapshot();
  s.threads[0].name = "bad\xff";
  std::string text;
  EXPECT_NO_THROW(text = render_json(s));
  EXPECT_NE(text.find("\"bad\xef\xbf\xbd\""), std::string::npos);  // U+FFFD
}

TEST(RenderJson, RoundTripRendersTheSame) {
  const Snapshot original = sample_snapshot();
  const std::string saved = render_json(original);
  const Result<Snapshot> loaded = snapshot_from_json(json::parse(saved));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(render_json(*loaded), saved);
  EXPECT_EQ(snapshot_to_json(*loaded), snapshot_to_json(original));
  EXPECT_EQ(render_text(*loaded, {}), render_text(original, {}));
  EXPECT_EQ(render_text(*loaded, {.color = true}), render_text(original, {.color = true}));
}

TEST(SnapshotFromJson, ReadsFoundByAndSnapshotsWithoutIt) {
  json j = snapshot_to_json(sample_snapshot());
  Result<Snapshot> r = snapshot_from_json(j);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->threads[0].user.frames[0].found_by, FoundBy::Context);
  EXPECT_EQ(r->threads[0].user.frames[2].found_by, FoundBy::Cfi);
  EXPECT_EQ(r->threads[1].user.frames[1].found_by, FoundBy::FramePointer);
  EXPECT_EQ(r->threads[2].user.frames[0].found_by, std::nullopt);
  EXPECT_EQ(r->threads[0].kernel.frames[0].found_by, std::nullopt);

  // A snapshot written before the field existed: every frame without it.
  for (json& thread : j["threads"]) {
    for (const char* half : {"kernel", "user"}) {
      for (json& frame : thread[half]["frames"]) frame.erase("found_by");
    }
  }
  EXPECT_EQ(validate_against_schema(j.dump()), "");
  r = snapshot_from_json(j);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->threads[0].user.frames[0].found_by, std::nullopt);
  EXPECT_EQ(r->threads[1].user.frames[1].found_by, std::nullopt);

  j = snapshot_to_json(sample_snapshot());
  j["threads"][0]["user"]["frames"][0]["found_by"] = "guess";
  r = snapshot_from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "not a ukstack snapshot: threads[0].user.frames[0].found_by: expected \"context\", "
            "\"cfi\" or \"frame_pointer\"");
}

TEST(SnapshotFromJson, RejectsOtherSchemas) {
  json j = snapshot_to_json(sample_snapshot());
  j["schema"] = "ukstack.snapshot/3";
  const Result<Snapshot> r = snapshot_from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unsupported schema \"ukstack.snapshot/3\""), std::string::npos)
      << r.error().message;
}

TEST(SnapshotFromJson, ErrorsNameTheField) {
  json j = snapshot_to_json(sample_snapshot());
  j["threads"][0]["kernel"]["frames"][2]["offset"] = 194;
  Result<Snapshot> r = snapshot_from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "not a ukstack snapshot: threads[0].kernel.frames[2].offset: expected a hex string "
            "such as \"0x1f\"");

  j = snapshot_to_json(sample_snapshot());
  j["threads"][1].erase("tid");
  r = snapshot_from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "not a ukstack snapshot: threads[1]: missing field \"tid\"");
}

TEST(SnapshotFromJson, NeverThrows) {
  for (const json& j : {json(nullptr), json(42), json::array(), json::object(),
                        json({{"schema", "ukstack.snapshot/1"}}),
                        json::parse(R"({"schema": "ukstack.snapshot/1", "threads": "x"})")}) {
    Result<Snapshot> r = Snapshot{};
    EXPECT_NO_THROW(r = snapshot_from_json(j)) << j;
    EXPECT_FALSE(r.ok()) << j;
  }
  json j = snapshot_to_json(sample_snapshot());
  j["threads"][0]["tid"] = 1LL << 40;
  EXPECT_FALSE(snapshot_from_json(j).ok());
  j = snapshot_to_json(sample_snapshot());
  j["threads"][0]["user"]["frames"][0]["pc"] = "0x1ffffffffffffffff";
  EXPECT_FALSE(snapshot_from_json(j).ok());
}

TEST(RenderJson, CoreSnapshotRoundTripsWithItsCoreFile) {
  const Snapshot original = testing::core_snapshot();
  const std::string saved = render_json(original);
  const json document = json::parse(saved);
  EXPECT_EQ(document["source"], "core");
  EXPECT_EQ(document["core_file"], "core.13654");
  EXPECT_TRUE(document["threads"][0]["syscall"].is_null());
  EXPECT_EQ(document["threads"][0]["kernel"]["method"], "none");
  EXPECT_EQ(validate_against_schema(saved), "");
  const Result<Snapshot> loaded = snapshot_from_json(document);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(render_json(*loaded), saved);
  EXPECT_EQ(render_text(*loaded, {}), render_text(original, {}));
}

TEST(RenderJson, LiveSnapshotHasNoCoreFile) {
  EXPECT_FALSE(json::parse(render_json(sample_snapshot())).contains("core_file"));
}

TEST(Schema, SampleSnapshotValidates) {
  EXPECT_EQ(validate_against_schema(render_json(sample_snapshot())), "");
}

TEST(Schema, EmptyProcessValidates) {
  Snapshot s;
  s.captured_at = "2026-11-27T23:40:00Z";
  EXPECT_EQ(validate_against_schema(render_json(s)), "");
}

TEST(Schema, BrokenDocumentsAreRejected) {
  const json good = snapshot_to_json(sample_snapshot());
  struct Case {
    const char* what;
    json::json_pointer pointer;
    json value;
  };
  const Case cases[] = {
      {"address as a number", json::json_pointer("/threads/0/user/frames/0/pc"), 139887},
      {"upper-case hex", json::json_pointer("/threads/0/kernel/frames/0/offset"), "0x1F2"},
      {"unknown method", json::json_pointer("/threads/0/user/method"), "gdb"},
      {"unknown found_by", json::json_pointer("/threads/0/user/frames/0/found_by"), "scan"},
      {"found_by on a kernel frame", json::json_pointer("/threads/0/kernel/frames/0/found_by"),
       "cfi"},
      {"unknown source", json::json_pointer("/source"), "remote"},
      {"extra field", json::json_pointer("/threads/0/colour"), "red"},
      {"older schema's name", json::json_pointer("/schema"), "ukstack.snapshot/1"},
  };
  for (const Case& c : cases) {
    json broken = good;
    broken[c.pointer] = c.value;
    EXPECT_NE(validate_against_schema(broken.dump()), "") << c.what;
  }
  json missing = good;
  missing["threads"][0]["kernel"].erase("error");
  const std::string error = validate_against_schema(missing.dump());
  EXPECT_NE(error.find("/threads/0/kernel"), std::string::npos) << error;
  EXPECT_NE(error.find("'error' is a required property"), std::string::npos) << error;
  EXPECT_NE(validate_against_schema("{not json"), "");
}

// The document is written a thread at a time; it must be exactly what nlohmann
// prints for the whole document (same indentation, same order), whatever the
// number of threads: none, one, several.
TEST(RenderJson, StreamedTextIsTheWholeDocumentsPrettyPrint) {
  Snapshot several = sample_snapshot();
  ASSERT_GE(several.threads.size(), 2u);
  Snapshot one = several;
  one.threads.resize(1);
  Snapshot none = several;
  none.threads.clear();
  const Snapshot core = testing::core_snapshot();
  const Snapshot waiting = waiting_snapshot();
  for (const Snapshot* snapshot :
       std::initializer_list<const Snapshot*>{&several, &one, &none, &core, &waiting}) {
    const std::string text = render_json(*snapshot);
    const auto parsed = nlohmann::ordered_json::parse(text);
    EXPECT_EQ(text, parsed.dump(2, ' ', false) + "\n");
    EXPECT_EQ(parsed["threads"].size(), snapshot->threads.size());
  }
}

TEST(RenderJson, WaitsForAndProgress) {
  const json j = snapshot_to_json(waiting_snapshot());
  // A mutex with its owner thread; the address is a hex string.
  EXPECT_EQ(j["threads"][1]["waits_for"],
            json::parse(R"([{"kind": "mutex", "address": "0x55d0a0c0e040",
                             "description": "mutex 0x55d0a0c0e040",
                             "holders": [{"pid": 5000, "tid": 5002, "name": "teller-b",
                                          "state": "S", "syscall": null}],
                             "reason": null}])"));
  // A pipe held by two processes: no tid, no address.
  const json& pipe = j["threads"][0]["waits_for"][0];
  EXPECT_EQ(pipe["kind"], "pipe");
  EXPECT_TRUE(pipe["address"].is_null());
  ASSERT_EQ(pipe["holders"].size(), 2u);
  EXPECT_TRUE(pipe["holders"][0]["tid"].is_null());
  EXPECT_EQ(pipe["holders"][1]["pid"], 6002);
  // No holder to trust: none named, and why.
  const json& doubtful = j["threads"][3]["waits_for"][0];
  EXPECT_EQ(doubtful["holders"], json::array());
  EXPECT_EQ(doubtful["reason"],
            "the mutex names owner 99999, which is not a thread of process 5000");
  EXPECT_EQ(j["threads"][0]["progress"], "stuck");
  EXPECT_EQ(j["threads"][3]["progress"], "waking");
  EXPECT_EQ(j["threads"][4]["progress"], "moving");
  EXPECT_EQ(j["threads"][4]["waits_for"], json::array());
  // Scheduling counters are the analysis's input, not part of the document.
  Snapshot with_activity = waiting_snapshot();
  with_activity.threads[0].activity = ThreadActivity{
      .cpu_ns = 5, .times_run = 1, .voluntary_switches = 2, .involuntary_switches = 3};
  EXPECT_EQ(snapshot_to_json(with_activity), j);
}

TEST(RenderJson, EngineDeadlocksAndSamples) {
  const json j = snapshot_to_json(waiting_snapshot());
  EXPECT_EQ(j["engine"], "procfs");
  EXPECT_EQ(j["deadlocks"], json::parse(R"([{"tids": [5001, 5002],
      "resources": ["mutex 0x55d0a0c0e040", "mutex 0x55d0a0c0e080"]}])"));
  EXPECT_EQ(j["samples"], json({{"count", 5}, {"interval_ms", 100}}));
  EXPECT_TRUE(snapshot_to_json(testing::core_snapshot())["engine"].is_null());
}

// A group's stack is its first thread's system call and frames, by function and
// module only: what makes the threads one group.
TEST(RenderJson, GroupsCarryTheirFirstThreadsStack) {
  const json j = snapshot_to_json(waiting_snapshot());
  ASSERT_EQ(j["groups"].size(), 4u);
  const json& tellers = j["groups"][0];
  EXPECT_EQ(tellers["tids"], json({5001, 5002}));
  const json& first = j["threads"][1];
  ASSERT_EQ(first["tid"], 5001);
  EXPECT_EQ(tellers["syscall"], first["syscall"]["name"]);
  for (const char* half : {"kernel", "user"}) {
    ASSERT_EQ(tellers[half].size(), first[half]["frames"].size()) << half;
    for (std::size_t i = 0; i < tellers[half].size(); ++i) {
      EXPECT_EQ(tellers[half][i]["function"], first[half]["frames"][i]["function"]);
      EXPECT_EQ(tellers[half][i]["module"], first[half]["frames"][i]["module"]);
      EXPECT_FALSE(tellers[half][i].contains("offset"));
      EXPECT_FALSE(tellers[half][i].contains("pc"));
    }
  }
  EXPECT_EQ(tellers["user"][0]["inlined"], false);
  // The running thread: no system call, a user frame, no kernel frames.
  const json& spinner = j["groups"][3];
  EXPECT_EQ(spinner["tids"], json({5004}));
  EXPECT_TRUE(spinner["syscall"].is_null());
  EXPECT_EQ(spinner["kernel"], json::array());
  EXPECT_EQ(spinner["user"][0]["function"], "spin");
}

// Groups filled by hand with a tid that is no thread: written with no stack, not a crash.
TEST(RenderJson, GroupOfAnUnknownTidIsWrittenWithoutAStack) {
  Snapshot s = sample_snapshot();
  s.groups = {ThreadGroup{{999}}};
  const json j = json::parse(render_json(s));
  EXPECT_EQ(j["groups"], json::parse(R"([{"tids": [999], "syscall": null, "kernel": [],
                                           "user": []}])"));
}

TEST(RenderJson, SeveralSnapshotsAreOneArray) {
  const Snapshot first = waiting_snapshot();
  const Snapshot second = sample_snapshot();
  const Snapshot third = testing::core_snapshot();
  EXPECT_EQ(render_json(std::vector<Snapshot>{first}), render_json(first));
  for (const std::vector<Snapshot>& snapshots :
       {std::vector<Snapshot>{first, second}, std::vector<Snapshot>{first, second, third}}) {
    const std::string text = render_json(snapshots);
    const auto parsed = nlohmann::ordered_json::parse(text);
    ASSERT_TRUE(parsed.is_array());
    // Streamed, yet exactly nlohmann's print of the whole array.
    EXPECT_EQ(text, parsed.dump(2, ' ', false) + "\n");
    EXPECT_EQ(json::parse(text), snapshots_to_json(snapshots));
    EXPECT_EQ(validate_against_schema(text), "");
    const auto loaded = snapshots_from_json(json::parse(text));
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(render_json(*loaded), text);
  }
}

TEST(RenderJson, WaitingSnapshotRoundTripsToTheSameText) {
  const std::string saved = render_json(waiting_snapshot());
  const Result<Snapshot> loaded = snapshot_from_json(json::parse(saved));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(render_json(*loaded), saved);
  EXPECT_EQ(render_text(*loaded, {}), render_text(waiting_snapshot(), {}));
}

TEST(Schema, EveryNewFieldValidates) {
  EXPECT_EQ(validate_against_schema(render_json(waiting_snapshot())), "");
}

TEST(Schema, BrokenNewFieldsAreRejected) {
  const json good = snapshot_to_json(waiting_snapshot());
  ASSERT_EQ(validate_against_schema(good.dump()), "");
  struct Case {
    const char* what;
    const char* pointer;
    json value;
  };
  const Case cases[] = {
      {"address as a number", "/threads/1/waits_for/0/address", 94358525501504},
      {"address in upper case", "/threads/1/waits_for/0/address", "0x55D0A0C0E040"},
      {"unknown wait kind", "/threads/1/waits_for/0/kind", "spinlock"},
      {"unknown progress", "/threads/1/progress", "frozen"},
      {"holder tid as a string", "/threads/1/waits_for/0/holders/0/tid", "5002"},
      {"holder with an extra field", "/threads/1/waits_for/0/holders/0/owner", true},
      {"wait with an extra field", "/threads/1/waits_for/0/since", "now"},
      {"group without threads", "/groups/0/tids", json::array()},
      {"group frame with an offset", "/groups/0/user/0/offset", "0x36"},
      {"deadlock resource as a number", "/deadlocks/0/resources/0", 1},
      {"no samples", "/samples/count", 0},
      {"unknown engine", "/engine", "gdb"},
      {"activity written", "/threads/0/activity", json::object()},
      {"a goroutine", "/goroutines/0", json::object()},
  };
  for (const Case& c : cases) {
    json broken = good;
    broken[json::json_pointer(c.pointer)] = c.value;
    EXPECT_NE(validate_against_schema(broken.dump()), "") << c.what;
  }
  for (const char* field : {"engine", "groups", "deadlocks", "samples"}) {
    json missing = good;
    missing.erase(field);
    EXPECT_NE(validate_against_schema(missing.dump()), "") << field;
  }
  json missing = good;
  missing["threads"][2].erase("progress");
  const std::string error = validate_against_schema(missing.dump());
  EXPECT_NE(error.find("/threads/2: 'progress' is a required property"), std::string::npos)
      << error;
  EXPECT_NE(validate_against_schema("[]"), "");  // an array holds at least one snapshot
  EXPECT_NE(validate_against_schema(json::array({good, 1}).dump()), "");
}

}  // namespace
}  // namespace ukstack
