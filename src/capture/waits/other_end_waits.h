// Pipes, FIFOs and sockets: the processes holding the other end of what a thread
// reads or writes. A reader of a pipe waits for the processes that hold its write
// end (the waiting process itself included: a classic self-deadlock), a writer for
// those that hold the read end; a unix socket's peer comes from sock_diag, a TCP
// connection's from the net table (the entry with local and remote swapped). The
// holders are found by one scan of every process's descriptors, run once per
// capture and only when some thread waits on such an object.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/snapshot.h"
#include "procfs/fd_holders.h"
#include "procfs/process_reader.h"
#include "procfs/source.h"
#include "procfs/unix_peers.h"

namespace ukstack {

// What finding the other ends cost: the scan of /proc (0 processes: no scan).
struct OtherEndScan {
  int processes = 0;
  std::chrono::microseconds time{0};
};

class OtherEndWaits {
 public:
  OtherEndWaits(const procfs::ProcSource& proc, const procfs::UnixPeerSource& unix_peers);
  // Notes what `thread` (of process `pid`) waits on; the thread must outlive resolve().
  void add(Thread& thread, int pid);
  // Scans once for every object noted, and appends the waits to their threads.
  OtherEndScan resolve();

 private:
  enum class Wanted { AnyHolder, Writers, Readers };
  struct Pending {
    Thread* thread = nullptr;
    Wait wait;
    std::string key;  // what to look for in the scan; empty: the wait is complete
    Wanted wanted = Wanted::AnyHolder;
  };

  void add_pipe_end(Thread& thread, int pid, const FdDescription& fd, WaitKind kind,
                    std::string description, std::string key);
  void add_socket(Thread& thread, int pid, const FdDescription& fd, std::uint64_t inode);
  const procfs::ProcessReader& reader(int pid);
  bool same_network_namespace(int pid);

  const procfs::ProcSource& proc_;
  const procfs::UnixPeerSource& unix_peers_;
  std::map<int, std::unique_ptr<procfs::ProcessReader>> readers_;  // socket tables, per pid
  std::vector<Pending> pending_;
  procfs::FdHolderQuery query_;
};

}  // namespace ukstack
