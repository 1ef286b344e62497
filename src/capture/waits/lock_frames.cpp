#include "capture/waits/lock_frames.h"

#include <array>
#include <string_view>

namespace ukstack {

namespace {

// glibc names one function several ways: "___pthread_mutex_lock" (DWARF),
// "pthread_mutex_lock" (its exported alias), "__GI___lll_lock_wait",
// "__pthread_mutex_clocklock64" (the 64-bit time_t variant). One spelling of each.
std::string_view plain_name(std::string_view name) {
  while (name.starts_with('_')) name.remove_prefix(1);
  if (name.starts_with("GI_")) name.remove_prefix(3);
  while (name.starts_with('_')) name.remove_prefix(1);
  if (name.ends_with("64")) name.remove_suffix(2);
  return name;
}

bool one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  for (std::string_view candidate : names) {
    if (name == candidate) return true;
  }
  return false;
}

// The futex calls glibc's locks and waits share: never decisive.
bool futex_helper(std::string_view name) {
  return name.starts_with("futex") || name.starts_with("lll_futex");
}

// glibc's waits that are not a lock someone holds: a condition variable (its futex
// is the condvar's, not a mutex's), a join, a semaphore, a barrier, a once, an
// internal lock of libc (stdio, malloc: an int, not a pthread_mutex_t).
bool other_wait(std::string_view name) {
  constexpr std::array<std::string_view, 9> prefixes = {
      "pthread_cond",      "condvar",           "pthread_join",
      "pthread_clockjoin", "pthread_timedjoin", "sem_",
      "pthread_barrier",   "pthread_once",      "lll_lock_wait_private"};
  for (std::string_view prefix : prefixes) {
    if (name.starts_with(prefix)) return true;
  }
  return one_of(name, {"new_sem_wait_slow", "do_futex_wait", "sigwait", "sigtimedwait"});
}

LockCall named_lock_call(std::string_view name) {
  if (one_of(name, {"lll_lock_wait", "lll_mutex_lock_optimized", "pthread_mutex_lock",
                    "pthread_mutex_lock_full", "pthread_mutex_timedlock", "pthread_mutex_clocklock",
                    "pthread_mutex_clocklock_common", "pthread_mutex_cond_lock",
                    "pthread_mutex_cond_lock_full"})) {
    return LockCall::Mutex;
  }
  if (name.starts_with("pthread_rwlock_")) {
    if (name.find("rdlock") != std::string_view::npos) return LockCall::RwlockRead;
    if (name.find("wrlock") != std::string_view::npos) return LockCall::RwlockWrite;
  }
  return LockCall::None;
}

// Frames of glibc itself: where a frame without debug symbols may carry the name of
// the nearest exported function instead of its own, so an unknown name there is
// looked through rather than taken as the caller's code.
bool in_libc(const Frame& frame) {
  if (!frame.module) return false;
  std::string_view path = *frame.module;
  std::string_view file = path.substr(path.rfind('/') + 1);
  return file.starts_with("libc.so") || file.starts_with("libc-") || file.starts_with("libpthread");
}

}  // namespace

LockCall lock_call(const std::vector<Frame>& user_frames) {
  // A lock's entry point is a handful of frames above the system call.
  constexpr std::size_t kFramesLooked = 8;
  std::size_t looked = 0;
  for (const Frame& frame : user_frames) {
    if (++looked > kFramesLooked) break;
    std::string_view name = plain_name(frame.function);
    if (LockCall call = named_lock_call(name); call != LockCall::None) return call;
    if (other_wait(name)) return LockCall::None;
    if (name.empty() || futex_helper(name) || in_libc(frame)) continue;
    return LockCall::None;  // the program's own code made the futex call
  }
  return LockCall::None;
}

}  // namespace ukstack
