// --format folded and --format pprof as a user meets them: a saved snapshot rendered
// to a hand-checked expected file, a live capture's folded lines read back against
// the same capture's JSON, and the pprof profile read back by `go tool pprof -raw`
// (Debian's Go), an independent reader of the format.
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/capture_helpers.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

using nlohmann::json;

const std::string kGolden = std::string(UKSTACK_SOURCE_DIR) + "/tests/integration/golden/";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  ASSERT_TRUE(out.good()) << path;
}

// stack → count; every line must be "STACK COUNT".
std::map<std::string, long> parse_folded(const std::string& text) {
  std::map<std::string, long> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto space = line.rfind(' ');
    if (space == std::string::npos) {
      ADD_FAILURE() << "not a folded line: " << line;
      continue;
    }
    lines[line.substr(0, space)] += std::stol(line.substr(space + 1));
  }
  return lines;
}

// What the folded line of one thread of a JSON snapshot is, from the format's
// definition (README, render/folded.h): its name, the user frames outermost first,
// the kernel frames from the system-call entry, marked. (The fixtures' names need
// no escaping.)
std::string expected_stack(const json& thread) {
  std::string stack = thread["name"].get<std::string>();
  const json& user = thread["user"]["frames"];
  for (auto frame = user.rbegin(); frame != user.rend(); ++frame) {
    std::string name = (*frame)["function"].get<std::string>();
    if (name.empty()) {
      name = (*frame)["module"].is_string()
                 ? "[" +
                       std::filesystem::path((*frame)["module"].get<std::string>())
                           .filename()
                           .string() +
                       "]"
                 : "[unknown]";
    }
    stack += ";" + name + ((*frame)["inlined"].get<bool>() ? "_[i]" : "");
  }
  const json& kernel = thread["kernel"]["frames"];
  for (auto frame = kernel.rbegin(); frame != kernel.rend(); ++frame) {
    stack += ";" + (*frame)["function"].get<std::string>() + "_[k]";
  }
  return stack;
}

// thread_pool with `threads` workers of three kinds (read, condition wait, sleep), each
// thread blocked in its call.
FixtureProcess start_pool(int threads) {
  FixtureProcess pool =
      FixtureProcess::start({fixture_path("thread_pool"), std::to_string(threads), "3"});
  for (int tid : thread_ids(pool.pid())) {
    EXPECT_TRUE(wait_for_syscall(
        tid, std::vector<long>{SYS_read, SYS_futex, SYS_nanosleep, SYS_clock_nanosleep, SYS_pause},
        std::chrono::seconds(10)))
        << "thread " << tid << " never blocked";
  }
  return pool;
}

std::vector<std::string> split_frames(const std::string& stack) {
  std::vector<std::string> frames;
  std::istringstream in(stack);
  std::string frame;
  while (std::getline(in, frame, ';')) frames.push_back(frame);
  return frames;
}

bool is_kernel(const std::string& frame) { return frame.ends_with("_[k]"); }

// The three chains of the fixture's own source, root-first.
const std::vector<std::vector<std::string>> kPoolChains = {
    {"pool_worker_outer", "pool_worker_inner"},
    {"pool_cond_outer", "pool_cond_inner"},
    {"pool_sleep_outer", "pool_sleep_inner"}};

TEST(Profiles, SavedSnapshotFoldsToTheCheckedFile) {
  // thread_pool 6 3 captured with --samples 3 -o (the JSON), and the folded text
  // checked by hand against it: every thread stuck, so each counts 3.
  CommandResult result =
      run_ukstack({"--input", kGolden + "thread_pool_samples.json", "--format", "folded"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, read_file(kGolden + "thread_pool_samples.folded"));
}

TEST(Profiles, LiveFoldedLinesAreTheSameCapturesStacks) {
  FixtureProcess pool = start_pool(9);
  TempDir dir;
  const auto snapshot_path = dir.path() / "snapshot.json";
  CommandResult result =
      run_ukstack({"--format", "folded", "-o", snapshot_path.string(), std::to_string(pool.pid())});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json snapshot = json::parse(read_file(snapshot_path));

  std::map<std::string, long> expected;
  for (const json& thread : snapshot["threads"]) {
    if (thread["state"] != "X") ++expected[expected_stack(thread)];
  }
  const auto lines = parse_folded(result.out);
  EXPECT_EQ(lines, expected) << result.out;

  // Nine workers, three of each kind, plus the main thread in pause.
  long total = 0;
  for (const auto& [stack, count] : lines) total += count;
  EXPECT_EQ(total, 10);
  for (const auto& chain : kPoolChains) {
    long with_chain = 0;
    for (const auto& [stack, count] : lines) {
      const auto outer = stack.find(";" + chain[0] + ";" + chain[1] + ";");
      if (outer == std::string::npos) continue;
      with_chain += count;
      // Below the chain, libc, then the kernel half to the innermost, every frame marked.
      const std::vector<std::string> frames = split_frames(stack);
      const auto kernel = std::ranges::find_if(frames, is_kernel);
      EXPECT_NE(kernel, frames.end()) << stack;
      EXPECT_TRUE(std::all_of(kernel, frames.end(), is_kernel)) << stack;
    }
    EXPECT_EQ(with_chain, 3) << chain[0];
  }
}

// Debian's Go: on PATH, or where golang-go puts it.
std::optional<std::string> go_binary() {
  if (on_path("go")) return "go";
  if (std::filesystem::exists("/usr/lib/go/bin/go")) return "/usr/lib/go/bin/go";
  return std::nullopt;
}

// What `go tool pprof -raw` prints of a profile, read back.
struct RawProfile {
  struct Sample {
    long value = 0;
    std::vector<unsigned long> locations;  // innermost first
    std::map<std::string, std::string> labels;
  };
  std::vector<std::string> sample_types;
  std::vector<Sample> samples;
  std::map<unsigned long, std::vector<std::string>> location_functions;  // inlined calls first
};

RawProfile parse_raw(const std::string& text) {
  static const std::regex kSample(R"(^\s+(-?\d+): ((?:\d+ )*)$)");
  static const std::regex kLabel(R"((\w+):\[([^\]]*)\])");
  static const std::regex kLocation(R"(^\s*(\d+): 0x[0-9a-f]+ (?:M=\d+ )?(\S*).*$)");
  static const std::regex kInlined(R"(^ {13}(\S+) .*$)");
  RawProfile raw;
  enum class Section {
    Header,
    SampleTypes,
    Samples,
    Locations,
    Mappings
  } section = Section::Header;
  std::istringstream in(text);
  std::string line;
  unsigned long location = 0;
  std::smatch match;
  while (std::getline(in, line)) {
    if (line == "Samples:") {
      section = Section::SampleTypes;
    } else if (line == "Locations") {
      section = Section::Locations;
    } else if (line == "Mappings") {
      section = Section::Mappings;
    } else if (section == Section::SampleTypes) {
      std::istringstream types(line);
      for (std::string type; types >> type;) raw.sample_types.push_back(type);
      section = Section::Samples;
    } else if (section == Section::Samples && std::regex_match(line, match, kSample)) {
      RawProfile::Sample sample;
      sample.value = std::stol(match[1]);
      std::istringstream ids(match[2].str());
      for (unsigned long id; ids >> id;) sample.locations.push_back(id);
      raw.samples.push_back(std::move(sample));
    } else if (section == Section::Samples && !raw.samples.empty()) {
      for (auto it = std::sregex_iterator(line.begin(), line.end(), kLabel);
           it != std::sregex_iterator(); ++it) {
        raw.samples.back().labels[(*it)[1]] = (*it)[2];
      }
    } else if (section == Section::Locations && std::regex_match(line, match, kInlined)) {
      raw.location_functions[location].push_back(match[1]);
    } else if (section == Section::Locations && std::regex_match(line, match, kLocation)) {
      location = std::stoul(match[1]);
      auto& functions = raw.location_functions[location];
      if (!match[2].str().empty()) functions.push_back(match[2]);
    }
  }
  return raw;
}

// A sample's function names, innermost first.
std::vector<std::string> sample_functions(const RawProfile& raw, const RawProfile::Sample& sample) {
  std::vector<std::string> names;
  for (unsigned long id : sample.locations) {
    for (const std::string& name : raw.location_functions.at(id)) names.push_back(name);
  }
  return names;
}

// The same from the JSON snapshot: the kernel half (marked), then the user half.
std::vector<std::string> snapshot_functions(const json& thread) {
  std::vector<std::string> names;
  for (const json& frame : thread["kernel"]["frames"]) {
    names.push_back(frame["function"].get<std::string>() + "_[k]");
  }
  for (const json& frame : thread["user"]["frames"]) {
    if (!frame["function"].get<std::string>().empty()) names.push_back(frame["function"]);
  }
  return names;
}

TEST(Profiles, PprofReadBackByGoToolPprof) {
  const auto go = go_binary();
  if (!go)
    GTEST_SKIP() << "Debian's Go (golang-go) is not installed: no go tool pprof to read with";
  FixtureProcess pool = start_pool(9);
  TempDir dir;
  const auto profile_path = dir.path() / "profile.pb.gz";
  const auto snapshot_path = dir.path() / "snapshot.json";
  CommandResult result =
      run_ukstack({"--format", "pprof", "-o", snapshot_path.string(), std::to_string(pool.pid())});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  write_file(profile_path, result.out);
  const json snapshot = json::parse(read_file(snapshot_path));

  CommandResult pprof =
      run_command({*go, "tool", "pprof", "-raw", profile_path.string()}, std::chrono::seconds(60));
  ASSERT_EQ(pprof.exit_code, 0) << pprof.err;
  const RawProfile raw = parse_raw(pprof.out);
  EXPECT_EQ(raw.sample_types, std::vector<std::string>{"threads/count"});
  // One sample per thread, each counting one: nine workers and the main thread.
  ASSERT_EQ(raw.samples.size(), 10u) << pprof.out;
  std::map<std::string, int> chains;  // innermost function of each chain → samples with it
  for (const auto& sample : raw.samples) {
    EXPECT_EQ(sample.value, 1);
    EXPECT_EQ(sample.labels.at("pid"), std::to_string(pool.pid()));
    EXPECT_EQ(sample.labels.at("process"), "thread_pool");
    EXPECT_EQ(sample.labels.at("state"), "S");
    const json* thread = find_thread(snapshot, std::stoi(sample.labels.at("tid")));
    ASSERT_NE(thread, nullptr) << sample.labels.at("tid");
    EXPECT_EQ(sample.labels.at("thread"), (*thread)["name"]);
    EXPECT_EQ(sample.labels.at("syscall"), (*thread)["syscall"]["name"]);
    // The frames pprof reads are those of the same capture, in its order.
    const auto names = sample_functions(raw, sample);
    EXPECT_EQ(names, snapshot_functions(*thread));
    for (const auto& chain : kPoolChains) {
      if (in_order(names, {chain[1], chain[0]})) ++chains[chain[1]];
    }
  }
  EXPECT_EQ(chains,
            (std::map<std::string, int>{
                {"pool_worker_inner", 3}, {"pool_cond_inner", 3}, {"pool_sleep_inner", 3}}));
}

TEST(Profiles, InputRendersPprofToo) {
  const auto go = go_binary();
  if (!go)
    GTEST_SKIP() << "Debian's Go (golang-go) is not installed: no go tool pprof to read with";
  CommandResult result =
      run_ukstack({"--input", kGolden + "thread_pool_samples.json", "--format", "pprof"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  TempDir dir;
  write_file(dir.path() / "profile.pb.gz", result.out);
  CommandResult pprof =
      run_command({*go, "tool", "pprof", "-raw", (dir.path() / "profile.pb.gz").string()},
                  std::chrono::seconds(60));
  ASSERT_EQ(pprof.exit_code, 0) << pprof.err;
  const RawProfile raw = parse_raw(pprof.out);
  // Seven threads, each stuck through the 3 samples: 21 in all.
  ASSERT_EQ(raw.samples.size(), 7u);
  long total = 0;
  for (const auto& sample : raw.samples) total += sample.value;
  EXPECT_EQ(total, 21);
}

TEST(Profiles, PprofIsNotWrittenToATerminal) {
  if (!on_path("script"))
    GTEST_SKIP() << "script (util-linux) is needed to give ukstack a terminal";
  if (auto why = pty_unavailable()) GTEST_SKIP() << *why;
  // script runs ukstack with a pseudo-terminal as its standard output.
  CommandResult result = run_command(
      {"script", "-qec", std::string(UKSTACK_BINARY) + " --format pprof 1", "/dev/null"},
      std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 64);
  EXPECT_NE(result.out.find("binary"), std::string::npos) << result.out;
  EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 1) << result.out;
}

}  // namespace
}  // namespace ukstack::test
