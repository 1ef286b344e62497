#include "tests/unwind/go_pclntab_builder.h"

#include <cstddef>
#include <map>

namespace ukstack::testing {
namespace {

using unwind::GoPclntabVersion;

class Writer {
 public:
  explicit Writer(bool big_endian) : big_endian_(big_endian) {}

  std::size_t size() const { return bytes_.size(); }
  std::vector<std::uint8_t>& bytes() { return bytes_; }

  void put(std::uint64_t value, std::size_t size) {  // size <= 8
    bytes_.resize(bytes_.size() + size);
    patch(bytes_.size() - size, value, size);
  }
  void put_zeros(std::size_t count) { bytes_.resize(bytes_.size() + count); }
  void patch(std::size_t at, std::uint64_t value, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) {
      const std::size_t byte = big_endian_ ? size - 1 - i : i;
      bytes_[at + byte] = static_cast<std::uint8_t>(value >> (8 * i));
    }
  }
  void put_string(const std::string& text) {
    bytes_.insert(bytes_.end(), text.begin(), text.end());
    bytes_.push_back(0);
  }
  void put_varint(std::uint32_t value) {
    while (value >= 0x80) {
      bytes_.push_back(static_cast<std::uint8_t>(value | 0x80));
      value >>= 7;
    }
    bytes_.push_back(static_cast<std::uint8_t>(value));
  }
  void align(std::size_t alignment) {
    while (bytes_.size() % alignment != 0) bytes_.push_back(0);
  }

 private:
  bool big_endian_;
  std::vector<std::uint8_t> bytes_;
};

// A pc-value table: each run holds its value for `length` bytes of code. The value
// starts at -1; each run stores its change (zig-zag) and its length / quantum; a
// zero byte ends the table. Consecutive runs must differ in value.
void put_pc_values(Writer& out, const std::vector<std::pair<std::uint64_t, std::int32_t>>& runs,
                   unsigned quantum) {
  std::int32_t previous = -1;
  for (const auto& [length, value] : runs) {
    if (length == 0) continue;
    const std::int32_t delta = value - previous;
    out.put_varint(delta < 0 ? (static_cast<std::uint32_t>(-delta - 1) << 1) | 1
                             : static_cast<std::uint32_t>(delta) << 1);
    out.put_varint(static_cast<std::uint32_t>(length / quantum));
    previous = value;
  }
  out.put(0, 1);
}

struct PcTables {
  std::uint32_t file = 0, line = 0, inline_index = 0;
};

}  // namespace

std::vector<std::uint8_t> build_go_pclntab(const GoPclntabLayout& layout,
                                           const std::vector<BuiltGoFunction>& functions) {
  const bool go12 = layout.version == GoPclntabVersion::Go12;
  const bool relative = layout.version >= GoPclntabVersion::Go118;
  const std::size_t pointer = layout.pointer_size;
  const std::size_t field = relative ? 4 : pointer;
  const std::uint32_t magic = layout.version == GoPclntabVersion::Go12    ? 0xfffffffb
                              : layout.version == GoPclntabVersion::Go116 ? 0xfffffffa
                              : layout.version == GoPclntabVersion::Go118 ? 0xfffffff0
                                                                          : 0xfffffff1;
  const auto entry_value = [&](std::uint64_t address) {
    return relative ? address - layout.text_start : address;
  };

  std::map<std::string, std::size_t> file_index;  // in order of first use
  std::vector<std::string> files;
  for (const auto& function : functions) {
    if (file_index.emplace(function.file, files.size()).second) files.push_back(function.file);
  }

  Writer out(layout.big_endian);
  out.put(magic, 4);
  out.put(0, 2);
  out.put(layout.quantum, 1);
  out.put(pointer, 1);
  const std::size_t header_words = go12 ? 1 : layout.version == GoPclntabVersion::Go116 ? 7 : 8;
  const std::size_t header = out.size();
  for (std::size_t i = 0; i < header_words; ++i) out.put(0, pointer);
  const auto set_header = [&](std::size_t word, std::uint64_t value) {
    out.patch(header + word * pointer, value, pointer);
  };
  set_header(0, functions.size());

  // Go 1.2: functab right after the header, then the file table's offset; every
  // other offset is from the table's start.
  std::size_t functab = 0;
  if (go12) {
    functab = out.size();
    out.put_zeros((2 * functions.size() + 1) * field + 4);
  }

  // Names (1.16+: their own region).
  const std::size_t names = go12 ? 0 : out.size();
  std::vector<std::uint32_t> name_offsets;
  for (const auto& function : functions) {
    name_offsets.push_back(static_cast<std::uint32_t>(out.size() - names));
    out.put_string(function.name);
  }

  // Files: 1.16+ a CU table of offsets into the file names (one CU for all); Go 1.2
  // a count (counting itself) then table offsets, index 0 unused.
  std::size_t cus = 0, file_names = 0;
  if (go12) {
    out.align(4);
    const std::size_t table = out.size();
    out.patch(functab + (2 * functions.size() + 1) * field, table, 4);
    out.put(files.size() + 1, 4);
    out.put_zeros(4 * files.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
      out.patch(table + 4 * (i + 1), out.size(), 4);
      out.put_string(files[i]);
    }
  } else {
    cus = out.size();
    out.put_zeros(4 * files.size());
    file_names = out.size();
    for (std::size_t i = 0; i < files.size(); ++i) {
      out.patch(cus + 4 * i, out.size() - file_names, 4);
      out.put_string(files[i]);
    }
  }

  // pc-value tables; offset 0 means "none", so the region opens with a zero byte.
  const std::size_t pc_tables = go12 ? 0 : out.size();
  out.put(0, 1);
  std::vector<PcTables> tables;
  for (const auto& function : functions) {
    PcTables offsets;
    offsets.file = static_cast<std::uint32_t>(out.size() - pc_tables);
    const std::int32_t file = static_cast<std::int32_t>(file_index[function.file] + (go12 ? 1 : 0));
    put_pc_values(out, {{function.size, file}}, layout.quantum);
    offsets.line = static_cast<std::uint32_t>(out.size() - pc_tables);
    std::vector<std::pair<std::uint64_t, std::int32_t>> lines;
    for (std::size_t i = 0; i < function.lines.size(); ++i) {
      const std::uint64_t end =
          i + 1 < function.lines.size() ? function.lines[i + 1].first : function.size;
      lines.emplace_back(end - function.lines[i].first, function.lines[i].second);
    }
    put_pc_values(out, lines, layout.quantum);
    if (function.inlined.second > function.inlined.first) {
      offsets.inline_index = static_cast<std::uint32_t>(out.size() - pc_tables);
      put_pc_values(out,
                    {{function.inlined.first, -1},
                     {function.inlined.second - function.inlined.first, 0},
                     {function.size - function.inlined.second, -1}},
                    layout.quantum);
    }
    tables.push_back(offsets);
  }

  // 1.16+: functab opens the records' region; record offsets are from its start.
  out.align(pointer);
  const std::size_t records = go12 ? 0 : out.size();
  if (!go12) {
    functab = out.size();
    out.put_zeros((2 * functions.size() + 1) * field);
  }
  for (std::size_t i = 0; i < functions.size(); ++i) {
    const auto& function = functions[i];
    out.align(pointer);
    out.patch(functab + 2 * i * field, entry_value(function.entry), field);
    out.patch(functab + (2 * i + 1) * field, out.size() - records, field);
    out.put(entry_value(function.entry), relative ? 4 : pointer);
    out.put(name_offsets[i], 4);
    out.put(0, 4);  // args
    out.put(0, 4);  // deferreturn
    out.put(0, 4);  // pcsp
    out.put(tables[i].file, 4);
    out.put(tables[i].line, 4);
    out.put(3, 4);             // npcdata: unsafe point, stack map, inline tree
    if (!go12) out.put(0, 4);  // cuOffset: the one CU
    if (layout.version == GoPclntabVersion::Go120) out.put(function.lines.front().second, 4);
    out.put(0, 4);  // funcID, flag, padding, nfuncdata
    out.put(0, 4);
    out.put(0, 4);
    out.put(tables[i].inline_index, 4);
  }
  const auto& last = functions.back();
  out.patch(functab + 2 * functions.size() * field, entry_value(last.entry + last.size), field);

  switch (layout.version) {
    case GoPclntabVersion::Go12:
      break;
    case GoPclntabVersion::Go116:
      set_header(1, files.size());
      set_header(2, names);
      set_header(3, cus);
      set_header(4, file_names);
      set_header(5, pc_tables);
      set_header(6, records);
      break;
    case GoPclntabVersion::Go118:
    case GoPclntabVersion::Go120:
      set_header(1, files.size());
      set_header(2, layout.header_text_start ? layout.text_start : 0);
      set_header(3, names);
      set_header(4, cus);
      set_header(5, file_names);
      set_header(6, pc_tables);
      set_header(7, records);
      break;
  }
  return std::move(out.bytes());
}

std::vector<BuiltGoFunction> sample_go_functions(std::uint64_t text_start) {
  return {
      {"runtime.futex",
       text_start,
       0x40,
       "/go/src/runtime/sys_linux_amd64.s",
       {{0, 557}, {0x20, 560}}},
      {"main.(*server).accept",
       text_start + 0x40,
       0x100,
       "/src/server/main.go",
       {{0, 12}, {0x10, 14}, {0x80, 40}, {0xa0, 15}},
       {0x80, 0xa0}},
      // A gap of 0x40 after it: Go pads between functions; the pad is the previous
      // function's as far as the table says.
      {"net.(*TCPListener).Accept", text_start + 0x180, 0x20, "/go/src/net/tcpsock.go", {{0, 320}}},
  };
}

}  // namespace ukstack::testing
