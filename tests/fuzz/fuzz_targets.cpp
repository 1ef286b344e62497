#include "tests/fuzz/fuzz_targets.h"

#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/completeness.h"
#include "base/thread_state.h"
#include "model/snapshot.h"
#include "model/snapshot_json.h"
#include "procfs/fd_info.h"
#include "procfs/fd_target.h"
#include "procfs/file_locks.h"
#include "procfs/kernel_stack.h"
#include "procfs/maps.h"
#include "procfs/perf_map.h"
#include "procfs/syscall.h"
#include "procfs/task_stat.h"
#include "procfs/unix_peers.h"
#include "render/folded.h"
#include "render/json.h"
#include "render/pprof.h"
#include "render/text.h"
#include "unwind/go_pclntab.h"

namespace ukstack::fuzz {
namespace {

// A broken invariant: say which, then abort so libFuzzer (or the test) sees a crash.
void require(bool condition, std::string_view what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz invariant broken: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

constexpr std::array<std::string_view, 5> kNetProtocols = {"tcp", "tcp6", "udp", "udp6", "unix"};

// ---- procfs/ -----------------------------------------------------------------------

void kernel_stack(const std::uint8_t* data, std::size_t size) {
  auto frames = procfs::parse_kernel_stack(as_text(data, size));
  if (!frames) return;
  for (const procfs::KernelFrame& frame : *frames) {
    // kernel_stack.h: the name, or "0x..." when unnamed; never empty.
    require(!frame.function.empty(), "parse_kernel_stack: a frame without a function");
  }
}

void syscall(const std::uint8_t* data, std::size_t size) {
  auto state = procfs::parse_syscall(as_text(data, size));
  if (!state) return;
  if (state->kind == procfs::SyscallState::Kind::InSyscall) {
    require(state->nr != -1, "parse_syscall: InSyscall with nr -1 (that is NotInSyscall)");
  }
}

void stat(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  auto stat = procfs::parse_stat(text);
  if (!stat) return;
  // task_stat.h: the name is what stands between the first '(' and the last ')'.
  require(text.find("(" + stat->name + ")") != std::string_view::npos,
          "parse_stat: the name is not \"(name)\" in the text");
  (void)thread_state_name(stat->state);
  (void)stat->is_kernel_thread();
}

void status(const std::uint8_t* data, std::size_t size) {
  (void)procfs::parse_status(as_text(data, size));
}

void schedstat(const std::uint8_t* data, std::size_t size) {
  auto stat = procfs::parse_schedstat(as_text(data, size));
  if (!stat) return;
  require(stat->same_run_as(*stat), "parse_schedstat: a reading is not the same run as itself");
}

void wchan(const std::uint8_t* data, std::size_t size) {
  (void)procfs::parse_wchan(as_text(data, size));
}

void maps(const std::uint8_t* data, std::size_t size) {
  (void)procfs::parse_maps(as_text(data, size));
}

// The text read in one piece and in two (as appended between captures) gives the
// same map; every name found covers the address looked up.
void perf_map(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  const procfs::PerfMapLimits limits{.max_bytes = 4096, .max_entries = 64};
  procfs::PerfMap whole(limits);
  (void)whole.add(text);
  procfs::PerfMap parts(limits);
  const std::size_t used = parts.add(text.substr(0, size / 2));
  require(used <= size / 2, "PerfMap::add: used more than it was given");
  (void)parts.add(text.substr(used));
  require(whole.entries() == parts.entries() && whole.malformed() == parts.malformed() &&
              whole.gave_up() == parts.gave_up() && whole.problems() == parts.problems(),
          "PerfMap: read in two pieces, not the same map");
  if (whole.gave_up()) require(whole.problems().starts_with("more than"), "gave up silently");
  std::size_t at = 0;
  while (at < size) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = size;
    std::string_view word = text.substr(at, end - at);
    at = end + 1;
    word = word.substr(0, word.find_first_of(" \t"));
    if (word.starts_with("0x")) word.remove_prefix(2);
    std::uint64_t address = 0;  // the line's start, as far as it is hex
    (void)std::from_chars(word.data(), word.data() + word.size(), address, 16);
    for (std::uint64_t probe : {address, address + 1, address - 1}) {
      auto found = whole.lookup(probe);
      auto again = parts.lookup(probe);
      require(found.has_value() == again.has_value(), "PerfMap: pieces name another set");
      if (!found) continue;
      require(found->start <= probe, "PerfMap::lookup: an entry that starts after the address");
      require(!found->name.empty(), "PerfMap::lookup: an empty name");
      require(found->name == again->name && found->start == again->start,
              "PerfMap: pieces name an address differently");
    }
  }
}

// Every protocol's parser on the same text, then each socket found described.
void net_table(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  for (std::string_view protocol : kNetProtocols) {
    procfs::SocketTable table;
    (void)procfs::parse_net_table(protocol, text, table);
    require(!table.contains(0), "parse_net_table: an entry for inode 0");
    for (const auto& [inode, info] : table) {
      procfs::FdLink link = procfs::classify_fd_link("socket:[" + std::to_string(inode) + "]");
      require(link.kind == procfs::FdLink::Kind::Socket && link.inode == inode,
              "classify_fd_link: socket:[inode] not a socket with that inode");
      require(procfs::describe_fd(link, &table) == info.description,
              "describe_fd: a socket in the table not described by its entry");
    }
  }
  procfs::SocketTable table;
  require(!procfs::parse_net_table("raw", text, table).ok(), "parse_net_table: accepted net/raw");
}

// First line: a readlink text; the rest: a net table (any protocol) for describe_fd.
void fd_link(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  const std::size_t newline = text.find('\n');
  const std::string_view link_text = text.substr(0, newline);
  const std::string_view rest =
      newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);

  procfs::FdLink link = procfs::classify_fd_link(link_text);
  require(link.target == link_text, "classify_fd_link: target is not the link text");
  using Kind = procfs::FdLink::Kind;
  if (link.kind == Kind::Socket) require(link_text.starts_with("socket:["), "not a socket link");
  if (link.kind == Kind::Pipe) require(link_text.starts_with("pipe:["), "not a pipe link");
  if (link.kind == Kind::AnonInode) require(link_text.starts_with("anon_inode:"), "not anon");
  if (link.kind == Kind::File) require(link_text.starts_with('/'), "not a path");

  procfs::SocketTable table;
  for (std::string_view protocol : kNetProtocols) {
    (void)procfs::parse_net_table(protocol, rest, table);
  }
  const std::string without_table = procfs::describe_fd(link, nullptr);
  const std::string with_table = procfs::describe_fd(link, &table);
  if (link.kind != Kind::Socket) {
    require(without_table == with_table, "describe_fd: a socket table changed a non-socket");
  } else if (auto it = table.find(link.inode); it != table.end()) {
    require(with_table == it->second.description, "describe_fd: socket not described by table");
  } else {
    require(with_table == link.target, "describe_fd: unknown socket not shown as its link");
  }
}

void fdinfo(const std::uint8_t* data, std::size_t size) {
  auto info = procfs::parse_fdinfo(as_text(data, size));
  if (!info) return;
  // Every descriptor reads, writes, or both.
  require(info->reads() || info->writes(), "parse_fdinfo: an fd that neither reads nor writes");
}

void file_locks(const std::uint8_t* data, std::size_t size) {
  auto locks = procfs::parse_file_locks(as_text(data, size));
  if (!locks) return;
  for (std::size_t i = 0; i < locks->size(); ++i) {
    require((*locks)[i].depth >= 0, "parse_file_locks: a negative depth");
    auto blocker = procfs::granted_blocker(*locks, i);
    if (!blocker) continue;
    // A request waits behind a granted lock above it, never behind itself or below.
    require(*blocker < i && !(*locks)[*blocker].blocked() && (*locks)[i].blocked(),
            "granted_blocker: not a granted lock above a blocked request");
  }
}

void unix_diag(const std::uint8_t* data, std::size_t size) {
  auto entry =
      procfs::parse_unix_diag_reply(std::span(reinterpret_cast<const std::byte*>(data), size));
  if (!entry) require(!entry.error().message.empty(), "parse_unix_diag_reply: a silent error");
}

// ---- unwind/go_pclntab.h --------------------------------------------------------

// A .gopclntab section's bytes. Every function the table lists and pcs around each
// are looked up: what is answered covers the pc, and names and files lie inside the
// input (never a read outside it: ASan).
void go_pclntab(const std::uint8_t* data, std::size_t size) {
  constexpr std::uint64_t kText = 0x401000;
  const auto table = unwind::GoPclntab::parse(std::span(data, size), kText);
  if (!table) return;
  const auto inside = [&](std::string_view text) {
    const auto* begin = reinterpret_cast<const std::uint8_t*>(text.data());
    return !text.empty() && begin >= data && begin + text.size() <= data + size;
  };
  const auto check = [&](std::uint64_t pc) {
    auto function = table->function_at(pc);
    if (!function) return;
    require(function->entry <= pc && pc < function->end, "function_at: pc outside the function");
    require(inside(function->name), "function_at: a name outside the table");
    if (auto line = table->source_line(*function, pc)) {
      require(inside(line->file), "source_line: a file outside the table");
      require(line->line > 0, "source_line: a line number below 1");
    }
  };
  // Bounded: a huge function count in a small table must not make the run slow.
  const std::size_t count = std::min<std::size_t>(table->function_count(), 256);
  for (std::size_t i = 0; i < count; ++i) {
    auto function = table->function(i);
    if (!function) continue;
    require(function->entry < function->end, "function: an empty or reversed range");
    for (std::uint64_t pc :
         {function->entry, function->entry + (function->end - function->entry) / 2,
          function->end - 1, function->end}) {
      check(pc);
    }
  }
  check(kText);
  (void)unwind::go_elf_symbol_name(std::string_view(reinterpret_cast<const char*>(data), size));
}

// ---- model/snapshot_json.h-----------------------------------------------------------

// Load (one snapshot or an array of them); if it loads, every renderer runs, and the
// rendered JSON loads again and renders to the same bytes (a saved snapshot
// re-renders exactly).
void snapshot_json(const std::uint8_t* data, std::size_t size) {
  using nlohmann::json;
  const json document = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return;
  Result<std::vector<Snapshot>> loaded = snapshots_from_json(document);
  if (!loaded) {
    require(!loaded.error().message.empty(), "snapshots_from_json: an error without a message");
    require(loaded.error().message.find('\n') == std::string::npos,
            "snapshots_from_json: an error of more than one line");
    return;
  }
  require(!loaded->empty(), "snapshots_from_json: no snapshot and no error");
  for (const Snapshot& snapshot : *loaded) {
    (void)snapshot_complete(snapshot);
    (void)render_text(snapshot, TextOptions{.color = false});
    (void)render_text(snapshot, TextOptions{.color = true});
  }
  // The profile views: every folded line is "STACK COUNT", no name able to end a line
  // early; the pprof profile is written whatever the snapshot says.
  std::istringstream folded(render_folded(*loaded));
  for (std::string line; std::getline(folded, line);) {
    for (char c : line)
      require(static_cast<unsigned char>(c) >= 0x20, "render_folded: a control byte");
    const auto space = line.rfind(' ');
    require(space != std::string::npos && space + 1 < line.size() &&
                line.find_first_not_of("0123456789", space + 1) == std::string::npos,
            "render_folded: a line without its count");
  }
  std::ostringstream profile;
  require(write_pprof(*loaded, profile), "write_pprof: failed on a string stream");

  const std::string first = render_json(*loaded);
  const json rendered = json::parse(first, nullptr, /*allow_exceptions=*/false);
  require(!rendered.is_discarded(), "render_json: output json::parse rejects");
  require(rendered == snapshots_to_json(*loaded), "render_json and snapshots_to_json disagree");
  require(rendered.is_array() == (loaded->size() > 1), "render_json: one snapshot as an array");
  Result<std::vector<Snapshot>> reloaded = snapshots_from_json(rendered);
  if (!reloaded) {
    std::fprintf(stderr, "reload: %s\n", reloaded.error().message.c_str());
    require(false, "snapshots_from_json: rejects what render_json wrote");
  }
  if (render_json(*reloaded) != first) {
    std::fprintf(stderr, "first:\n%s\nsecond:\n%s\n", first.c_str(),
                 render_json(*reloaded).c_str());
    require(false, "render_json(load(render_json(s))) != render_json(s)");
  }
}

constexpr std::array<FuzzTarget, 15> kTargets = {{
    {"kernel_stack", "stack-", kernel_stack},
    {"syscall", "syscall-", syscall},
    {"stat", "stat-", stat},
    {"status", "status-", status},
    {"schedstat", "schedstat-", schedstat},
    {"wchan", "wchan-", wchan},
    {"maps", "maps-", maps},
    {"net_table", "net-", net_table},
    {"fd_link", "", fd_link},
    {"fdinfo", "fdinfo-", fdinfo},
    {"file_locks", "locks-", file_locks},
    {"unix_diag", "", unix_diag},
    {"snapshot_json", "", snapshot_json},
    {"go_pclntab", "", go_pclntab},
    {"perf_map", "perfmap-", perf_map},
}};

}  // namespace

std::span<const FuzzTarget> fuzz_targets() { return kTargets; }

const FuzzTarget* find_fuzz_target(std::string_view name) {
  for (const FuzzTarget& target : kTargets) {
    if (target.name == name) return &target;
  }
  return nullptr;
}

}  // namespace ukstack::fuzz
