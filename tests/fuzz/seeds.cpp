#include "tests/fuzz/seeds.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "model/snapshot_json.h"
#include "render/json.h"
#include "tests/model/sample_snapshot.h"
#include "tests/unwind/go_pclntab_builder.h"

namespace ukstack::fuzz {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<Seed> fd_link_seeds(const std::string& procfs_samples) {
  std::vector<Seed> seeds;
  int n = 0;
  auto add = [&](std::string data) {
    seeds.push_back(Seed{"fd-" + std::to_string(n++) + ".txt", std::move(data)});
  };
  for (const char* link :
       {"pipe:[81234]", "anon_inode:[eventfd]", "anon_inode:[eventpoll]", "anon_inode:inotify",
        "anon_inode:[]", "/var/log/x.log", "/tmp/a file (deleted)", "socket:[0]",
        "socket:[18446744073709551615]", "net:[4026531840]", "mnt:[4026531841]", "/dev/null"}) {
    add(link);
  }
  // A socket link, then the table to find it in: the first inode column of each sample.
  for (const char* table :
       {"net-tcp.txt", "net-tcp6.txt", "net-udp.txt", "net-udp6.txt", "net-unix.txt"}) {
    const std::string text = read_file(procfs_samples + "/" + table);
    std::istringstream lines(text);
    std::string line;
    std::getline(lines, line);  // header
    while (std::getline(lines, line)) {
      std::istringstream words(line);
      std::vector<std::string> fields;
      for (std::string word; words >> word;) fields.push_back(word);
      const std::size_t inode_column = std::string(table) == "net-unix.txt" ? 6 : 9;
      if (fields.size() > inode_column && fields[inode_column] != "0") {
        add("socket:[" + fields[inode_column] + "]\n" + text);
        break;
      }
    }
  }
  return seeds;
}

std::vector<Seed> snapshot_seeds() {
  std::vector<Seed> seeds;
  const Snapshot sample = testing::sample_snapshot();
  seeds.push_back(Seed{"sample.json", render_json(sample)});

  Snapshot empty = sample;
  empty.threads.clear();
  seeds.push_back(Seed{"no-threads.json", render_json(empty)});

  for (std::size_t i = 0; i < sample.threads.size(); ++i) {
    Snapshot one = sample;
    one.threads = {sample.threads[i]};
    seeds.push_back(Seed{"thread-" + std::to_string(i) + ".json", render_json(one)});
  }

  // What a hostile target can put in its names and paths (issue 3, part 5).
  Snapshot hostile = sample;
  hostile.source = SnapshotSource::Core;
  hostile.process.exe = "/tmp/\x1b]0;owned\x07/exe";
  hostile.process.cmdline = {"a\nb", "\x1b[2J", "\xce\xbb \xe2\x86\x92 \xf0\x9f\x90\x9b", ""};
  if (!hostile.threads.empty()) {
    Thread& thread = hostile.threads.front();
    thread.name = std::string("x\0y\r\t\x7f", 6);
    thread.notes.push_back("kernel stack changed during capture");
    if (!thread.user.frames.empty()) {
      thread.user.frames.front().file = "/src/\"quoted\"\\path.c";
      thread.user.frames.front().line = 2147483647;
      thread.user.frames.front().inlined = true;
    }
  }
  seeds.push_back(Seed{"hostile.json", render_json(hostile)});

  // A snapshot written before frames had "found_by" (the loader accepts both).
  nlohmann::json older = snapshot_to_json(sample);
  for (auto& thread : older["threads"]) {
    for (const char* half : {"kernel", "user"}) {
      for (auto& frame : thread[half]["frames"]) frame.erase("found_by");
    }
  }
  seeds.push_back(Seed{"before-found-by.json", older.dump(2)});

  // Schema /2's fields all set, alone and with other processes in one array.
  const Snapshot waiting = testing::waiting_snapshot();
  seeds.push_back(Seed{"waits-groups-deadlock.json", render_json(waiting)});
  seeds.push_back(Seed{"several-processes.json", render_json(std::vector<Snapshot>{
                                                     waiting, sample, testing::core_snapshot()})});
  return seeds;
}

// Replies of the kernel's sock_diag to one unix socket query, as bytes: an entry
// with a peer, one without, and an error.
std::vector<Seed> unix_diag_seeds() {
  auto bytes = [](const void* data, std::size_t size) {
    return std::string(static_cast<const char*>(data), size);
  };
  std::vector<Seed> seeds;
  for (bool with_peer : {true, false}) {
    struct {
      nlmsghdr header;
      unix_diag_msg entry;
      rtattr attribute;
      std::uint32_t peer;
    } reply{};
    reply.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    reply.entry.udiag_family = AF_UNIX;
    reply.entry.udiag_ino = 5678;
    reply.attribute.rta_len = RTA_LENGTH(sizeof reply.peer);
    reply.attribute.rta_type = UNIX_DIAG_PEER;
    reply.peer = 5679;
    const std::size_t size = with_peer ? sizeof reply : sizeof reply.header + sizeof reply.entry;
    reply.header.nlmsg_len = static_cast<std::uint32_t>(size);
    seeds.push_back(Seed{with_peer ? "peer.bin" : "no-peer.bin", bytes(&reply, size)});
  }
  struct {
    nlmsghdr header;
    nlmsgerr error;
  } failure{};
  failure.header.nlmsg_len = sizeof failure;
  failure.header.nlmsg_type = NLMSG_ERROR;
  failure.error.error = -ENOENT;
  seeds.push_back(Seed{"enoent.bin", bytes(&failure, sizeof failure)});
  return seeds;
}

// Go function tables in each format, byte order and pointer size (the builder's
// sample functions at 0x401000, as the fuzz target looks them up).
std::vector<Seed> go_pclntab_seeds() {
  using unwind::GoPclntabVersion;
  std::vector<Seed> seeds;
  const std::pair<GoPclntabVersion, const char*> versions[] = {{GoPclntabVersion::Go12, "go1.2"},
                                                               {GoPclntabVersion::Go116, "go1.16"},
                                                               {GoPclntabVersion::Go118, "go1.18"},
                                                               {GoPclntabVersion::Go120, "go1.20"}};
  for (const auto& [version, name] : versions) {
    for (bool big_endian : {false, true}) {
      const unsigned pointer_size = big_endian ? 4 : 8;
      const auto bytes = testing::build_go_pclntab(
          {.version = version, .pointer_size = pointer_size, .big_endian = big_endian},
          testing::sample_go_functions(0x401000));
      seeds.push_back(Seed{std::string(name) + (big_endian ? "-be32" : "-le64") + ".bin",
                           std::string(bytes.begin(), bytes.end())});
    }
  }
  return seeds;
}

// Perf maps as the JVM (jcmd Compiler.perfmap: 0x and zero-padded) and CPython 3.12
// (-X perf: trampolines named py::) write them; Node.js's is a sample in procfs/.
std::vector<Seed> perf_map_seeds() {
  return {Seed{"jvm.map",
               "0x00007f8e1d0e1a00 0x0000000000000160 Interpreter\n"
               "0x00007f8e1d4f2c80 0x00000000000001e8 void java.lang.Object.wait(long)\n"
               "0x00007f8e1d4f3000 0x0000000000000400 int java.lang.String.hashCode()\n"},
          Seed{"cpython-3.12.map",
               "7f1f5c0a4000 b py::handle_request:/srv/app.py\n"
               "7f1f5c0a400b b py::<module>:/srv/app.py\n"}};
}

}  // namespace

std::vector<Seed> generated_seeds(std::string_view target, const std::string& procfs_samples) {
  if (target == "fd_link") return fd_link_seeds(procfs_samples);
  if (target == "snapshot_json") return snapshot_seeds();
  if (target == "unix_diag") return unix_diag_seeds();
  if (target == "go_pclntab") return go_pclntab_seeds();
  if (target == "perf_map") return perf_map_seeds();
  return {};
}

}  // namespace ukstack::fuzz
