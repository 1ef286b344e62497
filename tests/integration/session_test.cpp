// A capture session on a live fixture: captured again and again, it reports its
// modules once, and every capture sees what one ukstack run sees.
#include "capture/session.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "capture/signal_guard.h"
#include "procfs/source.h"
#include "tests/integration/capture_helpers.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

std::vector<std::string> user_functions(const Thread& thread) {
  std::vector<std::string> names;
  for (const auto& frame : thread.user.frames) names.push_back(frame.function);
  return names;
}

const Thread* thread_with_tid(const Snapshot& snapshot, int tid) {
  auto it = std::ranges::find(snapshot.threads, tid, &Thread::tid);
  return it == snapshot.threads.end() ? nullptr : &*it;
}

// Holds what main holds for a capture of a live process, for the whole test.
class LiveSession : public ::testing::TestWithParam<StopMode> {
 protected:
  Result<std::unique_ptr<CaptureSession>> open_session(int pid) {
    CaptureOptions options;
    options.stop = GetParam();
    return CaptureSession::open(pid, options, CaptureSeams{.proc = &proc_, .tracer = &tracer_});
  }

 private:
  FatalSignalGuard signal_guard_;
  ChildSignalBlock child_signal_block_;
  procfs::RealProcSource proc_;
  PtraceTracer tracer_;
};

TEST_P(LiveSession, EveryCaptureSeesTheBlockedChainsAndModulesAreReportedOnce) {
  FixtureProcess fixture = FixtureProcess::start({fixture_path("blocking_threads")});
  const std::vector<std::pair<const char*, const char*>> chains = {{"cond", "cond_wait_inner"},
                                                                   {"pipe", "pipe_read_inner"},
                                                                   {"sleep", "sleep_inner"},
                                                                   {"epoll", "epoll_wait_inner"}};
  for (const auto& [key, inner] : chains) {
    ASSERT_TRUE(wait_for_state(fixture.id(key), "S", std::chrono::seconds(5))) << key;
  }

  auto session = open_session(fixture.pid());
  ASSERT_TRUE(session) << session.error().message;

  std::vector<Snapshot> snapshots;
  for (int i = 0; i < 3; ++i) {
    auto snapshot = (*session)->capture();
    ASSERT_TRUE(snapshot) << snapshot.error().message;
    snapshots.push_back(std::move(*snapshot));
  }
  EXPECT_EQ((*session)->module_reports(), 1);

  for (const auto& [key, inner] : chains) {
    const int tid = fixture.id(key);
    for (std::size_t i = 0; i < snapshots.size(); ++i) {
      const Thread* thread = thread_with_tid(snapshots[i], tid);
      ASSERT_NE(thread, nullptr) << key << " in capture " << i + 1;
      EXPECT_FALSE(thread->user.error) << key << ": " << *thread->user.error;
      EXPECT_TRUE(contains_name(user_functions(*thread), inner)) << key << " in capture " << i + 1;
      EXPECT_FALSE(thread->kernel.frames.empty()) << key << " in capture " << i + 1;
      // The same frames every time: the thread has not moved.
      EXPECT_EQ(user_functions(*thread), user_functions(*thread_with_tid(snapshots[0], tid)))
          << key << " in capture " << i + 1;
    }
  }
  // Nothing left stopped or traced.
  for (const auto& [key, inner] : chains) {
    EXPECT_NE(thread_state(fixture.id(key)), std::optional<char>('t')) << key;
  }
}

// The one thread of `pid` other than its main thread, once there is one.
std::optional<int> second_thread(int pid, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  do {
    std::error_code error;
    for (const auto& entry :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
      const int tid = std::stoi(entry.path().filename().string());
      if (tid != pid) return tid;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  } while (std::chrono::steady_clock::now() < end);
  return std::nullopt;
}

// A dlopen between two captures: the second capture reports the modules again and
// names the frames in the new library, as a fresh ukstack run would.
TEST_P(LiveSession, ALibraryLoadedBetweenCapturesIsReportedAndItsFramesNamed) {
  TempDir dir;
  const std::string fifo = (dir.path() / "go").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  FixtureProcess fixture = FixtureProcess::start(
      {fixture_path("late_dlopen"), fixture_path("libdeleted_library.so"), fifo});

  auto session = open_session(fixture.pid());
  ASSERT_TRUE(session) << session.error().message;

  auto before = (*session)->capture();
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ((*session)->module_reports(), 1);
  EXPECT_EQ(before->threads.size(), 1u);

  // The fixture's open of the FIFO returns once a writer comes; one byte lets it load.
  { std::ofstream(fifo) << 'x'; }
  const std::optional<int> library_tid = second_thread(fixture.pid(), std::chrono::seconds(10));
  ASSERT_TRUE(library_tid) << "late_dlopen started no thread";
  ASSERT_TRUE(wait_for_syscall(*library_tid, SYS_read, std::chrono::seconds(10)));

  auto after = (*session)->capture();
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ((*session)->module_reports(), 2);
  const Thread* thread = thread_with_tid(*after, *library_tid);
  ASSERT_NE(thread, nullptr);
  EXPECT_FALSE(thread->user.error) << *thread->user.error;
  const auto in_library =
      std::ranges::find(thread->user.frames, "deleted_library_wait", &Frame::function);
  ASSERT_NE(in_library, thread->user.frames.end())
      << "frames: " << testing::PrintToString(user_functions(*thread));
  ASSERT_TRUE(in_library->module);
  EXPECT_TRUE(in_library->module->ends_with("/libdeleted_library.so")) << *in_library->module;
  EXPECT_TRUE(contains_name(user_functions(*thread), "deleted_library_read"));
  EXPECT_NE(thread_state(*library_tid), std::optional<char>('t'));
}

std::string mode_name(const ::testing::TestParamInfo<StopMode>& mode) {
  switch (mode.param) {
    case StopMode::Auto:
      return "auto";
    case StopMode::Each:
      return "each";
    case StopMode::All:
      return "all";
    case StopMode::None:
      break;
  }
  return "none";
}

INSTANTIATE_TEST_SUITE_P(StopModes, LiveSession,
                         ::testing::Values(StopMode::Auto, StopMode::Each, StopMode::All),
                         mode_name);

}  // namespace
}  // namespace ukstack::test
