#include "capture/seized_thread.h"

#include <utility>

namespace ukstack {

Result<SeizedThread> SeizedThread::seize(Tracer& tracer, int tid) {
  if (auto seized = tracer.seize(tid); !seized) return seized.error();
  return SeizedThread(tracer, tid);
}

SeizedThread::SeizedThread(SeizedThread&& other) noexcept
    : tracer_(other.tracer_),
      tid_(std::exchange(other.tid_, -1)),
      stopped_(other.stopped_),
      signal_to_deliver_(other.signal_to_deliver_) {}

SeizedThread::~SeizedThread() { detach(); }

bool SeizedThread::interrupt() { return tracer_->interrupt(tid_); }

StopOutcome SeizedThread::wait_for_stop(Clock::time_point deadline) {
  if (tid_ < 0) return StopOutcome::Exited;
  if (stopped_) return StopOutcome::Stopped;
  WaitResult result = tracer_->wait_for_stop(tid_, deadline);
  if (result.outcome == StopOutcome::Stopped) {
    stopped_ = true;
    signal_to_deliver_ = result.signal;
  } else if (result.outcome == StopOutcome::Exited) {
    tid_ = -1;
  }
  return result.outcome;
}

Result<user_regs_struct> SeizedThread::registers() const { return tracer_->registers(tid_); }

Result<unwind::StackCopy> SeizedThread::copy_stack(RemoteAddr sp, std::size_t max_bytes,
                                                   unwind::ByteBuffer buffer) const {
  return tracer_->copy_stack(tid_, sp, max_bytes, std::move(buffer));
}

void SeizedThread::detach() {
  if (tid_ < 0) return;
  // It may have stopped just now; a seized thread can only be detached in a stop.
  if (!stopped_) wait_for_stop(Clock::time_point{});
  if (tid_ < 0) return;  // exited meanwhile
  if (stopped_) {
    tracer_->detach(tid_, signal_to_deliver_);
  } else {
    tracer_->linger(tid_);
  }
  tid_ = -1;
}

}  // namespace ukstack
