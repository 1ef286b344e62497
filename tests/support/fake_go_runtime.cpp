#include "tests/support/fake_go_runtime.h"

namespace ukstack::unwind::fake_go {

GoRuntimeLayout hand_layout(bool atomic_status) {
  GoRuntimeLayout layout;
  layout.allgs = RemoteAddr(0x10000);
  layout.slice_array = {0, 8};
  layout.slice_len = {8, 8};
  layout.allglen = RemoteAddr(0x10100);
  layout.allglen_size = 8;
  layout.pointer_size = 8;
  layout.wait_reason_strings = RemoteAddr(0x20000);
  layout.wait_reason_count = 3;
  layout.string_size = 16;
  layout.string_data = {0, 8};
  layout.string_len = {8, 8};
  layout.g_size = 200;
  layout.goid = atomic_status ? GoField{152, 8} : GoField{144, 8};
  layout.status = atomic_status ? GoField{160, 4} : GoField{140, 4};
  layout.wait_reason = {170, 1};
  layout.wait_since = {176, 8};
  layout.gopc = {184, 8};
  layout.start_pc = {192, 8};
  layout.sched_pc = {64, 8};
  layout.sched_sp = {56, 8};
  layout.sched_bp = {112, 8};
  layout.syscall_sp = {120, 8};
  layout.syscall_pc = {128, 8};
  layout.m = {48, 8};
  layout.stack_hi = {8, 8};
  layout.m_size = 64;
  layout.m_procid = {40, 8};
  layout.allm = RemoteAddr(0x10200);
  layout.m_curg = {8, 8};
  layout.m_alllink = {16, 8};
  layout.status_names = {{0, "idle"},    {kRunnable, "runnable"}, {kRunning, "running"},
                         {3, "syscall"}, {kWaiting, "waiting"},   {kDead, "dead"}};
  layout.scan_bit = kScan;
  return layout;
}

}  // namespace ukstack::unwind::fake_go
