#include "capture/waits/other_end_waits.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "capture/waits/wait_holders.h"
#include "procfs/fd_info.h"
#include "procfs/fd_target.h"

namespace ukstack {

namespace {

// Which way a call moves data through its descriptors.
enum class Direction { Reads, Writes, Either, None };

Direction call_direction(std::string_view name) {
  static constexpr std::array<std::string_view, 8> kReads = {
      "read", "readv", "pread64", "preadv", "preadv2", "recvfrom", "recvmsg", "recvmmsg"};
  static constexpr std::array<std::string_view, 8> kWrites = {
      "write", "writev", "pwrite64", "pwritev", "pwritev2", "sendto", "sendmsg", "sendmmsg"};
  static constexpr std::array<std::string_view, 3> kEither = {"splice", "tee", "sendfile"};
  if (std::ranges::find(kReads, name) != kReads.end()) return Direction::Reads;
  if (std::ranges::find(kWrites, name) != kWrites.end()) return Direction::Writes;
  if (std::ranges::find(kEither, name) != kEither.end()) return Direction::Either;
  return Direction::None;
}

// The kernel half says which side of a pipe a splice or tee sleeps on.
Direction kernel_pipe_direction(const Stack& kernel) {
  for (const Frame& frame : kernel.frames) {
    if (frame.function == "pipe_wait_readable" || frame.function == "pipe_read") {
      return Direction::Reads;
    }
    if (frame.function == "pipe_wait_writable" || frame.function == "pipe_write") {
      return Direction::Writes;
    }
  }
  return Direction::Either;
}

bool has_holder(const Wait& wait, int pid) {
  return std::ranges::any_of(wait.holders, [&](const WaitHolder& h) { return h.pid == pid; });
}

}  // namespace

OtherEndWaits::OtherEndWaits(const procfs::ProcSource& proc,
                             const procfs::UnixPeerSource& unix_peers)
    : proc_(proc), unix_peers_(unix_peers) {}

const procfs::ProcessReader& OtherEndWaits::reader(int pid) {
  auto& slot = readers_[pid];
  if (!slot) slot = std::make_unique<procfs::ProcessReader>(proc_, pid);
  return *slot;
}

// sock_diag answers in ukstack's network namespace; a target in a container has
// its own. Unknown (a link that cannot be read) counts as the same.
bool OtherEndWaits::same_network_namespace(int pid) {
  auto own = proc_.read_link("self/ns/net");
  auto target = proc_.read_link(std::to_string(pid) + "/ns/net");
  return !own || !target || *own == *target;
}

void OtherEndWaits::add(Thread& thread, int pid) {
  if (!thread.syscall) return;
  const Direction call = call_direction(thread.syscall->name);
  if (call == Direction::None) return;
  const Direction kernel = kernel_pipe_direction(thread.kernel);
  for (const FdDescription& fd : thread.syscall->fds) {
    const procfs::FdLink link = procfs::classify_fd_link(fd.target);
    const std::string fd_path = std::to_string(pid) + "/fd/" + std::to_string(fd.fd);
    if (link.kind == procfs::FdLink::Kind::Socket) {
      add_socket(thread, pid, fd, link.inode);
      continue;
    }
    std::string description;
    WaitKind kind = WaitKind::Pipe;
    if (link.kind == procfs::FdLink::Kind::Pipe) {
      description = fd.target;
    } else if (link.kind == procfs::FdLink::Kind::File) {
      auto identity = proc_.identify(fd_path);
      if (!identity || !identity->is_fifo()) continue;  // a regular file waits on no process
      kind = WaitKind::Fifo;
      description = "fifo " + fd.target + " (inode " + std::to_string(identity->inode) + ")";
      query_.fifos[fd.target] = *identity;
    } else {
      continue;
    }
    // Which end this thread is at: the call says, or (splice, tee) the descriptor's
    // access mode, or the kernel half.
    Direction direction = call;
    if (direction == Direction::Either) {
      auto info = proc_.read_file(std::to_string(pid) + "/fdinfo/" + std::to_string(fd.fd));
      auto parsed = info ? procfs::parse_fdinfo(*info) : Result<procfs::FdInfo>(info.error());
      if (parsed && parsed->access() == procfs::AccessMode::Read) direction = Direction::Reads;
      if (parsed && parsed->access() == procfs::AccessMode::Write) direction = Direction::Writes;
      if (direction == Direction::Either) direction = kernel;
      if (kernel != Direction::Either && direction != kernel) continue;  // sleeps on the other fd
    }
    if (direction == Direction::Either) continue;
    Pending pending;
    pending.thread = &thread;
    pending.wait.kind = kind;
    pending.wait.description = std::move(description);
    pending.key = fd.target;
    pending.wanted = direction == Direction::Reads ? Wanted::Writers : Wanted::Readers;
    if (kind == WaitKind::Pipe) query_.links.insert(fd.target);
    pending_.push_back(std::move(pending));
  }
}

void OtherEndWaits::add_socket(Thread& thread, int pid, const FdDescription& fd,
                               std::uint64_t inode) {
  const procfs::SocketInfo* found = reader(pid).socket(inode);
  if (found == nullptr) return;  // not a tcp or unix socket of its namespace
  const procfs::SocketInfo& socket = *found;
  Pending pending;
  pending.thread = &thread;
  pending.wait.kind = WaitKind::Socket;

  if (socket.description.starts_with("unix")) {
    pending.wait.description = "unix " + fd.target;
    if (!same_network_namespace(pid)) {
      pending.wait.reason =
          "the socket is in another network namespace (a container): its peer is not looked up";
    } else if (auto peer = unix_peers_.peer_of(inode); !peer) {
      pending.wait.reason =
          "the kernel does not say the socket's peer (sock_diag): " + peer.error().message;
    } else if (!*peer) {
      pending.wait.reason = "the socket is not connected: no peer";
    } else {
      pending.key = "socket:[" + std::to_string(**peer) + "]";
    }
  } else if (socket.description.starts_with("tcp") && !socket.remote.empty() &&
             !socket.remote.ends_with(":0")) {
    pending.wait.description = "tcp " + socket.local + " → " + socket.remote;
    // The other end on this host: the entry with local and remote swapped, in any
    // of the tables.
    for (const auto& [other_inode, other] : reader(pid).sockets()) {
      if (other_inode != inode && other.local == socket.remote && other.remote == socket.local) {
        pending.key = "socket:[" + std::to_string(other_inode) + "]";
        break;
      }
    }
    if (pending.key.empty()) {
      pending.wait.reason = socket.loopback
                                ? "no socket on this host has the other end (closed since)"
                                : "the peer " + socket.remote + " is not on this host";
    }
  } else {
    return;  // udp, a listening socket: no one peer to wait for
  }
  if (!pending.key.empty()) query_.links.insert(pending.key);
  pending_.push_back(std::move(pending));
}

OtherEndScan OtherEndWaits::resolve() {
  OtherEndScan scan;
  procfs::FdHolders found;
  if (!query_.empty()) {
    const auto start = std::chrono::steady_clock::now();
    found = procfs::find_fd_holders(proc_, query_);
    scan.time = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    scan.processes = found.processes;
  }
  HolderProcesses processes(proc_);
  for (Pending& pending : pending_) {
    Wait& wait = pending.wait;
    if (!pending.key.empty()) {
      for (const procfs::OpenFile& open : found.by_link[pending.key]) {
        if (pending.wanted == Wanted::Writers && open.access == procfs::AccessMode::Read) continue;
        if (pending.wanted == Wanted::Readers && open.access == procfs::AccessMode::Write) continue;
        if (has_holder(wait, open.pid)) continue;
        if (auto holder = processes.process(open.pid)) wait.holders.push_back(std::move(*holder));
      }
      const std::string end = wait.kind == WaitKind::Socket       ? "the peer socket"
                              : pending.wanted == Wanted::Writers ? "the write end"
                                                                  : "the read end";
      if (!found.uninspected.empty()) {
        wait.reason = (wait.holders.empty() ? "no process ukstack can inspect holds " + end + "; "
                                            : std::string()) +
                      "processes whose descriptors ukstack may not read may hold it: " +
                      pid_list(found.uninspected);
      } else if (wait.holders.empty()) {
        wait.reason = "no process holds " + end + " (it was closed since: the call is returning)";
      }
    }
    pending.thread->waits_for.push_back(std::move(wait));
  }
  pending_.clear();
  query_ = {};
  return scan;
}

}  // namespace ukstack
