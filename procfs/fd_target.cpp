#include "procfs/fd_target.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "procfs/text.h"

namespace ukstack::procfs {

namespace {

// "prefix[123]" -> 123
std::optional<std::uint64_t> bracketed_number(std::string_view link, std::string_view prefix) {
  if (!link.starts_with(prefix) || !link.ends_with(']')) return std::nullopt;
  return text::parse_u64(link.substr(prefix.size(), link.size() - prefix.size() - 1));
}

// include/net/tcp_states.h
std::string_view tcp_state_name(std::uint64_t code) {
  static constexpr std::array<std::string_view, 13> kNames = {
      "",      "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
      "CLOSE", "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
  return code < kNames.size() ? kNames[code] : std::string_view("UNKNOWN");
}

struct Endpoint {
  std::string text;  // "127.0.0.1:1337" or "[::1]:8080"
  std::string key;   // text, but a v4-mapped v6 address as plain v4
  std::uint16_t port = 0;
  bool loopback = false;
};

// "0100007F:0539" (v4) or 32 hex digits ":port" (v6). The kernel prints each 32-bit
// word of the address as a host-order integer, so copying the parsed words back into
// memory on the same host gives the address in network order; the port is printed as
// a plain number.
std::optional<Endpoint> parse_endpoint(std::string_view field) {
  auto colon = field.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view hex = field.substr(0, colon);
  auto port = text::parse_hex(field.substr(colon + 1));
  if (!port || *port > 0xffff || (hex.size() != 8 && hex.size() != 32)) return std::nullopt;

  std::array<unsigned char, 16> bytes{};
  for (std::size_t word = 0; word < hex.size() / 8; ++word) {
    auto value = text::parse_hex(hex.substr(word * 8, 8));
    if (!value) return std::nullopt;
    auto host_word = static_cast<std::uint32_t>(*value);
    std::memcpy(bytes.data() + word * 4, &host_word, 4);
  }
  char buffer[INET6_ADDRSTRLEN] = {};
  bool v6 = hex.size() == 32;
  if (::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buffer, sizeof buffer) == nullptr) {
    return std::nullopt;
  }
  Endpoint endpoint;
  endpoint.port = static_cast<std::uint16_t>(*port);
  const std::string port_text = ":" + std::to_string(endpoint.port);
  // v4-mapped v6 addresses come out as "::ffff:127.0.0.1", as ss shows them.
  if (v6) endpoint.text.append("[");
  endpoint.text.append(buffer);
  if (v6) endpoint.text.append("]");
  endpoint.text.append(port_text);

  static constexpr std::array<unsigned char, 12> kV4MappedPrefix = {0, 0, 0, 0, 0,    0,
                                                                    0, 0, 0, 0, 0xff, 0xff};
  static constexpr std::array<unsigned char, 16> kV6Loopback = {0, 0, 0, 0, 0, 0, 0, 0,
                                                                0, 0, 0, 0, 0, 0, 0, 1};
  const bool mapped =
      v6 && std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), bytes.begin());
  if (mapped) {
    char v4[INET_ADDRSTRLEN] = {};
    if (::inet_ntop(AF_INET, bytes.data() + 12, v4, sizeof v4) == nullptr) return std::nullopt;
    endpoint.key = std::string(v4) + port_text;
  } else {
    endpoint.key = endpoint.text;
  }
  const unsigned char first_v4_byte = mapped ? bytes[12] : bytes[0];
  endpoint.loopback = (!v6 || mapped) ? first_v4_byte == 127 : bytes == kV6Loopback;
  return endpoint;
}

Error bad_net_line(std::string_view protocol, std::size_t number, std::string_view line) {
  return Error{0, "net/" + std::string(protocol) + " line " + std::to_string(number) +
                      " is malformed: " + text::quote(line)};
}

// sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
Status parse_inet_table(std::string_view protocol, std::string_view table_text,
                        SocketTable& table) {
  const bool tcp = protocol.starts_with("tcp");
  std::size_t number = 0;
  for (std::string_view line : text::lines(table_text)) {
    ++number;
    auto fields = text::words(line);
    if (fields.empty() || fields[0] == "sl") continue;
    if (fields.size() < 10 || !fields[0].ends_with(':')) {
      return bad_net_line(protocol, number, line);
    }
    auto local = parse_endpoint(fields[1]);
    auto remote = parse_endpoint(fields[2]);
    auto state = text::parse_hex(fields[3]);
    auto inode = text::parse_u64(fields[9]);
    if (!local || !remote || !state || !inode) return bad_net_line(protocol, number, line);
    if (*inode == 0) continue;  // e.g. TIME_WAIT: no socket owns it any more

    // Built with append: GCC 12 at -O2 warns falsely (-Wrestrict) on "x" + std::string.
    std::string description(protocol);
    description.append(" ").append(local->text);
    if (remote->port != 0) description.append(" → ").append(remote->text);
    // A UDP "state" (CLOSE / ESTABLISHED) says nothing a user needs.
    if (tcp) description.append(" ").append(tcp_state_name(*state));
    SocketInfo info;
    info.description = std::move(description);
    info.local = local->key;
    info.remote = remote->key;
    info.loopback = remote->loopback;
    table[*inode] = std::move(info);
  }
  return {};
}

// Num RefCount Protocol Flags Type St Inode [Path]
Status parse_unix_table(std::string_view table_text, SocketTable& table) {
  std::size_t number = 0;
  for (std::string_view line : text::lines(table_text)) {
    ++number;
    auto fields = text::words(line);
    if (fields.empty() || fields[0] == "Num") continue;
    if (fields.size() < 7 || !fields[0].ends_with(':')) {
      return bad_net_line("unix", number, line);
    }
    auto inode = text::parse_u64(fields[6]);
    if (!inode) return bad_net_line("unix", number, line);
    if (*inode == 0) continue;
    // The path is the rest of the line after the inode (it may hold spaces);
    // abstract names already start with '@' there.
    std::string_view path;
    auto after_inode = static_cast<std::size_t>(fields[6].data() + fields[6].size() - line.data());
    if (after_inode < line.size()) path = line.substr(after_inode + 1);
    if (path.ends_with('\r')) path.remove_suffix(1);
    SocketInfo info;
    info.description = path.empty() ? std::string("unix (unnamed)") : "unix " + std::string(path);
    table[*inode] = std::move(info);
  }
  return {};
}

}  // namespace

FdLink classify_fd_link(std::string_view link) {
  FdLink out;
  out.target = std::string(link);
  if (auto inode = bracketed_number(link, "socket:[")) {
    out.kind = FdLink::Kind::Socket;
    out.inode = *inode;
  } else if (auto pipe_inode = bracketed_number(link, "pipe:[")) {
    out.kind = FdLink::Kind::Pipe;
    out.inode = *pipe_inode;
  } else if (link.starts_with("anon_inode:")) {
    // "anon_inode:[eventfd]", but also "anon_inode:inotify" without brackets.
    std::string_view type = link.substr(std::strlen("anon_inode:"));
    if (type.starts_with('[') && type.ends_with(']') && type.size() >= 2) {
      type = type.substr(1, type.size() - 2);
    }
    out.kind = FdLink::Kind::AnonInode;
    out.anon_type = std::string(type);
  } else if (link.starts_with('/')) {
    out.kind = FdLink::Kind::File;
  }
  return out;
}

Status parse_net_table(std::string_view protocol, std::string_view table_text, SocketTable& table) {
  if (protocol == "unix") return parse_unix_table(table_text, table);
  if (protocol == "tcp" || protocol == "tcp6" || protocol == "udp" || protocol == "udp6") {
    return parse_inet_table(protocol, table_text, table);
  }
  return Error{0, "unknown socket table: net/" + std::string(protocol)};
}

std::string describe_fd(const FdLink& link, const SocketTable* sockets) {
  switch (link.kind) {
    case FdLink::Kind::Socket:
      if (sockets != nullptr) {
        if (auto it = sockets->find(link.inode); it != sockets->end()) {
          return it->second.description;
        }
      }
      return link.target;
    case FdLink::Kind::AnonInode:
      if (link.anon_type == "eventpoll") return "epoll";
      return link.anon_type.empty() ? link.target : link.anon_type;
    case FdLink::Kind::Pipe:  // "pipe:[123]": the inode tells which end pairs with which
    case FdLink::Kind::File:
    case FdLink::Kind::Other:
      break;
  }
  return link.target;
}

}  // namespace ukstack::procfs
