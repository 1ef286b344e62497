// The Go accept server built with -ldflags='-s -w': no symbol table, no DWARF (so no
// CFI either: its frames are found by frame pointers). libdw and eu-stack name none
// of its frames; ukstack names them from Go's own function table (.gopclntab). The
// same server built with symbols, captured beside it, is the truth: the names are
// those of its symbol table, and the netpoller thread (parked in epoll_pwait once
// main blocks in Accept) shows the same functions, with the same file:line.
#include <gelf.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <set>

#include "tests/integration/capture_helpers.h"
#include "unwind/elf_file.h"
#include "unwind/symbolizer.h"

namespace ukstack::test {
namespace {

constexpr long kFutex = SYS_futex;
constexpr long kEpollWait = SYS_epoll_wait;
constexpr long kEpollPwait = SYS_epoll_pwait;

// The function names of the unstripped binary's symbol table, as ukstack shows them
// (without ".abi0"; generic instantiations as the table has them, "[...]").
std::set<std::string> symbol_table_names(const std::string& path) {
  std::set<std::string> names;
  UniqueFd fd;
  auto elf = unwind::open_elf(path, "fixture", fd);
  if (!elf) {
    ADD_FAILURE() << elf.error().message;
    return names;
  }
  for (Elf_Scn* scn = elf_nextscn(elf->get(), nullptr); scn != nullptr;
       scn = elf_nextscn(elf->get(), scn)) {
    GElf_Shdr header;
    if (gelf_getshdr(scn, &header) == nullptr || header.sh_type != SHT_SYMTAB) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    for (std::size_t i = 0; data != nullptr && i < header.sh_size / header.sh_entsize; ++i) {
      GElf_Sym symbol;
      if (gelf_getsym(data, static_cast<int>(i), &symbol) == nullptr ||
          GELF_ST_TYPE(symbol.st_info) != STT_FUNC) {
        continue;
      }
      std::string name =
          unwind::without_go_abi_suffix(elf_strptr(elf->get(), header.sh_link, symbol.st_name));
      if (auto open = name.find('['), close = name.rfind(']');
          open != std::string::npos && close != std::string::npos && close > open) {
        name.replace(open, close - open + 1, "[...]");
      }
      names.insert(name);
    }
  }
  return names;
}

struct Frame {
  std::string function;
  std::string file;
  int line = 0;
};

// The physical frames (inlined ones left out: the table has no inline tree).
std::vector<Frame> physical_frames(const nlohmann::json& thread) {
  std::vector<Frame> frames;
  for (const auto& frame : thread["user"]["frames"]) {
    if (frame["inlined"].get<bool>()) continue;
    frames.push_back({frame["function"].is_string() ? frame["function"].get<std::string>() : "",
                      frame["file"].is_string() ? frame["file"].get<std::string>() : "",
                      frame["line"].is_number() ? frame["line"].get<int>() : 0});
  }
  return frames;
}

std::vector<std::string> names_of(const std::vector<Frame>& frames) {
  std::vector<std::string> names;
  for (const Frame& frame : frames) names.push_back(frame.function);
  return names;
}

// The user frames of the thread parked in epoll_wait/epoll_pwait.
std::vector<Frame> netpoller_frames(const nlohmann::json& snapshot) {
  for (const auto& thread : snapshot["threads"]) {
    if (thread["syscall"].is_object() &&
        (thread["syscall"]["name"] == "epoll_pwait" || thread["syscall"]["name"] == "epoll_wait")) {
      return physical_frames(thread);
    }
  }
  ADD_FAILURE() << "no thread in epoll_wait";
  return {};
}

nlohmann::json capture_server(const std::string& fixture, std::optional<FixtureProcess>& server) {
  server.emplace(FixtureProcess::start({fixture_path(fixture), "0"}));
  EXPECT_TRUE(wait_for_syscall(server->pid(), std::vector<long>{kEpollWait, kEpollPwait, kFutex},
                               std::chrono::seconds(10)));
  return capture_json({std::to_string(server->pid())}, {0, 1});
}

class GoStrippedServer : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(GoStrippedServer, NamesEveryGoFrameAsTheUnstrippedBuildDoes) {
#ifndef UKSTACK_HAVE_GO_FIXTURE
  GTEST_SKIP() << "go was not found when configuring: no Go fixture";
#else
  const auto& [stripped_name, unstripped_name] = GetParam();
  const std::set<std::string> truth_names = symbol_table_names(fixture_path(unstripped_name));
  ASSERT_GT(truth_names.size(), 1000u);

  std::optional<FixtureProcess> stripped, unstripped;
  const nlohmann::json stripped_snapshot = capture_server(stripped_name, stripped);
  const nlohmann::json unstripped_snapshot = capture_server(unstripped_name, unstripped);

  for (const auto& thread : stripped_snapshot["threads"]) {
    SCOPED_TRACE("thread " + std::to_string(thread["tid"].get<int>()));
    const auto frames = physical_frames(thread);
    ASSERT_FALSE(frames.empty());
    EXPECT_TRUE(frames.front().function.starts_with("runtime."))
        << ::testing::PrintToString(names_of(frames));
    for (const Frame& frame : frames) {
      // Every frame named, by a name of the unstripped build's symbol table.
      EXPECT_TRUE(truth_names.contains(frame.function)) << "\"" << frame.function << "\"";
      if (frame.line != 0) {
        EXPECT_TRUE(frame.file.ends_with(".go") || frame.file.ends_with(".s")) << frame.file;
      }
    }
    // Named frames let the walk end where Go's stacks end (runtime.mstart,
    // runtime.mcall, ...), as for the unstripped build, not at a failed step.
    EXPECT_TRUE(thread["user"]["error"].is_null()) << thread["user"]["error"];
  }

  // No goroutines without DWARF: one note says why, and the threads are all there.
  EXPECT_TRUE(stripped_snapshot["goroutines"].empty());
  ASSERT_TRUE(stripped_snapshot.contains("goroutine_notes"));
  EXPECT_NE(stripped_snapshot["goroutine_notes"][0].get<std::string>().find(
                "debug information was stripped"),
            std::string::npos)
      << stripped_snapshot["goroutine_notes"];
  EXPECT_FALSE(unstripped_snapshot["goroutines"].empty());

  // The netpoller thread in both: the stripped build's frames are the unstripped
  // build's, in order, from the same innermost to the same outermost, each with the
  // same file:line where the table gives one. Frame pointers alone skip the caller
  // of a frameless innermost function (runtime.epollwait's runtime.netpoll): CFI,
  // gone with -w, is what finds it in the unstripped build.
  const auto stripped_frames = netpoller_frames(stripped_snapshot);
  const auto unstripped_frames = netpoller_frames(unstripped_snapshot);
  ASSERT_FALSE(stripped_frames.empty());
  ASSERT_FALSE(unstripped_frames.empty());
  EXPECT_TRUE(in_order(names_of(unstripped_frames), names_of(stripped_frames)))
      << ::testing::PrintToString(names_of(stripped_frames)) << " in "
      << ::testing::PrintToString(names_of(unstripped_frames));
  EXPECT_EQ(stripped_frames.front().function, unstripped_frames.front().function);
  EXPECT_EQ(stripped_frames.back().function, unstripped_frames.back().function);
  EXPECT_TRUE(in_order(names_of(stripped_frames), {"runtime.findRunnable", "runtime.schedule"}))
      << ::testing::PrintToString(names_of(stripped_frames));
  int lines_compared = 0;
  for (const Frame& frame : stripped_frames) {
    if (frame.line == 0) continue;
    for (const Frame& truth : unstripped_frames) {
      if (truth.function != frame.function) continue;
      EXPECT_EQ(frame.file, truth.file) << frame.function;
      EXPECT_EQ(frame.line, truth.line) << frame.function;
      ++lines_compared;
    }
  }
  EXPECT_GE(lines_compared, 3);

  expect_not_disturbed(stripped->pid());
  expect_not_disturbed(unstripped->pid());
#endif
}

INSTANTIATE_TEST_SUITE_P(
    DebianGo, GoStrippedServer,
    ::testing::Values(std::pair<std::string, std::string>{"accept_server_go_stripped",
                                                          "accept_server_go"},
                      std::pair<std::string, std::string>{"accept_server_go_stripped_pie",
                                                          "accept_server_go_pie"}),
    [](const auto& param) { return param.index == 0 ? "Static" : "Pie"; });

}  // namespace
}  // namespace ukstack::test
