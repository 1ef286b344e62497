// Compressed cores: the format told by its magic number, and the plain bytes got
// back through the same libraries systemd-coredump and the zstd, lz4 and xz tools
// write with (the data is compressed here through them); a stream cut short or
// corrupt is an error, at any length, never a crash.
#include "capture/core/core_decompression.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <lz4frame.h>
#include <lzma.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "capture/core/core_input.h"

namespace ukstack {
namespace {

using Bytes = std::vector<std::byte>;

Bytes bytes_of(std::initializer_list<unsigned char> values) {
  Bytes out;
  for (unsigned char value : values) out.push_back(std::byte{value});
  return out;
}

// Something like a core: an ELF header, runs of zeros (untouched pages), and bytes
// that compress poorly, 1.5 MiB in all (more than one chunk of the decoder).
Bytes sample_core() {
  Bytes data(3 * 512 * 1024);
  const unsigned char elf[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  std::memcpy(data.data(), elf, sizeof elf);
  std::uint32_t state = 12345;
  for (std::size_t i = data.size() / 2; i < data.size(); ++i) {
    state = state * 1103515245u + 12345u;  // a fixed pseudo-random sequence
    data[i] = std::byte(state >> 24);
  }
  return data;
}

Bytes zstd_compress(const Bytes& plain) {
  Bytes out(ZSTD_compressBound(plain.size()));
  std::size_t size = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), 3);
  EXPECT_FALSE(ZSTD_isError(size));
  out.resize(size);
  return out;
}

Bytes lz4_compress(const Bytes& plain) {
  Bytes out(LZ4F_compressFrameBound(plain.size(), nullptr));
  std::size_t size =
      LZ4F_compressFrame(out.data(), out.size(), plain.data(), plain.size(), nullptr);
  EXPECT_FALSE(LZ4F_isError(size));
  out.resize(size);
  return out;
}

Bytes xz_compress(const Bytes& plain) {
  Bytes out(lzma_stream_buffer_bound(plain.size()));
  std::size_t size = 0;
  EXPECT_EQ(lzma_easy_buffer_encode(
                6, LZMA_CHECK_CRC64, nullptr, reinterpret_cast<const std::uint8_t*>(plain.data()),
                plain.size(), reinterpret_cast<std::uint8_t*>(out.data()), &size, out.size()),
            LZMA_OK);
  out.resize(size);
  return out;
}

Bytes compress(Compression kind, const Bytes& plain) {
  switch (kind) {
    case Compression::Zstd:
      return zstd_compress(plain);
    case Compression::Lz4:
      return lz4_compress(plain);
    case Compression::Xz:
      return xz_compress(plain);
    case Compression::None:
      break;
  }
  return plain;
}

UniqueFd memory_file(const Bytes& contents) {
  UniqueFd fd(memfd_create("test", MFD_CLOEXEC));
  EXPECT_TRUE(fd.valid());
  EXPECT_EQ(write(fd.get(), contents.data(), contents.size()),
            static_cast<ssize_t>(contents.size()));
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_SET), 0);
  return fd;
}

Bytes contents(int fd) {
  Bytes out(static_cast<std::size_t>(lseek(fd, 0, SEEK_END)));
  EXPECT_EQ(pread(fd, out.data(), out.size(), 0), static_cast<ssize_t>(out.size()));
  return out;
}

// As CoreInput does: the first bytes are read to tell the format, the rest streamed.
struct Decompressed {
  Status status;
  Bytes plain;
};
Decompressed decompress(Compression kind, const Bytes& compressed) {
  UniqueFd in = memory_file(compressed);
  Bytes head(std::min(compressed.size(), kCompressionMagicBytes));
  EXPECT_EQ(read(in.get(), head.data(), head.size()), static_cast<ssize_t>(head.size()));
  UniqueFd out(memfd_create("out", MFD_CLOEXEC));
  Status status = decompress_stream(kind, head, in.get(), out.get());
  return {status, contents(out.get())};
}

const Compression kFormats[] = {Compression::Zstd, Compression::Lz4, Compression::Xz};

TEST(CompressionMagic, EachFormatByItsFirstBytes) {
  const Bytes plain = sample_core();
  for (Compression kind : kFormats) {
    EXPECT_EQ(detect_compression(compress(kind, plain)), kind) << compression_name(kind);
  }
  EXPECT_EQ(detect_compression(plain), Compression::None);  // an ELF core
}

TEST(CompressionMagic, TooFewBytesOrOtherMagicIsNone) {
  EXPECT_EQ(detect_compression({}), Compression::None);
  EXPECT_EQ(detect_compression(bytes_of({0x28, 0xb5, 0x2f})), Compression::None);
  EXPECT_EQ(detect_compression(bytes_of({0xfd, '7', 'z', 'X', 'Z'})), Compression::None);
  // The legacy lz4 format (lz4 -l) and gzip are not what systemd-coredump writes.
  EXPECT_EQ(detect_compression(bytes_of({0x02, 0x21, 0x4c, 0x18, 0, 0})), Compression::None);
  EXPECT_EQ(detect_compression(bytes_of({0x1f, 0x8b, 8, 0, 0, 0})), Compression::None);
}

TEST(Decompression, RoundTripThroughTheSameLibraries) {
  const Bytes plain = sample_core();
  for (Compression kind : kFormats) {
    SCOPED_TRACE(compression_name(kind));
    Decompressed result = decompress(kind, compress(kind, plain));
    ASSERT_TRUE(result.status.ok()) << result.status.error().message;
    EXPECT_TRUE(result.plain == plain);
  }
}

TEST(Decompression, ConcatenatedFramesAreAllRead) {
  const Bytes first = sample_core();
  const Bytes second = bytes_of({'t', 'w', 'o'});
  for (Compression kind : kFormats) {
    SCOPED_TRACE(compression_name(kind));
    Bytes both = compress(kind, first);
    Bytes more = compress(kind, second);
    both.insert(both.end(), more.begin(), more.end());
    Decompressed result = decompress(kind, both);
    ASSERT_TRUE(result.status.ok()) << result.status.error().message;
    Bytes expected = first;
    expected.insert(expected.end(), second.begin(), second.end());
    EXPECT_TRUE(result.plain == expected);
  }
}

TEST(Decompression, TruncatedAtAnyLengthIsAnError) {
  const Bytes plain = sample_core();
  for (Compression kind : kFormats) {
    const Bytes whole = compress(kind, plain);
    for (std::size_t length : {std::size_t{4}, std::size_t{6}, std::size_t{13}, whole.size() / 3,
                               whole.size() / 2, whole.size() - 100, whole.size() - 1}) {
      SCOPED_TRACE(std::string(compression_name(kind)) + " cut at " + std::to_string(length));
      Decompressed result = decompress(kind, Bytes(whole.begin(), whole.begin() + length));
      ASSERT_FALSE(result.status.ok());
      const std::string& message = result.status.error().message;
      EXPECT_NE(message.find(compression_name(kind)), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      // Cut in its last bytes, every plain byte may have come out: the frame's end
      // mark (and checksum) is missing all the same.
    }
  }
}

TEST(Decompression, GarbageAfterTheMagicIsAnError) {
  for (Compression kind : kFormats) {
    SCOPED_TRACE(compression_name(kind));
    Bytes data = compress(kind, bytes_of({'a'}));
    const std::size_t magic = kind == Compression::Xz ? 6 : 4;
    std::fill(data.begin() + magic, data.end(), std::byte{0xff});
    data.resize(data.size() + 64, std::byte{0xff});
    Decompressed result = decompress(kind, data);
    ASSERT_FALSE(result.status.ok());
    EXPECT_NE(result.status.error().message.find("corrupt"), std::string::npos)
        << result.status.error().message;
  }
}

// A file named as the user gave it: a plain core is read in place; a compressed one
// through a memory file, named in messages as given; a cut one fails naming it.
class CoreInputFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ukstack-core-input-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    for (const auto& name : written_) unlink(name.c_str());
    rmdir(dir_.c_str());
  }
  std::string write_file(const std::string& name, const Bytes& data) {
    std::string path = dir_ + "/" + name;
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    EXPECT_EQ(write(fd.get(), data.data(), data.size()), static_cast<ssize_t>(data.size()));
    written_.push_back(path);
    return path;
  }

  std::string dir_;
  std::vector<std::string> written_;
};

TEST_F(CoreInputFiles, PlainCoreIsReadInPlace) {
  const std::string path = write_file("core", sample_core());
  auto input = CoreInput::open(path);
  ASSERT_TRUE(input.ok()) << input.error().message;
  EXPECT_EQ(input->path().open, path);
  EXPECT_EQ(input->path().shown, path);
  EXPECT_FALSE(input->from_stdin());
}

TEST_F(CoreInputFiles, CompressedCoreIsDecompressedAndKeepsItsName) {
  const Bytes plain = sample_core();
  // A name that says nothing of the format: the magic decides.
  const std::string path = write_file("core.bin", zstd_compress(plain));
  auto input = CoreInput::open(path);
  ASSERT_TRUE(input.ok()) << input.error().message;
  EXPECT_TRUE(input->path().open.starts_with("/proc/self/fd/")) << input->path().open;
  EXPECT_EQ(input->path().shown, path);
  UniqueFd reopened(::open(input->path().open.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(reopened.valid());
  EXPECT_TRUE(contents(reopened.get()) == plain);
}

TEST_F(CoreInputFiles, TruncatedCoreFailsInOneLineNamingIt) {
  Bytes whole = xz_compress(sample_core());
  const std::string path = write_file("core.xz", Bytes(whole.begin(), whole.begin() + 200));
  auto input = CoreInput::open(path);
  ASSERT_FALSE(input.ok());
  EXPECT_TRUE(input.error().message.starts_with("core file " + path + ": "))
      << input.error().message;
  EXPECT_NE(input.error().message.find("truncated"), std::string::npos) << input.error().message;
}

TEST_F(CoreInputFiles, MissingFileIsAnError) {
  auto input = CoreInput::open(dir_ + "/none");
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.error().errnum, ENOENT);
}

}  // namespace
}  // namespace ukstack
