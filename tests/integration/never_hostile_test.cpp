// Hostile input (issue 3, part 5): a target whose thread names (prctl PR_SET_NAME),
// argv and unix socket path (the one its main thread blocks in accept on) hold
// escape sequences and control characters (fixture hostile_names). The text output
// carries none of them raw, only their escaped forms ("\x1b", src/escape.h); the
// JSON output holds the exact original strings, JSON-escaped.
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include "tests/integration/capture_helpers.h"
#include "tests/model/schema_check.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

constexpr long kRead = SYS_read;
constexpr long kAccept = SYS_accept;
constexpr long kAccept4 = 288;

const std::string kMainName = "\x1b[31mred\x07";  // as the fixture sets it
const std::string kMainNameEscaped = "\\x1b[31mred\\x07";
const std::string kSecondName = "\x1b]0;pwn\x07\r\b";
const std::string kSecondNameEscaped = "\\x1b]0;pwn\\x07\\x0d\\x08";
const std::string kSocketName = "\x1b[2J\x1b]0;owned\x07sock";  // clear screen, set title
const std::string kSocketNameEscaped = "\\x1b[2J\\x1b]0;owned\\x07sock";
// argv: CSI as a C1 control (U+009B), a right-to-left override (U+202E), a tab, DEL.
const std::string kArg =
    "\x1b[8m\xc2\x9b"
    "31m\xe2\x80\xae"
    "gpj.exe\tx\x7f";
const std::string kArgEscaped = "\\x1b[8m\\xc2\\x9b31m\\xe2\\x80\\xaegpj.exe\\tx\\x7f";

// Offsets of bytes a terminal would act on: C0 controls other than newline, DEL,
// and the UTF-8 forms of C1 controls and of bidirectional overrides/isolates.
std::vector<size_t> raw_controls(const std::string& text) {
  std::vector<size_t> found;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte < 0x20 && byte != '\n') || byte == 0x7f) found.push_back(i);
    if (byte == 0xc2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9f) found.push_back(i);
    }
    if (byte == 0xe2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80) {
      const auto last = static_cast<unsigned char>(text[i + 2]);
      if (last >= 0xaa && last <= 0xae) found.push_back(i);
    }
    if (byte == 0xe2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x81) {
      const auto last = static_cast<unsigned char>(text[i + 2]);
      if (last >= 0xa6 && last <= 0xa9) found.push_back(i);
    }
  }
  return found;
}

std::string show(const std::string& text, const std::vector<size_t>& at) {
  std::string out;
  for (size_t offset : at) {
    const size_t from = offset < 40 ? 0 : offset - 40;
    out +=
        "\n  at " + std::to_string(offset) + ": " + ::testing::PrintToString(text.substr(from, 80));
  }
  return out;
}

class NeverHostile : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_path_ = (dir_.path() / kSocketName).string();
    fixture_ = std::make_unique<FixtureProcess>(
        FixtureProcess::start({fixture_path("hostile_names"), socket_path_, kArg}));
    ASSERT_TRUE(wait_for_syscall(fixture_->pid(), {kAccept, kAccept4}, std::chrono::seconds(10)));
    ASSERT_TRUE(wait_for_syscall(fixture_->id("tid"), kRead, std::chrono::seconds(10)));
    // The kernel kept the names as the fixture set them.
    ASSERT_EQ(read_text_file("/proc/" + std::to_string(fixture_->pid()) + "/comm"),
              kMainName + "\n");
  }
  TempDir dir_;
  std::string socket_path_;
  std::unique_ptr<FixtureProcess> fixture_;
};

TEST_F(NeverHostile, TextOutputEscapesEverythingFromTheTarget) {
  for (const char* stop : {"auto", "each"}) {
    SCOPED_TRACE(std::string("--stop ") + stop);
    CommandResult result =
        run_ukstack({"--color", "never", "--stop", stop, std::to_string(fixture_->pid())});
    ASSERT_FALSE(result.timed_out);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    const auto raw = raw_controls(result.out);
    EXPECT_TRUE(raw.empty()) << raw.size() << " raw control characters in the text output:"
                             << show(result.out, raw);
    const auto raw_err = raw_controls(result.err);
    EXPECT_TRUE(raw_err.empty()) << "in stderr:" << show(result.err, raw_err);
    EXPECT_NE(result.out.find(kMainNameEscaped), std::string::npos) << "main thread's name";
    EXPECT_NE(result.out.find(kSecondNameEscaped), std::string::npos) << "second thread's name";
    EXPECT_NE(result.out.find(kArgEscaped), std::string::npos) << "argv[2] in the cmdline line";
    EXPECT_NE(result.out.find(kSocketNameEscaped), std::string::npos)
        << "the socket path accept waits on";
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "text output, escaped for this log:\n"
                    << ::testing::PrintToString(result.out);
    }
  }
}

TEST_F(NeverHostile, JsonHoldsTheExactStrings) {
  CommandResult result = run_ukstack({"--format", "json", std::to_string(fixture_->pid())});
  ASSERT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  // Control characters inside JSON strings must be escaped (\u001b): none raw.
  const auto raw = raw_controls(result.out);
  std::vector<size_t> raw_c0;
  for (size_t offset : raw) {
    if (static_cast<unsigned char>(result.out[offset]) < 0x20) raw_c0.push_back(offset);
  }
  EXPECT_TRUE(raw_c0.empty()) << "raw C0 controls in the JSON text:" << show(result.out, raw_c0);
  ASSERT_EQ(ukstack::testing::validate_against_schema(result.out), "");
  const auto snapshot = nlohmann::json::parse(result.out);

  EXPECT_EQ(snapshot["process"]["name"], kMainName);
  ASSERT_EQ(snapshot["process"]["cmdline"].size(), 3u) << snapshot["process"].dump();
  EXPECT_EQ(snapshot["process"]["cmdline"][1], socket_path_);
  EXPECT_EQ(snapshot["process"]["cmdline"][2], kArg);

  const auto* main_thread = find_thread(snapshot, fixture_->pid());
  ASSERT_NE(main_thread, nullptr);
  EXPECT_EQ((*main_thread)["name"], kMainName);
  const auto* second = find_thread(snapshot, fixture_->id("tid"));
  ASSERT_NE(second, nullptr);
  EXPECT_EQ((*second)["name"], kSecondName);

  // accept(fd -> the unix socket): its description names the exact path.
  const auto& syscall = (*main_thread)["syscall"];
  ASSERT_TRUE(syscall.is_object()) << main_thread->dump();
  bool path_found = false;
  for (const auto& fd : syscall["fds"]) {
    if (fd["description"].get<std::string>().find(socket_path_) != std::string::npos ||
        fd["target"].get<std::string>().find(socket_path_) != std::string::npos)
      path_found = true;
  }
  EXPECT_TRUE(path_found) << syscall.dump();
}

}  // namespace
}  // namespace ukstack::test
