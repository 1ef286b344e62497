#include "unwind/go_runtime.h"

#include <algorithm>
#include <cstring>
#include <span>
#include <unordered_set>

#include "base/format.h"

namespace ukstack::unwind {

namespace {

// No waitReason table or reason text is this long in any Go release; a longer
// one is a corrupted table, read no further.
constexpr std::uint64_t kMaxWaitReasons = 1024;
constexpr std::uint64_t kMaxWaitReasonLength = 256;
// allgs is read this many pointers at a time: a bounded buffer however long it is.
constexpr std::uint64_t kPointersPerRead = 4096;

// An unsigned integer of field.size bytes at field.offset in bytes (the caller has
// checked that it fits), in the target's byte order, which is ours.
std::uint64_t integer_at(std::span<const std::byte> bytes, const GoField& field) {
  switch (field.size) {
    case 1: {
      std::uint8_t v;
      std::memcpy(&v, bytes.data() + field.offset, 1);
      return v;
    }
    case 2: {
      std::uint16_t v;
      std::memcpy(&v, bytes.data() + field.offset, 2);
      return v;
    }
    case 4: {
      std::uint32_t v;
      std::memcpy(&v, bytes.data() + field.offset, 4);
      return v;
    }
    default: {
      std::uint64_t v;
      std::memcpy(&v, bytes.data() + field.offset, 8);
      return v;
    }
  }
}

Result<std::uint64_t> read_integer(const AddressSpace& memory, RemoteAddr addr,
                                   std::uint64_t size) {
  std::vector<std::byte> bytes(size);
  if (auto done = memory.read_exact(addr, bytes); !done) return done.error();
  return integer_at(bytes, GoField{0, size});
}

// runtime.waitReasonStrings as the target holds it; an entry that cannot be read
// stays empty (the goroutine then gets a note, not a made-up name).
std::vector<std::string> read_wait_reasons(const AddressSpace& memory,
                                           const GoRuntimeLayout& layout,
                                           std::vector<std::string>& notes) {
  const std::uint64_t count = std::min(layout.wait_reason_count, kMaxWaitReasons);
  std::vector<std::string> reasons(count);
  std::vector<std::byte> table(count * layout.string_size);
  if (auto done = memory.read_exact(layout.wait_reason_strings, table); !done) {
    notes.push_back("the runtime's wait reason names (runtime.waitReasonStrings at " +
                    hex(layout.wait_reason_strings.value()) +
                    ") cannot be read: " + done.error().message);
    return reasons;
  }
  for (std::uint64_t i = 0; i < count; ++i) {
    auto entry =
        std::span<const std::byte>(table).subspan(i * layout.string_size, layout.string_size);
    const std::uint64_t data = integer_at(entry, layout.string_data);
    const std::uint64_t length = integer_at(entry, layout.string_len);
    if (length == 0 || length > kMaxWaitReasonLength) continue;
    std::string text(length, '\0');
    if (memory.read_exact(RemoteAddr(data), std::as_writable_bytes(std::span(text)))) {
      reasons[i] = std::move(text);
    }
  }
  return reasons;
}

// The number of g's to read: allgs's length, and allglen's where the runtime has
// it (it publishes both; a reader racing an append may see them differ, and only
// the smaller count is sure to be filled in).
Result<std::pair<RemoteAddr, std::uint64_t>> read_allgs(const AddressSpace& memory,
                                                        const GoRuntimeLayout& layout,
                                                        std::vector<std::string>& notes) {
  const std::uint64_t header_size = std::max(layout.slice_array.offset + layout.slice_array.size,
                                             layout.slice_len.offset + layout.slice_len.size);
  std::vector<std::byte> header(header_size);
  if (auto done = memory.read_exact(layout.allgs, header); !done) {
    return Error{done.error().errnum, "the goroutine list (runtime.allgs at " +
                                          hex(layout.allgs.value()) +
                                          ") cannot be read: " + done.error().message};
  }
  const RemoteAddr array(integer_at(header, layout.slice_array));
  std::uint64_t length = integer_at(header, layout.slice_len);
  if (layout.allglen) {
    auto allglen = read_integer(memory, *layout.allglen, layout.allglen_size);
    if (!allglen) {
      notes.push_back("runtime.allglen cannot be read (" + allglen.error().message +
                      "): the length of runtime.allgs is used");
    } else if (*allglen != length) {
      notes.push_back("runtime.allglen (" + std::to_string(*allglen) +
                      ") and the length of runtime.allgs (" + std::to_string(length) +
                      ") differ: the goroutine list was changing; the smaller is read");
      length = std::min(length, *allglen);
    }
  }
  if (length > kMaxGoroutines) {
    return Error{0, "the goroutine list claims " + std::to_string(length) +
                        " goroutines, more than " + std::to_string(kMaxGoroutines) +
                        ": the runtime's data looks corrupted; not read"};
  }
  if (length > 0 && array.is_null()) {
    return Error{0, "the goroutine list has " + std::to_string(length) +
                        " goroutines but no array: the runtime's data looks corrupted"};
  }
  return std::pair{array, length};
}

std::string status_name(const GoRuntimeLayout& layout, std::uint32_t code) {
  auto found = layout.status_names.find(code);
  return found != layout.status_names.end() ? found->second : std::string();
}

}  // namespace

// One g, read whole in one read, its fields taken from the copy.
namespace {

// The fields of the g at `g` from `bytes`, its copy (the layout's g_size bytes).
GoroutineInfo decode_goroutine(const AddressSpace& memory, const GoRuntimeLayout& layout,
                               RemoteAddr g, std::span<const std::byte> bytes,
                               const std::vector<std::string>& wait_reasons) {
  GoroutineInfo info;
  info.g = g;
  info.goid = integer_at(bytes, layout.goid);
  info.status_code = static_cast<std::uint32_t>(integer_at(bytes, layout.status));
  std::uint32_t status = info.status_code;
  if (layout.scan_bit != 0 && (status & layout.scan_bit) != 0) {
    info.being_scanned = true;
    status &= ~layout.scan_bit;
  }
  info.status = status_name(layout, status);
  if (info.status.empty()) {
    info.notes.push_back("status " + std::to_string(info.status_code) +
                         " is not one the runtime's debug information names");
  }
  info.wait_since = static_cast<std::int64_t>(integer_at(bytes, layout.wait_since));
  info.gopc = RemoteAddr(integer_at(bytes, layout.gopc));
  info.start_pc = RemoteAddr(integer_at(bytes, layout.start_pc));
  info.sched_pc = RemoteAddr(integer_at(bytes, layout.sched_pc));
  info.sched_sp = RemoteAddr(integer_at(bytes, layout.sched_sp));
  info.sched_bp = RemoteAddr(integer_at(bytes, layout.sched_bp));
  info.syscall_sp = RemoteAddr(integer_at(bytes, layout.syscall_sp));
  info.syscall_pc = RemoteAddr(integer_at(bytes, layout.syscall_pc));
  info.m = RemoteAddr(integer_at(bytes, layout.m));
  info.stack_hi = RemoteAddr(integer_at(bytes, layout.stack_hi));

  // As Go's own traceback: a wait reason only while waiting; 0 is "no reason".
  const std::uint64_t reason = integer_at(bytes, layout.wait_reason);
  if (info.status == "waiting" && reason != 0) {
    if (reason < wait_reasons.size() && !wait_reasons[reason].empty()) {
      info.wait_reason = wait_reasons[reason];
    } else {
      info.notes.push_back("wait reason " + std::to_string(reason) +
                           " is not in the runtime's table of names");
    }
  }

  if (!info.m.is_null()) {
    auto procid = read_integer(memory, info.m + layout.m_procid.offset, layout.m_procid.size);
    if (!procid) {
      info.notes.push_back("its M at " + hex(info.m.value()) +
                           " cannot be read: " + procid.error().message);
    } else if (*procid == 0 || *procid > 0x7fffffff) {
      // An M not yet started on its thread has procid 0.
      info.notes.push_back("its M at " + hex(info.m.value()) + " has no thread id (" +
                           std::to_string(*procid) + ")");
    } else {
      info.thread_id = static_cast<int>(*procid);
    }
  }
  return info;
}

}  // namespace

std::vector<GoroutineInfo> read_goroutines_at(const AddressSpace& memory,
                                              const GoRuntimeLayout& layout,
                                              std::span<const RemoteAddr> gs,
                                              const std::vector<std::string>& wait_reasons) {
  // Every g in one buffer, read in a batch: a few system calls for thousands.
  std::vector<std::byte> buffer(gs.size() * layout.g_size);
  std::vector<ReadRequest> requests(gs.size());
  for (std::size_t i = 0; i < gs.size(); ++i) {
    requests[i].addr = gs[i];
    requests[i].out = std::span(buffer).subspan(i * layout.g_size, layout.g_size);
  }
  memory.read_each(requests);
  std::vector<GoroutineInfo> infos;
  infos.reserve(gs.size());
  for (std::size_t i = 0; i < gs.size(); ++i) {
    if (requests[i].got != layout.g_size) {
      GoroutineInfo& info = infos.emplace_back();
      info.g = gs[i];
      info.notes.push_back("its runtime.g at " + hex(gs[i].value()) + " cannot be read (" +
                           std::to_string(requests[i].got) + " of " +
                           std::to_string(layout.g_size) + " bytes)");
      continue;
    }
    infos.push_back(decode_goroutine(memory, layout, gs[i], requests[i].out, wait_reasons));
  }
  return infos;
}

GoroutineInfo read_goroutine(const AddressSpace& memory, const GoRuntimeLayout& layout,
                             RemoteAddr g, const std::vector<std::string>& wait_reasons) {
  return std::move(read_goroutines_at(memory, layout, std::span(&g, 1), wait_reasons).front());
}

Result<GoroutineList> read_goroutines(const AddressSpace& memory, const GoRuntimeLayout& layout) {
  if (auto usable = check_go_runtime_layout(layout); !usable) return usable.error();
  GoroutineList list;
  auto allgs = read_allgs(memory, layout, list.notes);
  if (!allgs) return allgs.error();
  auto [array, length] = *allgs;
  list.wait_reasons = read_wait_reasons(memory, layout, list.notes);
  const std::vector<std::string>& wait_reasons = list.wait_reasons;
  const std::uint64_t pointer_size = layout.pointer_size;
  const GoField element{0, pointer_size};

  std::vector<std::byte> chunk;
  for (std::uint64_t first = 0; first < length; first += kPointersPerRead) {
    const std::uint64_t count = std::min(kPointersPerRead, length - first);
    chunk.resize(count * pointer_size);
    const RemoteAddr at = array + first * pointer_size;
    if (auto done = memory.read_exact(at, chunk); !done) {
      list.notes.push_back("goroutines " + std::to_string(first) + " to " +
                           std::to_string(length - 1) + " of runtime.allgs (at " + hex(at.value()) +
                           ") cannot be read: " + done.error().message);
      break;
    }
    std::vector<RemoteAddr> gs;
    gs.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
      auto slot = std::span<const std::byte>(chunk).subspan(i * pointer_size, pointer_size);
      const RemoteAddr g(integer_at(slot, element));
      if (g.is_null()) {
        list.notes.push_back("entry " + std::to_string(first + i) +
                             " of runtime.allgs is nil: skipped");
        continue;
      }
      gs.push_back(g);
    }
    for (GoroutineInfo& info : read_goroutines_at(memory, layout, gs, wait_reasons)) {
      if (info.status == "dead") {
        ++list.dead;
        continue;
      }
      list.goroutines.push_back(std::move(info));
    }
  }
  return list;
}

Result<std::vector<GoThread>> read_go_threads(const AddressSpace& memory,
                                              const GoRuntimeLayout& layout) {
  if (!layout.allm) return Error{0, "the debug information does not describe runtime.allm"};
  if (auto usable = check_go_runtime_layout(layout); !usable) return usable.error();
  auto head = read_integer(memory, *layout.allm, layout.pointer_size);
  if (!head) {
    return Error{head.error().errnum, "the list of Go's threads (runtime.allm at " +
                                          hex(layout.allm->value()) +
                                          ") cannot be read: " + head.error().message};
  }
  std::vector<GoThread> threads;
  std::vector<std::byte> bytes(layout.m_size);
  std::unordered_set<std::uint64_t> seen;
  // A cycle, an unreadable M or an absurd length ends the list: what was read stays.
  for (RemoteAddr m(*head); !m.is_null() && seen.size() < kMaxGoThreads;) {
    if (!seen.insert(m.value()).second || !memory.read_exact(m, bytes)) break;
    const std::uint64_t procid = integer_at(bytes, layout.m_procid);
    if (procid != 0 && procid <= 0x7fffffff) {
      threads.push_back(
          GoThread{m, static_cast<int>(procid), RemoteAddr(integer_at(bytes, layout.m_curg))});
    }
    m = RemoteAddr(integer_at(bytes, layout.m_alllink));
  }
  return threads;
}

}  // namespace ukstack::unwind
