// CoreAddressSpace on a small core file written here: segments with bytes, a
// segment the core left out whose bytes come from the file NT_FILE maps there,
// and the ways a read can find nothing.
#include "unwind/core_address_space.h"

#include <elf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace ukstack::unwind {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kPage = 4096;
const std::string kMissingFile = "/nonexistent/ukstack-core-test-file";

std::byte file_byte(std::uint64_t offset) { return static_cast<std::byte>((offset * 13) & 0xff); }

template <class T>
void put(std::vector<char>& out, std::size_t at, const T& value) {
  if (out.size() < at + sizeof value) out.resize(at + sizeof value);
  std::memcpy(out.data() + at, &value, sizeof value);
}

// A core of an x86-64 process with:
//   0x400000 +1 page   in the core (bytes 0xa1)
//   0x401000 +2 pages  left out (p_filesz 0); NT_FILE: `mapped` from offset 1 page
//   0x403000 +1 page   in the core (bytes 0xc3); NT_FILE: `mapped` from offset 0
//   0x500000 +1 page   left out; NT_FILE: a file that does not exist
// `mapped` is 2 pages + 100 bytes long: 0x402064 onwards is past its end.
class SmallCore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ukstack-core-test-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    mapped_ = (dir_ / "mapped.bin").string();
    {
      std::ofstream file(mapped_, std::ios::binary);
      for (std::uint64_t i = 0; i < 2 * kPage + 100; ++i) file.put(static_cast<char>(file_byte(i)));
    }
    core_ = (dir_ / "core").string();
    write_core();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write_core() {
    struct Load {
      std::uint64_t vaddr, filesz, memsz, offset;
      char fill;
    };
    const Load loads[] = {{0x400000, kPage, kPage, 1 * kPage, char(0xa1)},
                          {0x401000, 0, 2 * kPage, 0, 0},
                          {0x403000, kPage, kPage, 2 * kPage, char(0xc3)},
                          {0x500000, 0, kPage, 0, 0}};
    // NT_FILE's descriptor.
    std::vector<char> desc;
    struct Entry {
      std::uint64_t start, end, page_offset;
      std::string path;
    };
    const Entry entries[] = {{0x401000, 0x403000, 1, mapped_},
                             {0x403000, 0x404000, 0, mapped_},
                             {0x500000, 0x501000, 0, kMissingFile}};
    put(desc, 0, std::uint64_t{3});
    put(desc, 8, kPage);
    std::size_t at = 16;
    for (const Entry& entry : entries) {
      put(desc, at, entry.start);
      put(desc, at + 8, entry.end);
      put(desc, at + 16, entry.page_offset);
      at += 24;
    }
    for (const Entry& entry : entries)
      desc.insert(desc.end(), entry.path.begin(), entry.path.end() + 1);
    while (desc.size() % 4 != 0) desc.push_back(0);

    std::vector<char> note;
    Elf64_Nhdr nhdr{5, static_cast<Elf64_Word>(desc.size()), NT_FILE};
    put(note, 0, nhdr);
    const char owner[8] = "CORE";
    put(note, sizeof nhdr, owner);
    note.insert(note.end(), desc.begin(), desc.end());

    std::vector<char> image;
    const std::size_t phnum = 1 + std::size(loads);
    const std::size_t note_offset = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
    Elf64_Ehdr ehdr{};
    std::memcpy(ehdr.e_ident, ELFMAG, SELFMAG);
    ehdr.e_ident[EI_CLASS] = ELFCLASS64;
    ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
    ehdr.e_ident[EI_VERSION] = EV_CURRENT;
    ehdr.e_type = ET_CORE;
    ehdr.e_machine = EM_X86_64;
    ehdr.e_version = EV_CURRENT;
    ehdr.e_phoff = sizeof ehdr;
    ehdr.e_ehsize = sizeof ehdr;
    ehdr.e_phentsize = sizeof(Elf64_Phdr);
    ehdr.e_phnum = static_cast<Elf64_Half>(phnum);
    put(image, 0, ehdr);
    Elf64_Phdr phdr{};
    phdr.p_type = PT_NOTE;
    phdr.p_offset = note_offset;
    phdr.p_filesz = note.size();
    phdr.p_align = 4;
    put(image, sizeof ehdr, phdr);
    for (std::size_t i = 0; i < std::size(loads); ++i) {
      const Load& load = loads[i];
      Elf64_Phdr segment{};
      segment.p_type = PT_LOAD;
      segment.p_flags = PF_R;
      segment.p_offset = load.offset;
      segment.p_vaddr = load.vaddr;
      segment.p_filesz = load.filesz;
      segment.p_memsz = load.memsz;
      segment.p_align = kPage;
      put(image, sizeof ehdr + (i + 1) * sizeof(Elf64_Phdr), segment);
    }
    image.resize(note_offset);
    image.insert(image.end(), note.begin(), note.end());
    image.resize(3 * kPage);
    for (const Load& load : loads) {
      if (load.filesz > 0) std::memset(image.data() + load.offset, load.fill, load.filesz);
    }
    std::ofstream(core_, std::ios::binary).write(image.data(), static_cast<long>(image.size()));
  }

  fs::path dir_;
  std::string mapped_;
  std::string core_;
};

TEST_F(SmallCore, ReadsTheNtFileNote) {
  auto space = CoreAddressSpace::open(core_);
  ASSERT_TRUE(space.ok()) << space.error().message;
  ASSERT_EQ(space->files().size(), 3u);
  EXPECT_EQ(space->files()[0].start, 0x401000u);
  EXPECT_EQ(space->files()[0].end, 0x403000u);
  EXPECT_EQ(space->files()[0].file_offset, kPage);
  EXPECT_EQ(space->files()[0].path, mapped_);
  EXPECT_EQ(space->files()[2].path, kMissingFile);
}

TEST_F(SmallCore, CoreBytesThenTheMappedFileWhereTheCoreLeftThemOut) {
  auto space = CoreAddressSpace::open(core_);
  ASSERT_TRUE(space.ok()) << space.error().message;
  EXPECT_TRUE(space->in_core(RemoteAddr(0x400fff)));
  EXPECT_FALSE(space->in_core(RemoteAddr(0x401000)));
  EXPECT_TRUE(space->in_core(RemoteAddr(0x403000)));

  // From the last 16 bytes of the first segment into the left-out one, through the
  // file's end (zeros to the page's end) and into the third segment.
  std::vector<std::byte> out(16 + 2 * kPage + 16);
  auto got = space->read(RemoteAddr(0x400ff0), out);
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_EQ(*got, out.size());
  for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(out[i], std::byte{0xa1}) << i;
  for (std::uint64_t i = 0; i < kPage + 100; ++i) {
    ASSERT_EQ(out[16 + i], file_byte(kPage + i)) << "file offset " << kPage + i;
  }
  for (std::uint64_t i = kPage + 100; i < 2 * kPage; ++i) {
    ASSERT_EQ(out[16 + i], std::byte{0}) << "past the file's end, " << i;
  }
  // The third page is in the core and in the file: the core's bytes win.
  for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(out[16 + 2 * kPage + i], std::byte{0xc3}) << i;
}

TEST_F(SmallCore, StopsWhereNothingHoldsTheNextByte) {
  auto space = CoreAddressSpace::open(core_);
  ASSERT_TRUE(space.ok()) << space.error().message;
  std::vector<std::byte> out(64);
  auto got = space->read(RemoteAddr(0x404000 - 16), out);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, 16u);
  auto none = space->read(RemoteAddr(0x600000), out);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().errnum, EFAULT);
}

TEST_F(SmallCore, AMappedFileThatIsGoneIsNamed) {
  auto space = CoreAddressSpace::open(core_);
  ASSERT_TRUE(space.ok()) << space.error().message;
  std::vector<std::byte> out(8);
  auto got = space->read(RemoteAddr(0x500000), out);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().errnum, ENOENT);
  EXPECT_NE(got.error().message.find(kMissingFile), std::string::npos) << got.error().message;
}

TEST(CoreAddressSpace, ANonCoreIsAnError) {
  auto space = CoreAddressSpace::open("/proc/self/exe");
  ASSERT_FALSE(space.ok());
  EXPECT_NE(space.error().message.find("not a core file"), std::string::npos)
      << space.error().message;
  EXPECT_FALSE(CoreAddressSpace::open("/nonexistent/core").ok());
}

}  // namespace
}  // namespace ukstack::unwind
