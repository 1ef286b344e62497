// Inlined calls as frames of their own: the inline_chain fixture blocks in read
// from a noinline function holding three always_inline helpers. A user expects
// what eu-stack -i -s and gdb show: one frame per inlined call, all at the same pc,
// each with the source line of the call it makes.
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <set>
#include <sstream>

#include "tests/integration/capture_helpers.h"

namespace ukstack::test {
namespace {

constexpr long kRead = SYS_read;

struct EuFrame {
  std::string pc;  // "0x..." as eu-stack prints it (16 digits)
  std::string function;
  std::string file;
  int line = 0;
};

// eu-stack -i -s output for one thread: "#N  0xADDR NAME" then "    FILE:LINE[:COL]".
std::vector<EuFrame> parse_eu_stack(const std::string& text) {
  std::vector<EuFrame> frames;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("#", 0) == 0) {
      std::istringstream fields(line);
      std::string number;
      EuFrame frame;
      fields >> number >> frame.pc;
      std::getline(fields >> std::ws, frame.function);
      frames.push_back(frame);
    } else if (!frames.empty() && line.rfind("    ", 0) == 0) {
      std::string position = line.substr(4);
      // FILE:LINE:COL or FILE:LINE
      auto last = position.rfind(':');
      auto before = last == std::string::npos ? std::string::npos : position.rfind(':', last - 1);
      if (before != std::string::npos &&
          std::isdigit(static_cast<unsigned char>(position[before + 1]))) {
        frames.back().file = position.substr(0, before);
        frames.back().line = std::stoi(position.substr(before + 1, last - before - 1));
      } else if (last != std::string::npos) {
        frames.back().file = position.substr(0, last);
        frames.back().line = std::stoi(position.substr(last + 1));
      }
    }
  }
  return frames;
}

std::uint64_t hex(const std::string& text) { return std::stoull(text, nullptr, 16); }

bool same_file(const std::string& ours, const std::string& theirs) {
  // The same line-table entry; one tool may print it relative to the CU's directory.
  if (ours == theirs) return true;
  return ours.size() > theirs.size() &&
         ours.compare(ours.size() - theirs.size(), theirs.size(), theirs) == 0 &&
         ours[ours.size() - theirs.size() - 1] == '/';
}

class InlineChain : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_ =
        std::make_unique<FixtureProcess>(FixtureProcess::start({fixture_path("inline_chain")}));
    ASSERT_TRUE(wait_for_syscall(fixture_->id("tid"), kRead, std::chrono::seconds(10)));
  }
  const nlohmann::json& user_frames(const nlohmann::json& snapshot) {
    const auto* thread = find_thread(snapshot, fixture_->id("tid"));
    EXPECT_NE(thread, nullptr);
    static const nlohmann::json kEmpty = nlohmann::json::array();
    return thread ? (*thread)["user"]["frames"] : kEmpty;
  }
  std::unique_ptr<FixtureProcess> fixture_;
};

TEST_F(InlineChain, InlinedCallsAreFramesSharingThePc) {
  auto snapshot = capture_json({std::to_string(fixture_->pid())});
  const auto& frames = user_frames(snapshot);
  auto names = functions(*find_thread(snapshot, fixture_->id("tid")), "user");
  ASSERT_TRUE(in_order(names, {"read", "chain::chain_inner", "chain::chain_middle",
                               "chain::chain_outer", "inline_chain_reader", "main"}))
      << ::testing::PrintToString(names);
  // The three helpers and the function they were inlined into: one pc, the helpers
  // marked inlined, the physical function not; every one with its own line.
  std::size_t first = 0;
  while (first < names.size() && !contains_name({names[first]}, "chain::chain_inner")) ++first;
  ASSERT_LT(first + 3, frames.size());
  std::set<int> lines;
  for (std::size_t i = first; i <= first + 3; ++i) {
    SCOPED_TRACE(frames[i].dump());
    EXPECT_EQ(frames[i]["pc"], frames[first]["pc"]);
    EXPECT_EQ(frames[i]["inlined"].get<bool>(), i < first + 3);
    ASSERT_TRUE(frames[i]["file"].is_string());
    EXPECT_NE(frames[i]["file"].get<std::string>().find("inline_chain.cpp"), std::string::npos);
    lines.insert(frames[i]["line"].get<int>());
  }
  EXPECT_EQ(lines.size(), 4u) << "each frame is at the line of its own call";
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (i < first || i > first + 2) {
      EXPECT_FALSE(frames[i]["inlined"].get<bool>()) << frames[i].dump();
    }
  }
  EXPECT_TRUE(find_thread(snapshot, fixture_->id("tid"))->at("user")["error"].is_null());
  expect_not_disturbed(fixture_->pid());
}

TEST_F(InlineChain, SameFramesPcsAndLinesAsEuStack) {
  auto snapshot = capture_json({std::to_string(fixture_->pid())});
  const auto& frames = user_frames(snapshot);
  CommandResult eu = run_command({"eu-stack", "-i", "-s", "-p", std::to_string(fixture_->pid())},
                                 std::chrono::seconds(30));
  ASSERT_FALSE(eu.timed_out);
  std::vector<EuFrame> theirs = parse_eu_stack(eu.out);
  ASSERT_FALSE(theirs.empty()) << eu.out << eu.err;
  ASSERT_EQ(frames.size(), theirs.size()) << eu.out;
  for (std::size_t i = 0; i < theirs.size(); ++i) {
    SCOPED_TRACE("frame #" + std::to_string(i) + " ukstack " + frames[i].dump() + "\neu-stack " +
                 theirs[i].pc + " " + theirs[i].function + " " + theirs[i].file + ":" +
                 std::to_string(theirs[i].line));
    EXPECT_EQ(hex(frames[i]["pc"].get<std::string>()), hex(theirs[i].pc));
    std::string ours =
        frames[i]["function"].is_string() ? frames[i]["function"].get<std::string>() : "";
    // In the fixture, the same name. In glibc one address has several names
    // (__libc_start_main / __libc_start_main_impl, read / __GI___libc_read), and the
    // two tools may pick different ones: there the pc and source line identify it.
    if (frames[i]["module"] == fixture_path("inline_chain")) {
      EXPECT_EQ(ours, theirs[i].function);
    }
    if (theirs[i].line > 0) {
      ASSERT_TRUE(frames[i]["file"].is_string());
      EXPECT_TRUE(same_file(frames[i]["file"].get<std::string>(), theirs[i].file));
      EXPECT_EQ(frames[i]["line"].get<int>(), theirs[i].line);
    } else {
      EXPECT_TRUE(frames[i]["line"].is_null());
    }
  }
}

TEST_F(InlineChain, FramesAgreeWithGdbInlinesIncluded) {
  auto snapshot = capture_json({std::to_string(fixture_->pid())});
  Backtraces gdb = gdb_backtraces(fixture_->pid());
  int tid = fixture_->id("tid");
  ASSERT_TRUE(gdb.count(tid));
  auto ours = functions(*find_thread(snapshot, tid), "user");
  SCOPED_TRACE("ukstack: " + ::testing::PrintToString(ours) +
               "\ngdb: " + ::testing::PrintToString(gdb[tid]));
  EXPECT_TRUE(contains_name(gdb[tid], "chain::chain_middle")) << "gdb shows the inlined calls too";
  expect_same_frames_as_gdb(ours, gdb[tid]);
}

}  // namespace
}  // namespace ukstack::test
