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

constexpr std::size_t kReadSize = 16 * 1024;  // one read() of the iterator: bounds the copies per read

// libbpf's messages, kept instead of printed (nothing below cli prints): the last
// warning explains a failed load.
thread_local std::string libbpf_last_message;
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
  if (errnum == EPERM || errnum == EACCES) {
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
  copy.bytes.assign(first, first + bytes);
  copies.insert_or_assign(head.copy_id, std::move(copy));
  return 0;
}

}  // namespace

struct BpfEngine::State {
  task_iter* skeleton = nullptr;
  ring_buffer* copies_ring = nullptr;
  std::unordered_map<std::uint64_t, unwind::StackCopy> copies;
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
    return Error{ENOENT, "BPF engine needs kernel BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF)"};
  }
  libbpf_set_print(&keep_libbpf_message);
  libbpf_last_message.clear();

  auto state = std::make_unique<State>();
  state->skeleton = task_iter::open();
  if (state->skeleton == nullptr) return load_error(errno);
  std::size_t pages = (stack_copy_bytes + UKSTACK_PAGE_SIZE - 1) / UKSTACK_PAGE_SIZE;
  pages = std::clamp<std::size_t>(pages, 1, UKSTACK_MAX_COPY_PAGES);
  state->skeleton->rodata->copy_pages = static_cast<__u32>(pages);
  // Room for the copies of the records one read() can hold: the smallest record
  // is a TaskRecord and its NUL.
  std::size_t per_read = kReadSize / (sizeof(bpf::TaskRecord) + 1) + 2;
  std::size_t ring = std::bit_ceil(per_read * (sizeof(bpf::StackCopyHead) + pages * UKSTACK_PAGE_SIZE + 8));
  bpf_map__set_max_entries(state->skeleton->maps.stack_copies, static_cast<__u32>(ring));
  if (int err = task_iter::load(state->skeleton); err != 0) return load_error(-err);

  state->copies_ring = ring_buffer__new(bpf_map__fd(state->skeleton->maps.stack_copies),
                                        &keep_copy, &state->copies, nullptr);
  if (state->copies_ring == nullptr) return load_error(errno);
  return std::unique_ptr<BpfEngine>(new BpfEngine(std::move(state)));
}

Result<BpfPass> BpfEngine::read(int pid, int tid, bool with_stacks) {
  task_iter* skeleton = state_->skeleton;
  skeleton->bss->target_tgid = static_cast<__u32>(pid);
  skeleton->bss->target_tid = static_cast<__u32>(tid);
  skeleton->data->copy_stacks = with_stacks ? 1 : 0;

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
  std::vector<char> chunk(kReadSize);
  for (;;) {
    ssize_t n = ::read(iter.get(), chunk.data(), chunk.size());
    ring_buffer__consume(state_->copies_ring);  // the copies this read made
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Error{errno, "reading the BPF task iterator: " + std::string(std::strerror(errno))};
    }
    out.append(chunk.data(), static_cast<std::size_t>(n));
  }
  BpfPass pass = parse_bpf_pass(out, state_->copies);
  reruns_ += pass.orphan_copies;
  return pass;
}

}  // namespace ukstack
