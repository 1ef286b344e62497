#include "capture/bpf_engine.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "base/unique_fd.h"
#include "task_iter.skel.h"

namespace ukstack {

namespace {

// One read() of the iterator. The kernel stops adding records to a read once it
// holds this much, so one read makes at most 2 * kReadSize / sizeof(TaskRecord)
// stack copies: what the ring buffer is sized for.
constexpr std::size_t kReadSize = 16 * 1024;

// libbpf's messages, kept instead of printed (nothing below cli prints): the last
// warning explains a failed load.
std::string libbpf_last_message;
int keep_libbpf_message(libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[512];
  int n = std::vsnprintf(line, sizeof line, format, args);
  if (n > 0) libbpf_last_message.assign(line, std::strcspn(line, "\n"));
  return 0;
}

bool kernel_at_least(int major, int minor) {
  utsname host{};
  if (uname(&host) != 0) return true;  // let the load say
  int have_major = 0;
  int have_minor = 0;
  if (std::sscanf(host.release, "%d.%d", &have_major, &have_minor) != 2) return true;
  return have_major > major || (have_major == major && have_minor >= minor);
}

Error load_error(int errnum) {
  if (errnum == EPERM) {  // EACCES is the verifier's refusal
    return Error{errnum,
                 "BPF not permitted: needs root or CAP_BPF and CAP_PERFMON (and no kernel "
                 "lockdown in confidentiality mode)"};
  }
  std::string why = "BPF program did not load: " + std::string(std::strerror(errnum));
  if (!libbpf_last_message.empty()) why += " (" + libbpf_last_message + ")";
  return Error{errnum, why};
}

// A ring buffer sample: one thread's stack copy, kept by id until its record is read.
int keep_copy(void* context, void* data, std::size_t size) {
  auto& copies = *static_cast<std::unordered_map<std::uint64_t, unwind::StackCopy>*>(context);
  if (size < sizeof(bpf::StackCopyHead)) return 0;
  bpf::StackCopyHead head;
  std::memcpy(&head, data, sizeof head);
  std::size_t bytes = std::min<std::size_t>(head.bytes, size - sizeof head);
  unwind::StackCopy copy;
  copy.base = RemoteAddr(head.base);
  const auto* first = static_cast<const std::byte*>(data) + sizeof head;
  copy.bytes.resize(bytes);
  if (bytes > 0) std::memcpy(copy.bytes.data(), first, bytes);
  copies.insert_or_assign(head.copy_id, std::move(copy));
  return 0;
}

}  // namespace

struct BpfEngine::State {
  task_iter* skeleton = nullptr;
  ring_buffer* copies_ring = nullptr;
  std::unordered_map<std::uint64_t, unwind::StackCopy> copies;
  KernelNames names;        // kernel addresses named so far: the kernel's text does not move
  bool link_filter = true;  // the kernel takes a pid in the iterator's link (6.1+)
  ~State() {
    if (copies_ring != nullptr) ring_buffer__free(copies_ring);
    if (skeleton != nullptr) task_iter::destroy(skeleton);
  }
};

BpfEngine::BpfEngine(std::unique_ptr<State> state) : state_(std::move(state)) {}
BpfEngine::~BpfEngine() = default;

Result<std::unique_ptr<BpfEngine>> BpfEngine::load(std::size_t stack_copy_bytes) {
  if (!kernel_at_least(5, 18)) {
    return Error{ENOSYS, "BPF engine needs Linux 5.18 or later (sleepable task iterators)"};
  }
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    return Error{ENOENT,
                 "BPF engine needs kernel BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF)"};
  }
  libbpf_set_print(&keep_libbpf_message);
  libbpf_last_message.clear();

  auto state = std::make_unique<State>();
  state->skeleton = task_iter::open();
  if (state->skeleton == nullptr) return load_error(errno);
  std::size_t pages = (stack_copy_bytes + UKSTACK_PAGE_SIZE - 1) / UKSTACK_PAGE_SIZE;
  pages = std::clamp<std::size_t>(pages, 1, UKSTACK_MAX_COPY_PAGES);
  state->skeleton->rodata->copy_pages = static_cast<__u32>(pages);
  // Room for the copies of the records one read() can hold (the smallest record is
  // a bare TaskRecord); a copy that finds no room is taken again later.
  std::size_t per_read = 2 * kReadSize / sizeof(bpf::TaskRecord) + 2;
  std::size_t ring =
      std::bit_ceil(per_read * (sizeof(bpf::StackCopyHead) + pages * UKSTACK_PAGE_SIZE + 8));
  bpf_map__set_max_entries(state->skeleton->maps.stack_copies, static_cast<__u32>(ring));
  if (int err = task_iter::load(state->skeleton); err != 0) return load_error(-err);

  state->copies_ring = ring_buffer__new(bpf_map__fd(state->skeleton->maps.stack_copies), &keep_copy,
                                        &state->copies, nullptr);
  if (state->copies_ring == nullptr) return load_error(errno);
  return std::unique_ptr<BpfEngine>(new BpfEngine(std::move(state)));
}

// One run of the iterator in `mode` over process `pid` (`tid`: one thread): its
// output, with the stack copies it made kept in state.copies.
Result<std::string> BpfEngine::run(int pid, int tid, std::uint32_t mode) {
  task_iter* skeleton = state_->skeleton;
  skeleton->bss->target_tgid = static_cast<__u32>(pid);
  skeleton->bss->target_tid = static_cast<__u32>(tid);
  skeleton->bss->mode = mode;
  skeleton->bss->named = 0;

  // Where the kernel takes it (6.1+), the link visits only the target's threads;
  // elsewhere the program skips the others.
  bpf_link* link = nullptr;
  if (state_->link_filter) {
    bpf_iter_link_info info{};
    if (tid != 0) {
      info.task.tid = static_cast<__u32>(tid);
    } else {
      info.task.pid = static_cast<__u32>(pid);
    }
    bpf_iter_attach_opts opts{};
    opts.sz = sizeof opts;
    opts.link_info = &info;
    opts.link_info_len = sizeof info;
    link = bpf_program__attach_iter(skeleton->progs.read_task, &opts);
    if (link == nullptr) state_->link_filter = false;
  }
  if (link == nullptr) link = bpf_program__attach_iter(skeleton->progs.read_task, nullptr);
  if (link == nullptr) return load_error(errno);
  UniqueFd iter(bpf_iter_create(bpf_link__fd(link)));
  int create_errno = errno;
  bpf_link__destroy(link);
  if (!iter.valid()) return load_error(create_errno);

  std::string out;
  std::size_t size = 0;
  for (;;) {
    out.resize(size + kReadSize);
    ssize_t n = ::read(iter.get(), out.data() + size, kReadSize);
    ring_buffer__consume(state_->copies_ring);  // the copies this read made
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Error{errno, "reading the BPF task iterator: " + std::string(std::strerror(errno))};
    }
    size += static_cast<std::size_t>(n);
  }
  out.resize(size);
  return out;
}

// Names the kernel addresses of the pass not named before (in batches: a batch's
// lines must fit the iterator's output buffer), then writes the kernel stacks.
void BpfEngine::name_kernel_addresses(int pid, BpfPass& pass) {
  std::vector<std::uint64_t> unnamed;
  for (const auto& thread : pass.threads) {
    for (std::uint64_t address : thread.kernel_addresses) {
      if (!state_->names.contains(address)) {
        state_->names.emplace(address, std::string());  // marks it asked for
        unnamed.push_back(address);
      }
    }
  }
  for (std::size_t first = 0; first < unnamed.size(); first += UKSTACK_NAME_BATCH) {
    std::size_t count = std::min<std::size_t>(UKSTACK_NAME_BATCH, unnamed.size() - first);
    for (std::size_t i = 0; i < count; ++i)
      state_->skeleton->bss->names_to_find[i] = unnamed[first + i];
    state_->skeleton->bss->names_count = static_cast<__u32>(count);
    auto lines = run(pid, 0, UKSTACK_MODE_NAME);
    std::string_view text = lines ? std::string_view(*lines) : std::string_view();
    for (std::size_t i = 0; i < count && !text.empty(); ++i) {
      std::size_t end = text.find('\n');
      if (end == std::string_view::npos) break;
      state_->names[unnamed[first + i]] = std::string(text.substr(0, end));
      text.remove_prefix(end + 1);
    }
  }
  // An address whose naming failed is shown as %pB shows an unknown one.
  for (auto it = state_->names.begin(); it != state_->names.end();) {
    it = it->second.empty() ? state_->names.erase(it) : std::next(it);
  }
  write_kernel_stacks(pass, state_->names);
}

Result<BpfPass> BpfEngine::read(int pid, int tid, bool with_stacks) {
  auto out = run(pid, tid, with_stacks ? UKSTACK_MODE_READ : UKSTACK_MODE_COUNTERS);
  if (!out) return out.error();
  BpfPass pass = parse_bpf_pass(*out, state_->copies);
  reruns_ += pass.orphan_copies;
  if (with_stacks) name_kernel_addresses(pid, pass);
  return pass;
}

std::optional<std::string> BpfEngine::library_version() {
  return "libbpf " + std::to_string(LIBBPF_MAJOR_VERSION) + "." +
         std::to_string(LIBBPF_MINOR_VERSION);
}

}  // namespace ukstack
