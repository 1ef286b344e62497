// Turns what was read and sampled for a thread (RawThread) into the model's Thread:
// the kernel frames parsed, the system call decoded with its file descriptors
// described, the user half unwound (if it was not already) and symbolized.
#pragma once

#include <map>
#include <string>

#include "capture/raw_thread.h"
#include "model/snapshot.h"
#include "procfs/process_reader.h"
#include "unwind/unwinder.h"

namespace ukstack {

class ThreadBuilder {
 public:
  // `unwinder` may be null: then `unwinder_error` is each user half's error.
  // `method` is the user half's method for threads unwound after a stop.
  ThreadBuilder(const procfs::ProcessReader& reader, unwind::Unwinder* unwinder,
                std::string unwinder_error, StackMethod method);

  // Frees the thread's raw stacks and copies as it goes (memory stays flat).
  Thread build(RawThread& raw);

  // Step 4's re-read, done once every thread has been sampled and unwound: a note
  // when a blocked thread moved on and its kernel stack changed during the capture.
  void recheck_kernel_half(const RawThread& raw, Thread& thread) const;

 private:
  SyscallInfo decode_syscall(const procfs::SyscallState& state);

  const procfs::ProcessReader& reader_;
  unwind::Unwinder* unwinder_;
  std::string unwinder_error_;
  StackMethod method_;
  std::map<int, FdDescription> fd_cache_;  // threads share their descriptors
};

// One unwound user frame as the snapshot keeps it (live captures and core files).
Frame to_frame(unwind::UnwoundFrame&& frame);

}  // namespace ukstack
