#include "model/snapshot.h"

#include <array>
#include <utility>

namespace ukstack {

namespace {

constexpr std::array<std::pair<SnapshotSource, std::string_view>, 2> kSources{{
    {SnapshotSource::Live, "live"},
    {SnapshotSource::Core, "core"},
}};

constexpr std::array<std::pair<StackMethod, std::string_view>, 6> kMethods{{
    {StackMethod::None, "none"},
    {StackMethod::Procfs, "procfs"},
    {StackMethod::Bpf, "bpf"},
    {StackMethod::Nostop, "nostop"},
    {StackMethod::Libdw, "libdw"},
    {StackMethod::Libunwind, "libunwind"},
}};

constexpr std::array<std::pair<FrameLanguage, std::string_view>, 3> kLanguages{{
    {FrameLanguage::Native, "native"},
    {FrameLanguage::Python, "python"},
    {FrameLanguage::Jit, "jit"},
}};

constexpr std::array<std::pair<WaitKind, std::string_view>, 8> kWaitKinds{{
    {WaitKind::Mutex, "mutex"},
    {WaitKind::Rwlock, "rwlock"},
    {WaitKind::Pipe, "pipe"},
    {WaitKind::Fifo, "fifo"},
    {WaitKind::Socket, "socket"},
    {WaitKind::Child, "child"},
    {WaitKind::FileLock, "file_lock"},
    {WaitKind::Gil, "gil"},
}};

constexpr std::array<std::pair<Progress, std::string_view>, 3> kProgress{{
    {Progress::Stuck, "stuck"},
    {Progress::Waking, "waking"},
    {Progress::Moving, "moving"},
}};

constexpr std::array<std::pair<GoroutineRead, std::string_view>, 3> kGoroutineReads{{
    {GoroutineRead::Stopped, "stopped"},
    {GoroutineRead::CheckedNoStop, "no-stop-checked"},
    {GoroutineRead::Core, "core"},
}};

template <class Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& table,
                         Enum value) {
  for (const auto& [entry, name] : table) {
    if (entry == value) return name;
  }
  return "?";
}

template <class Enum, std::size_t N>
std::optional<Enum> value_of(const std::array<std::pair<Enum, std::string_view>, N>& table,
                             std::string_view text) {
  for (const auto& [entry, name] : table) {
    if (name == text) return entry;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(SnapshotSource source) { return name_of(kSources, source); }
std::string_view to_string(StackMethod method) { return name_of(kMethods, method); }
std::optional<SnapshotSource> parse_snapshot_source(std::string_view text) {
  return value_of(kSources, text);
}
std::optional<StackMethod> parse_stack_method(std::string_view text) {
  return value_of(kMethods, text);
}

std::string_view to_string(FrameLanguage language) { return name_of(kLanguages, language); }
std::optional<FrameLanguage> parse_frame_language(std::string_view text) {
  return value_of(kLanguages, text);
}

std::string_view to_string(WaitKind kind) { return name_of(kWaitKinds, kind); }
std::optional<WaitKind> parse_wait_kind(std::string_view text) {
  return value_of(kWaitKinds, text);
}
std::string_view to_string(Progress progress) { return name_of(kProgress, progress); }
std::optional<Progress> parse_progress(std::string_view text) { return value_of(kProgress, text); }
std::string_view to_string(GoroutineRead read) { return name_of(kGoroutineReads, read); }
std::optional<GoroutineRead> parse_goroutine_read(std::string_view text) {
  return value_of(kGoroutineReads, text);
}

}  // namespace ukstack
