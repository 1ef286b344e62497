// A fake Go runtime for tests of the goroutine readers: allgs, allglen, allm, the
// wait reason table, g's and m's laid out in a FakeAddressSpace as a hand-made
// layout says (atomic_status: the status where an atomic.Uint32's value sits, as in
// Go 1.20; else a plain uint32 as before).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "unwind/fake_address_space.h"
#include "unwind/go_runtime.h"
#include "unwind/go_runtime_layout.h"

namespace ukstack::unwind::fake_go {

constexpr std::uint32_t kRunnable = 1, kRunning = 2, kWaiting = 4, kDead = 6, kScan = 0x1000;

// A layout with every field at its own offset; `atomic_status` moves the status
// to where an atomic.Uint32's value sits in a g of Go 1.20's shape.
GoRuntimeLayout hand_layout(bool atomic_status);

struct FakeG {
  std::uint64_t goid = 0;
  std::uint32_t status = 0;
  std::uint8_t wait_reason = 0;
  std::uint64_t m = 0;
  std::uint64_t pc = 0;
  std::uint64_t sp = 0;        // 0: 0x7000 + goid
  std::uint64_t stack_hi = 0;  // the top of its stack
  std::uint64_t syscall_pc = 0;
  std::uint64_t syscall_sp = 0;
};

// A fake runtime: allgs, allglen, the wait reason table and the g's, as `layout` has them.
class FakeGoRuntime {
 public:
  explicit FakeGoRuntime(GoRuntimeLayout layout) : layout_(std::move(layout)) {
    const char* names[] = {"", "chan receive", "IO wait"};
    for (std::uint64_t i = 0; i < 3; ++i) {
      const RemoteAddr text(0x21000 + 0x100 * i);
      const std::string name = names[i];
      if (!name.empty()) {
        memory.add(text, std::vector<std::byte>(
                             reinterpret_cast<const std::byte*>(name.data()),
                             reinterpret_cast<const std::byte*>(name.data()) + name.size()));
      }
      memory.add_value(layout_.wait_reason_strings + 16 * i, text.value());
      memory.add_value(layout_.wait_reason_strings + 16 * i + 8, std::uint64_t{name.size()});
    }
  }

  void put_g(RemoteAddr at, const FakeG& g) {
    std::vector<std::byte> bytes(layout_.g_size);
    auto put = [&](const GoField& field, std::uint64_t value) {
      std::memcpy(bytes.data() + field.offset, &value, field.size);  // little-endian
    };
    put(layout_.goid, g.goid);
    put(layout_.status, g.status);
    put(layout_.wait_reason, g.wait_reason);
    put(layout_.m, g.m);
    put(layout_.sched_pc, g.pc);
    put(layout_.sched_sp, g.sp != 0 ? g.sp : 0x7000 + g.goid);
    put(layout_.stack_hi, g.stack_hi);
    put(layout_.syscall_pc, g.syscall_pc);
    put(layout_.syscall_sp, g.syscall_sp);
    put(layout_.gopc, 0x401000 + g.goid);
    put(layout_.start_pc, 0x402000 + g.goid);
    memory.add(at, std::move(bytes));
  }

  // An M with its thread id, the g it runs (curg) and the next M in runtime.allm.
  void put_m(RemoteAddr at, std::uint64_t procid, std::uint64_t curg = 0,
             std::uint64_t alllink = 0) {
    std::vector<std::byte> bytes(layout_.m_size);
    std::memcpy(bytes.data() + layout_.m_procid.offset, &procid, 8);
    std::memcpy(bytes.data() + layout_.m_curg.offset, &curg, 8);
    std::memcpy(bytes.data() + layout_.m_alllink.offset, &alllink, 8);
    memory.add(at, std::move(bytes));
  }
  // runtime.allm: the first M of the list.
  void put_allm(std::uint64_t first) { memory.add_value(*layout_.allm, first); }

  // allgs = the pointers at 0x30000, with `length` (and allglen = `allglen`).
  void put_allgs(const std::vector<std::uint64_t>& pointers, std::uint64_t length,
                 std::uint64_t allglen) {
    memory.add_value(layout_.allgs, std::uint64_t{0x30000});
    memory.add_value(layout_.allgs + 8, length);
    memory.add_value(layout_.allgs + 16, length);  // cap
    memory.add_value(*layout_.allglen, allglen);
    if (pointers.empty()) return;  // memcpy from an empty vector's null data is undefined
    std::vector<std::byte> array(pointers.size() * 8);
    std::memcpy(array.data(), pointers.data(), array.size());
    memory.add(RemoteAddr(0x30000), std::move(array));
  }
  void put_allgs(const std::vector<std::uint64_t>& pointers) {
    put_allgs(pointers, pointers.size(), pointers.size());
  }

  Result<GoroutineList> read() const { return read_goroutines(memory, layout_); }

  const GoRuntimeLayout& layout() const { return layout_; }

  FakeAddressSpace memory;

 private:
  GoRuntimeLayout layout_;
};

}  // namespace ukstack::unwind::fake_go
