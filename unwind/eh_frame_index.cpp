#include "unwind/eh_frame_index.h"

#include <dwarf.h>
#include <elfutils/libdw.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>
#include <unordered_map>

#include "unwind/elf_file.h"

namespace ukstack::unwind {

namespace {

constexpr std::uint8_t kEncodingOmitted = DW_EH_PE_omit;

// The size of a fixed-size DW_EH_PE value; 0 for the variable-length (LEB128) ones.
std::size_t encoded_size(std::uint8_t encoding, std::size_t address_size) {
  switch (encoding & 0x0f) {
    case DW_EH_PE_absptr:
      return address_size;
    case DW_EH_PE_udata2:
    case DW_EH_PE_sdata2:
      return 2;
    case DW_EH_PE_udata4:
    case DW_EH_PE_sdata4:
      return 4;
    case DW_EH_PE_udata8:
    case DW_EH_PE_sdata8:
      return 8;
    default:
      return 0;
  }
}

// The encoding of the FDEs' addresses a CIE announces with 'R' in its augmentation
// ("zR", "zPLR", ...: each letter after 'z' takes its operand from the augmentation
// data in order); absolute when it has no augmentation; kEncodingOmitted when it is
// not understood. libdw reads the CIE but does not give this byte.
std::uint8_t fde_encoding(const Dwarf_CIE& cie, std::size_t address_size) {
  std::string_view augmentation = cie.augmentation != nullptr ? cie.augmentation : "";
  if (augmentation.empty()) return DW_EH_PE_absptr;
  if (augmentation[0] != 'z' || cie.augmentation_data == nullptr) return kEncodingOmitted;
  const std::uint8_t* data = cie.augmentation_data;
  const std::uint8_t* end = data + cie.augmentation_data_size;
  for (char letter : augmentation.substr(1)) {
    switch (letter) {
      case 'R':
        return data < end ? *data : kEncodingOmitted;
      case 'L':  // the LSDA pointers' encoding: one byte
        ++data;
        break;
      case 'P': {  // the personality routine: its encoding, then the pointer itself
        if (data >= end) return kEncodingOmitted;
        const std::uint8_t encoding = *data++;
        const std::size_t size = encoded_size(encoding, address_size);
        if (size == 0 || (encoding & 0x70) == DW_EH_PE_aligned) return kEncodingOmitted;
        data += size;
        break;
      }
      case 'S':  // a signal frame; no operand
      case 'B':  // AArch64 pointer authentication; no operand
        break;
      default:
        return kEncodingOmitted;
    }
  }
  return DW_EH_PE_absptr;  // no 'R': absolute addresses
}

// The value at `field`, encoded with `encoding`, `field_address` being where the
// field is in the process (the base of a pc-relative value). Only absolute and
// pc-relative fixed-size values: what x86-64 compilers and linkers write.
std::optional<std::uint64_t> decode_pointer(const std::uint8_t* field, const std::uint8_t* end,
                                            std::uint8_t encoding, std::uint64_t field_address,
                                            std::size_t address_size) {
  const std::size_t size = encoded_size(encoding, address_size);
  if (size == 0 || static_cast<std::size_t>(end - field) < size) return std::nullopt;
  const std::uint8_t application = encoding & 0x70;
  if (application != DW_EH_PE_absptr && application != DW_EH_PE_pcrel) return std::nullopt;
  if ((encoding & DW_EH_PE_indirect) != 0) return std::nullopt;
  const bool is_signed = (encoding & 0x08) != 0;
  std::uint64_t value = 0;
  switch (size) {
    case 2: {
      std::uint16_t raw;
      std::memcpy(&raw, field, size);
      value = is_signed ? static_cast<std::uint64_t>(static_cast<std::int16_t>(raw)) : raw;
      break;
    }
    case 4: {
      std::uint32_t raw;
      std::memcpy(&raw, field, size);
      value = is_signed ? static_cast<std::uint64_t>(static_cast<std::int32_t>(raw)) : raw;
      break;
    }
    default:
      std::memcpy(&value, field, sizeof value);
      break;
  }
  if (application == DW_EH_PE_pcrel) value += field_address;
  return value;
}

bool fits_offset(std::int64_t offset) {
  return offset >= std::numeric_limits<std::int32_t>::min() &&
         offset <= std::numeric_limits<std::int32_t>::max();
}

}  // namespace

std::optional<EhFrameIndex> eh_frame_index(Elf* elf, std::uint64_t bias) {
  auto section = find_elf_section(elf, ".eh_frame");
  if (!section) return std::nullopt;
  std::size_t ident_size = 0;
  const auto* ident = reinterpret_cast<const unsigned char*>(elf_getident(elf, &ident_size));
  if (ident == nullptr || ident_size < EI_NIDENT) return std::nullopt;
  const std::size_t address_size = ident[EI_CLASS] == ELFCLASS32 ? 4 : 8;

  // dwarf_next_cfi reads only the buffer and its size.
  Elf_Data data{};
  data.d_buf = const_cast<std::uint8_t*>(section->bytes.data());
  data.d_size = section->bytes.size();
  data.d_type = ELF_T_BYTE;
  const auto* bytes = static_cast<const std::uint8_t*>(data.d_buf);
  const std::uint64_t base = section->address + bias;

  struct Entry {
    std::int32_t location;
    std::int32_t fde;
  };
  std::vector<Entry> entries;
  std::unordered_map<Dwarf_Off, std::uint8_t> cie_encodings;
  Dwarf_Off next = 0;
  for (;;) {
    const Dwarf_Off offset = next;
    Dwarf_CFI_Entry entry;
    int result = dwarf_next_cfi(ident, &data, /*eh_frame_p=*/true, offset, &next, &entry);
    if (result != 0) break;  // 1: the end (a zero terminator); -1: unreadable from here on
    if (dwarf_cfi_cie_p(&entry)) {
      cie_encodings[offset] = fde_encoding(entry.cie, address_size);
      continue;
    }
    auto cie = cie_encodings.find(entry.fde.CIE_pointer);
    std::uint8_t encoding = kEncodingOmitted;
    if (cie != cie_encodings.end()) {
      encoding = cie->second;
    } else {
      // A CIE after its FDE (allowed, if unusual): read it where it is.
      Dwarf_Off after_cie = 0;
      Dwarf_CFI_Entry cie_entry;
      if (dwarf_next_cfi(ident, &data, true, entry.fde.CIE_pointer, &after_cie, &cie_entry) == 0 &&
          dwarf_cfi_cie_p(&cie_entry)) {
        encoding = fde_encoding(cie_entry.cie, address_size);
      }
      cie_encodings[entry.fde.CIE_pointer] = encoding;
    }
    if (encoding == kEncodingOmitted) continue;
    const std::uint64_t field_address = base + static_cast<std::uint64_t>(entry.fde.start - bytes);
    auto location =
        decode_pointer(entry.fde.start, entry.fde.end, encoding, field_address, address_size);
    // Location 0: the FDE of code the linker dropped (garbage-collected sections).
    if (!location || *location == 0) continue;
    const auto location_offset = static_cast<std::int64_t>(*location - base);
    const auto fde_offset = static_cast<std::int64_t>(offset);
    if (!fits_offset(location_offset) || !fits_offset(fde_offset)) continue;
    entries.push_back(
        {static_cast<std::int32_t>(location_offset), static_cast<std::int32_t>(fde_offset)});
  }
  if (entries.empty()) return std::nullopt;

  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.location < b.location; });
  EhFrameIndex index;
  index.base = base;
  index.entries.reserve(entries.size() * 2);
  for (const Entry& entry : entries) {
    index.entries.push_back(entry.location);
    index.entries.push_back(entry.fde);
  }
  return index;
}

}  // namespace ukstack::unwind
