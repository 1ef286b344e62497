#include "procfs/process_reader.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "procfs/text.h"

namespace ukstack::procfs {

namespace {

// A parse error names the file it came from: "/proc/42/task/42/stat: ...".
template <class T>
Result<T> in_file(Result<T> parsed, const std::string& path) {
  if (parsed.ok()) return parsed;
  return Error{parsed.error().errnum, "/proc/" + path + ": " + parsed.error().message};
}

// Reads `path` and hands its text to `parse`.
template <class Parse>
auto read_parsed(const ProcSource& source, const std::string& path, Parse parse)
    -> decltype(parse(std::string_view())) {
  auto content = source.read_file(path);
  if (!content) return content.error();
  return in_file(parse(std::string_view(*content)), path);
}

}  // namespace

ProcessReader::ProcessReader(const ProcSource& source, int pid) : source_(source), pid_(pid) {}

std::string ProcessReader::task_path(int tid, const char* file) const {
  return std::to_string(pid_) + "/task/" + std::to_string(tid) + "/" + file;
}

Result<std::vector<int>> ProcessReader::tasks() const {
  auto names = source_.list_dir(std::to_string(pid_) + "/task");
  if (!names) return names.error();
  std::vector<int> tids;
  for (const auto& name : *names) {
    auto tid = text::parse_u64(name);
    if (tid && *tid <= 0x7fffffff) tids.push_back(static_cast<int>(*tid));
  }
  std::sort(tids.begin(), tids.end());
  return tids;
}

Result<TaskStat> ProcessReader::stat(int tid) const {
  return read_parsed(source_, task_path(tid, "stat"), parse_stat);
}

Result<TaskStatus> ProcessReader::status(int tid) const {
  return read_parsed(source_, task_path(tid, "status"), parse_status);
}

Result<SchedStat> ProcessReader::schedstat(int tid) const {
  return read_parsed(source_, task_path(tid, "schedstat"), parse_schedstat);
}

Result<std::vector<KernelFrame>> ProcessReader::kernel_stack(int tid) const {
  return read_parsed(source_, task_path(tid, "stack"), parse_kernel_stack);
}

Result<std::string> ProcessReader::kernel_stack_text(int tid) const {
  return source_.read_file(task_path(tid, "stack"));
}

Result<SyscallState> ProcessReader::syscall(int tid) const {
  return read_parsed(source_, task_path(tid, "syscall"), parse_syscall);
}

Result<std::string> ProcessReader::wchan(int tid) const {
  auto content = source_.read_file(task_path(tid, "wchan"));
  if (!content) return content.error();
  return parse_wchan(*content);
}

Result<std::vector<Mapping>> ProcessReader::maps() const {
  return read_parsed(source_, std::to_string(pid_) + "/maps", parse_maps);
}

Result<std::string> ProcessReader::exe() const {
  return source_.read_link(std::to_string(pid_) + "/exe");
}

Result<std::vector<std::string>> ProcessReader::cmdline() const {
  auto content = source_.read_file(std::to_string(pid_) + "/cmdline");
  if (!content) return content.error();
  std::vector<std::string> argv;
  std::string_view rest = *content;
  while (!rest.empty()) {
    auto nul = rest.find('\0');
    argv.emplace_back(rest.substr(0, nul));
    if (nul == std::string_view::npos) break;  // no final NUL (argv rewritten by the target)
    rest.remove_prefix(nul + 1);
  }
  return argv;
}

Result<FdLink> ProcessReader::fd(int fd) const {
  auto link = source_.read_link(std::to_string(pid_) + "/fd/" + std::to_string(fd));
  if (!link) return link.error();
  return classify_fd_link(*link);
}

// A missing table (no IPv6) or a bad line only costs descriptions: sockets not found
// are shown by their link text.
bool ProcessReader::read_next_socket_table() const {
  static constexpr std::array<const char*, 5> kTables = {"unix", "tcp", "tcp6", "udp", "udp6"};
  if (socket_tables_read_ == kTables.size()) return false;
  const char* protocol = kTables[socket_tables_read_++];
  auto content = source_.read_file(std::to_string(pid_) + "/net/" + protocol);
  if (content) (void)parse_net_table(protocol, *content, sockets_);
  return true;
}

const SocketTable& ProcessReader::sockets() const {
  while (read_next_socket_table()) {
  }
  return sockets_;
}

const SocketInfo* ProcessReader::socket(std::uint64_t inode) const {
  for (;;) {
    if (auto it = sockets_.find(inode); it != sockets_.end()) return &it->second;
    if (!read_next_socket_table()) return nullptr;
  }
}

std::string ProcessReader::describe_fd(int fd_number) const {
  auto link = fd(fd_number);
  if (!link) {
    const int err = link.error().errnum;
    return "fd " + std::to_string(fd_number) +
           (err == ENOENT ? " (closed)" : " (" + std::string(std::strerror(err)) + ")");
  }
  if (link->kind == FdLink::Kind::Socket) (void)socket(link->inode);  // its table read
  const SocketTable* table = link->kind == FdLink::Kind::Socket ? &sockets_ : nullptr;
  return procfs::describe_fd(*link, table);
}

}  // namespace ukstack::procfs
