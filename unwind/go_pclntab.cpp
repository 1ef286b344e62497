#include "unwind/go_pclntab.h"

#include <cstring>

namespace ukstack::unwind {

namespace {

constexpr std::uint32_t kMagicGo12 = 0xfffffffb;
constexpr std::uint32_t kMagicGo116 = 0xfffffffa;
constexpr std::uint32_t kMagicGo118 = 0xfffffff0;
constexpr std::uint32_t kMagicGo120 = 0xfffffff1;
constexpr std::uint32_t kNoOffset = 0xffffffff;  // a CU or file the linker left out
// pcdata[2] of a function: at each pc, the index in its inline tree of the call the pc
// was inlined by, -1 outside inlined code (Go 1.9 and later; the same index since).
constexpr std::size_t kInlineTreeIndex = 2;

std::optional<GoPclntabVersion> version_of(std::uint32_t magic) {
  switch (magic) {
    case kMagicGo12:
      return GoPclntabVersion::Go12;
    case kMagicGo116:
      return GoPclntabVersion::Go116;
    case kMagicGo118:
      return GoPclntabVersion::Go118;
    case kMagicGo120:
      return GoPclntabVersion::Go120;
    default:
      return std::nullopt;
  }
}

std::uint64_t decode(const std::uint8_t* bytes, std::size_t size, bool big_endian) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < size; ++i) {
    const std::size_t at = big_endian ? i : size - 1 - i;
    value = value << 8 | bytes[at];
  }
  return value;
}

}  // namespace

std::optional<std::size_t> GoPclntab::offset(std::size_t base, std::uint64_t delta) const {
  if (base >= bytes_.size() || delta >= bytes_.size() - base) return std::nullopt;
  return base + static_cast<std::size_t>(delta);
}

std::optional<std::uint64_t> GoPclntab::word(std::size_t position, std::size_t size) const {
  if (position > bytes_.size() || size > bytes_.size() - position) return std::nullopt;
  return decode(bytes_.data() + position, size, big_endian_);
}

std::optional<std::string_view> GoPclntab::string_at(std::size_t position) const {
  if (position >= bytes_.size()) return std::nullopt;
  const auto* start = reinterpret_cast<const char*>(bytes_.data() + position);
  const void* nul = std::memchr(start, 0, bytes_.size() - position);
  if (nul == nullptr || nul == start) return std::nullopt;  // unterminated, or empty
  return std::string_view(start, static_cast<const char*>(nul) - start);
}

std::optional<GoPclntab> GoPclntab::parse(std::span<const std::uint8_t> bytes,
                                          std::uint64_t text_address) {
  // magic, two zero bytes, pc quantum, pointer size: the same in every version.
  if (bytes.size() < 8 || bytes[4] != 0 || bytes[5] != 0) return std::nullopt;
  GoPclntab table;
  table.bytes_ = bytes;
  table.quantum_ = bytes[6];
  table.pointer_size_ = bytes[7];
  if (table.quantum_ != 1 && table.quantum_ != 2 && table.quantum_ != 4) return std::nullopt;
  if (table.pointer_size_ != 4 && table.pointer_size_ != 8) return std::nullopt;
  std::optional<GoPclntabVersion> version =
      version_of(static_cast<std::uint32_t>(decode(bytes.data(), 4, false)));
  if (!version) {
    table.big_endian_ = true;
    version = version_of(static_cast<std::uint32_t>(decode(bytes.data(), 4, true)));
  }
  if (!version) return std::nullopt;
  table.version_ = *version;

  // The header's pointer-sized words after the first 8 bytes.
  std::array<std::uint64_t, 8> header{};
  const std::size_t words = table.version_ == GoPclntabVersion::Go12    ? 1
                            : table.version_ == GoPclntabVersion::Go116 ? 7
                                                                        : 8;
  for (std::size_t i = 0; i < words; ++i) {
    auto value = table.word(8 + i * table.pointer_size_, table.pointer_size_);
    if (!value) return std::nullopt;
    header[i] = *value;
  }
  const std::uint64_t function_count = header[0];
  // Region offsets as the header gives them, checked below.
  std::array<std::uint64_t, 5> regions{};  // names, CUs, files, pc tables, records
  switch (table.version_) {
    case GoPclntabVersion::Go12:
      // One region for everything: names, records and pc tables are relative to the
      // table's start; functab follows the header, the file table's offset follows it.
      table.functab_ = 8 + table.pointer_size_;
      break;
    case GoPclntabVersion::Go116:
      regions = {header[2], header[3], header[4], header[5], header[6]};
      break;
    case GoPclntabVersion::Go118:
    case GoPclntabVersion::Go120:
      // A PIE's textStart is relocated at run time; the file holds the link-time
      // value, or 0 when the linker left it to the relocation alone.
      table.text_start_ = header[2] != 0 ? header[2] : text_address;
      regions = {header[3], header[4], header[5], header[6], header[7]};
      break;
  }
  if (table.version_ != GoPclntabVersion::Go12) {
    for (std::uint64_t region : regions) {
      if (region >= bytes.size()) return std::nullopt;
    }
    table.names_ = static_cast<std::size_t>(regions[0]);
    table.cus_ = static_cast<std::size_t>(regions[1]);
    table.files_ = static_cast<std::size_t>(regions[2]);
    table.pc_tables_ = static_cast<std::size_t>(regions[3]);
    table.records_ = static_cast<std::size_t>(regions[4]);
    table.functab_ = table.records_;  // functab opens the records' region
  }

  // functab: (entry, record) per function and the end of the last one.
  const std::size_t field = table.functab_field_size();
  if (function_count == 0 || table.functab_ > bytes.size() ||
      function_count >= (bytes.size() - table.functab_) / (2 * field)) {
    return std::nullopt;
  }
  table.function_count_ = static_cast<std::size_t>(function_count);

  if (table.version_ == GoPclntabVersion::Go12) {
    // The file table: its entry count (counting itself), then one offset per file.
    const std::size_t functab_end = table.functab_ + (2 * table.function_count_ + 1) * field;
    auto files = table.word(functab_end, 4);
    if (!files || *files >= bytes.size()) return std::nullopt;
    auto file_count = table.word(static_cast<std::size_t>(*files), 4);
    if (!file_count || *file_count > (bytes.size() - *files) / 4) return std::nullopt;
    table.files_ = static_cast<std::size_t>(*files);
    table.file_count_ = static_cast<std::size_t>(*file_count);
  }
  return table;
}

std::size_t GoPclntab::functab_field_size() const {
  return version_ >= GoPclntabVersion::Go118 ? 4 : pointer_size_;
}

std::optional<std::uint64_t> GoPclntab::functab_entry(std::size_t index) const {
  // index <= function_count_, and parse checked that functab holds that many.
  auto value = word(functab_ + 2 * index * functab_field_size(), functab_field_size());
  if (!value) return std::nullopt;
  return version_ >= GoPclntabVersion::Go118 ? *value + text_start_ : *value;
}

std::optional<std::uint32_t> GoPclntab::record_field(std::size_t record, std::size_t n) const {
  // Before Go 1.18 the record opens with a pointer-sized entry, since then a 32-bit offset.
  const std::size_t entry_size = version_ >= GoPclntabVersion::Go118 ? 4 : pointer_size_;
  auto position = offset(record, entry_size + (n - 1) * 4);
  if (!position) return std::nullopt;
  auto value = word(*position, 4);
  if (!value) return std::nullopt;
  return static_cast<std::uint32_t>(*value);
}

std::optional<GoFunction> GoPclntab::function(std::size_t index) const {
  if (index >= function_count_) return std::nullopt;
  const std::size_t field = functab_field_size();
  auto entry = functab_entry(index);
  auto end = functab_entry(index + 1);
  auto record_offset = word(functab_ + (2 * index + 1) * field, field);
  if (!entry || !end || !record_offset || *entry >= *end) return std::nullopt;
  auto record = offset(records_, *record_offset);
  if (!record) return std::nullopt;

  // The record repeats the entry: when it does not agree, the index points elsewhere.
  const std::size_t entry_size = version_ >= GoPclntabVersion::Go118 ? 4 : pointer_size_;
  auto record_entry = word(*record, entry_size);
  if (!record_entry) return std::nullopt;
  if ((version_ >= GoPclntabVersion::Go118 ? *record_entry + text_start_ : *record_entry) !=
      *entry) {
    return std::nullopt;
  }

  auto name_offset = record_field(*record, 1);
  if (!name_offset) return std::nullopt;
  auto name_position = offset(names_, *name_offset);
  if (!name_position) return std::nullopt;
  auto name = string_at(*name_position);
  if (!name) return std::nullopt;
  return GoFunction{*name, *entry, *end, *record};
}

std::optional<GoFunction> GoPclntab::function_at(std::uint64_t pc) const {
  auto first = functab_entry(0);
  auto last = functab_entry(function_count_);
  if (!first || !last || pc < *first || pc >= *last) return std::nullopt;
  // The last function whose entry is at or below pc.
  std::size_t low = 0, high = function_count_;  // entry(low) <= pc < entry(high)
  while (high - low > 1) {
    const std::size_t middle = low + (high - low) / 2;
    auto entry = functab_entry(middle);
    if (!entry) return std::nullopt;
    (*entry <= pc ? low : high) = middle;
  }
  auto function = this->function(low);
  // An unsorted (corrupted) functab can lead the search astray: check where it ended.
  if (!function || pc < function->entry || pc >= function->end) return std::nullopt;
  return function;
}

std::optional<std::int32_t> GoPclntab::pc_value(std::uint32_t table, std::uint64_t entry,
                                                std::uint64_t pc) const {
  if (table == 0) return std::nullopt;  // offset 0: the function has no such table
  auto position = offset(pc_tables_, table);
  if (!position) return std::nullopt;
  std::size_t at = *position;
  auto varint = [&]() -> std::optional<std::uint32_t> {
    std::uint32_t value = 0;
    for (unsigned shift = 0; shift < 35; shift += 7) {
      if (at >= bytes_.size()) return std::nullopt;
      const std::uint8_t byte = bytes_[at++];
      value |= static_cast<std::uint32_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return std::nullopt;  // longer than any 32-bit value
  };

  // Each step: the value changes by a zig-zag delta, then holds for the next pc delta
  // bytes. A zero value delta after the first step ends the table. Every step reads at
  // least two bytes, so a table without an end stops at the end of the bytes.
  std::uint32_t value = static_cast<std::uint32_t>(-1);
  std::uint64_t step_end = entry;
  for (bool first = true;; first = false) {
    auto value_delta = varint();
    if (!value_delta || (*value_delta == 0 && !first)) return std::nullopt;
    auto pc_delta = varint();
    if (!pc_delta) return std::nullopt;
    const std::uint32_t delta = (*value_delta & 1) != 0 ? ~(*value_delta >> 1) : *value_delta >> 1;
    value += delta;  // unsigned: wraps like Go's int32 arithmetic
    step_end += std::uint64_t{*pc_delta} * quantum_;
    if (pc < step_end) return static_cast<std::int32_t>(value);
  }
}

std::optional<std::string_view> GoPclntab::file_name(std::size_t record,
                                                     std::int32_t file_index) const {
  if (version_ == GoPclntabVersion::Go12) {
    // A direct index into the file table (0 is its count); names relative to the table.
    if (file_index <= 0 || static_cast<std::size_t>(file_index) >= file_count_) {
      return std::nullopt;
    }
    auto name = word(files_ + 4 * static_cast<std::size_t>(file_index), 4);
    if (!name || *name >= bytes_.size()) return std::nullopt;
    return string_at(static_cast<std::size_t>(*name));
  }
  // Go 1.16+: an index into the function's compilation unit's slice of the CU table,
  // whose entries are offsets into the file names.
  if (file_index < 0) return std::nullopt;
  auto cu = record_field(record, 8);
  if (!cu || *cu == kNoOffset) return std::nullopt;
  auto slot = offset(cus_, (std::uint64_t{*cu} + static_cast<std::uint32_t>(file_index)) * 4);
  if (!slot) return std::nullopt;
  auto name = word(*slot, 4);
  if (!name || *name == kNoOffset) return std::nullopt;
  auto position = offset(files_, *name);
  if (!position) return std::nullopt;
  return string_at(*position);
}

bool GoPclntab::in_inlined_code(const GoFunction& function, std::uint64_t pc) const {
  // The record's fixed fields, then its pcdata table offsets: after the entry, 8
  // 32-bit fields up to Go 1.15, one more (cuOffset) since 1.16, startLine since 1.20.
  const std::size_t entry_size = version_ >= GoPclntabVersion::Go118 ? 4 : pointer_size_;
  const std::size_t fields = version_ == GoPclntabVersion::Go12    ? 8
                             : version_ == GoPclntabVersion::Go120 ? 10
                                                                   : 9;
  // A damaged record is not known to be outside inlined code.
  auto pcdata_count = record_field(function.record, 7);
  if (!pcdata_count) return true;
  if (*pcdata_count <= kInlineTreeIndex) return false;
  auto position = offset(function.record, entry_size + fields * 4 + kInlineTreeIndex * 4);
  if (!position) return true;
  auto table = word(*position, 4);
  if (!table) return true;
  if (*table == 0) return false;
  auto index = pc_value(static_cast<std::uint32_t>(*table), function.entry, pc);
  if (index) return *index >= 0;
  // No value: the pc is past the function's code (in the padding after it, where no
  // table reaches), or the table is damaged if the line table still covers the pc.
  auto line_table = record_field(function.record, 6);
  return !line_table || pc_value(*line_table, function.entry, pc).has_value();
}

std::optional<GoSourceLine> GoPclntab::source_line(const GoFunction& function,
                                                   std::uint64_t pc) const {
  if (pc < function.entry || pc >= function.end) return std::nullopt;
  if (in_inlined_code(function, pc)) return std::nullopt;
  auto file_table = record_field(function.record, 5);
  auto line_table = record_field(function.record, 6);
  if (!file_table || !line_table) return std::nullopt;
  auto line = pc_value(*line_table, function.entry, pc);
  auto file_index = pc_value(*file_table, function.entry, pc);
  if (!line || *line <= 0 || !file_index) return std::nullopt;
  auto file = file_name(function.record, *file_index);
  if (!file) return std::nullopt;
  return GoSourceLine{*file, *line};
}

std::string go_elf_symbol_name(std::string_view table_name) {
  constexpr std::string_view kMiddleDot = "\xc2\xb7";  // UTF-8
  std::string name;
  name.reserve(table_name.size());
  for (std::size_t at = 0; at < table_name.size();) {
    if (table_name.substr(at, kMiddleDot.size()) == kMiddleDot) {
      name += '.';
      at += kMiddleDot.size();
    } else {
      name += table_name[at++];
    }
  }
  return name;
}

}  // namespace ukstack::unwind
