#include "capture/core/core_decompression.h"

#include <lz4frame.h>
#include <lzma.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace ukstack {

namespace {

constexpr std::array<unsigned char, 4> kZstdMagic{0x28, 0xb5, 0x2f, 0xfd};
constexpr std::array<unsigned char, 4> kLz4FrameMagic{0x04, 0x22, 0x4d, 0x18};
constexpr std::array<unsigned char, 6> kXzMagic{0xfd, '7', 'z', 'X', 'Z', 0x00};

template <std::size_t N>
bool starts_with(std::span<const std::byte> head, const std::array<unsigned char, N>& magic) {
  return head.size() >= N && std::memcmp(head.data(), magic.data(), N) == 0;
}

constexpr std::size_t kChunkBytes = 256 * 1024;

// Every byte of `bytes` into `fd`.
Status write_all(int fd, std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(errno, "cannot keep the decompressed core");
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

Error corrupt(Compression kind, const std::string& why) {
  return Error{0, std::string("its ") + compression_name(kind) +
                      " data is corrupt or not a compressed core (" + why + ")"};
}

Error truncated(Compression kind) {
  return Error{0, std::string("its ") + compression_name(kind) +
                      " data ends in the middle of a frame (the file is truncated)"};
}

// One format's library, fed the input in pieces; each piece's plain bytes are
// written out before the next is read, so no more than a chunk is held.
class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual Status feed(std::span<const std::byte> in, int out_fd) = 0;
  // The input has ended: an error unless it ended between frames.
  virtual Status finish(int out_fd) = 0;

 protected:
  std::vector<std::byte> out_ = std::vector<std::byte>(kChunkBytes);
};

class ZstdDecoder final : public Decoder {
 public:
  Status start() {
    if (!context_) return Error{ENOMEM, "cannot start zstd decompression"};
    return {};
  }
  Status feed(std::span<const std::byte> in, int out_fd) override {
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    ZSTD_outBuffer output{};
    // A full output buffer may leave bytes inside zstd: call again until it is not full.
    do {
      output = ZSTD_outBuffer{out_.data(), out_.size(), 0};
      const std::size_t consumed_before = input.pos;
      const std::size_t result = ZSTD_decompressStream(context_.get(), &output, &input);
      if (ZSTD_isError(result)) return corrupt(Compression::Zstd, ZSTD_getErrorName(result));
      // Never expected of zstd; a loop without progress would hang the run.
      if (input.pos == consumed_before && output.pos == 0 && input.pos < input.size)
        return corrupt(Compression::Zstd, "no progress");
      frame_open_ = result != 0;  // 0: a frame has just ended
      if (auto written = write_all(out_fd, std::span(out_.data(), output.pos)); !written)
        return written;
    } while (input.pos < input.size || output.pos == output.size);
    return {};
  }
  Status finish(int) override {
    if (frame_open_) return truncated(Compression::Zstd);
    return {};
  }

 private:
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context_{ZSTD_createDCtx(), &ZSTD_freeDCtx};
  bool frame_open_ = true;  // nothing decoded yet: no whole frame
};

class Lz4Decoder final : public Decoder {
 public:
  Status start() {
    LZ4F_dctx* context = nullptr;
    const std::size_t result = LZ4F_createDecompressionContext(&context, LZ4F_VERSION);
    context_.reset(context);
    if (LZ4F_isError(result)) return Error{ENOMEM, "cannot start lz4 decompression"};
    return {};
  }
  Status feed(std::span<const std::byte> in, int out_fd) override {
    bool output_full = false;
    while (!in.empty() || output_full) {
      std::size_t produced = out_.size();
      std::size_t consumed = in.size();
      const std::size_t hint =
          LZ4F_decompress(context_.get(), out_.data(), &produced, in.data(), &consumed, nullptr);
      if (LZ4F_isError(hint)) return corrupt(Compression::Lz4, LZ4F_getErrorName(hint));
      // Never expected of lz4; a loop without progress would hang the run.
      if (consumed == 0 && produced == 0 && !in.empty())
        return corrupt(Compression::Lz4, "no progress");
      frame_open_ = hint != 0;  // 0: a frame has just ended (the next call starts another)
      in = in.subspan(consumed);
      output_full = produced == out_.size();
      if (auto written = write_all(out_fd, std::span(out_.data(), produced)); !written)
        return written;
    }
    return {};
  }
  Status finish(int) override {
    if (frame_open_) return truncated(Compression::Lz4);
    return {};
  }

 private:
  struct Free {
    void operator()(LZ4F_dctx* context) const { (void)LZ4F_freeDecompressionContext(context); }
  };
  std::unique_ptr<LZ4F_dctx, Free> context_;
  bool frame_open_ = true;
};

class XzDecoder final : public Decoder {
 public:
  XzDecoder() = default;
  ~XzDecoder() override { lzma_end(&stream_); }
  XzDecoder(const XzDecoder&) = delete;
  XzDecoder& operator=(const XzDecoder&) = delete;

  Status start() {
    // Concatenated .xz streams, as xz(1) writes with several inputs; no memory limit
    // (the core's own size bounds what it needs).
    if (lzma_stream_decoder(&stream_, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
      return Error{ENOMEM, "cannot start xz decompression"};
    return {};
  }
  Status feed(std::span<const std::byte> in, int out_fd) override {
    stream_.next_in = reinterpret_cast<const std::uint8_t*>(in.data());
    stream_.avail_in = in.size();
    return run(LZMA_RUN, out_fd);
  }
  Status finish(int out_fd) override { return run(LZMA_FINISH, out_fd); }

 private:
  Status run(lzma_action action, int out_fd) {
    while (true) {
      stream_.next_out = reinterpret_cast<std::uint8_t*>(out_.data());
      stream_.avail_out = out_.size();
      const lzma_ret result = lzma_code(&stream_, action);
      const std::size_t produced = out_.size() - stream_.avail_out;
      if (auto written = write_all(out_fd, std::span(out_.data(), produced)); !written)
        return written;
      if (result == LZMA_STREAM_END) return {};
      // At the end of the input liblzma says LZMA_BUF_ERROR when it cannot go on.
      if (result == LZMA_BUF_ERROR && action == LZMA_FINISH) return truncated(Compression::Xz);
      if (result != LZMA_OK) return corrupt(Compression::Xz, message(result));
      if (action == LZMA_RUN && stream_.avail_in == 0 && stream_.avail_out != 0) return {};
    }
  }
  static std::string message(lzma_ret result) {
    switch (result) {
      case LZMA_FORMAT_ERROR:
        return "not the .xz format";
      case LZMA_OPTIONS_ERROR:
        return "unsupported options";
      case LZMA_DATA_ERROR:
        return "corrupt data";
      case LZMA_MEM_ERROR:
        return "out of memory";
      default:
        return "liblzma error " + std::to_string(static_cast<int>(result));
    }
  }
  lzma_stream stream_ = LZMA_STREAM_INIT;
};

// Data that is not compressed (a plain core on a pipe), copied as it comes.
class PlainCopy final : public Decoder {
 public:
  Status start() { return {}; }
  Status feed(std::span<const std::byte> in, int out_fd) override { return write_all(out_fd, in); }
  Status finish(int) override { return {}; }
};

template <class Format>
Status decompress_with(std::span<const std::byte> head, int in_fd, int out_fd) {
  Format decoder;
  if (auto started = decoder.start(); !started) return started;
  if (auto fed = decoder.feed(head, out_fd); !fed) return fed;
  std::vector<std::byte> chunk(kChunkBytes);
  while (true) {
    ssize_t n = ::read(in_fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(errno, "cannot read it");
    if (n == 0) break;
    if (auto fed = decoder.feed(std::span(chunk.data(), static_cast<std::size_t>(n)), out_fd); !fed)
      return fed;
  }
  return decoder.finish(out_fd);
}

}  // namespace

Compression detect_compression(std::span<const std::byte> head) {
  if (starts_with(head, kZstdMagic)) return Compression::Zstd;
  if (starts_with(head, kLz4FrameMagic)) return Compression::Lz4;
  if (starts_with(head, kXzMagic)) return Compression::Xz;
  return Compression::None;
}

const char* compression_name(Compression kind) {
  switch (kind) {
    case Compression::Zstd:
      return "zstd";
    case Compression::Lz4:
      return "lz4";
    case Compression::Xz:
      return "xz";
    case Compression::None:
      break;
  }
  return "uncompressed";
}

Status decompress_stream(Compression kind, std::span<const std::byte> head, int in_fd, int out_fd) {
  switch (kind) {
    case Compression::Zstd:
      return decompress_with<ZstdDecoder>(head, in_fd, out_fd);
    case Compression::Lz4:
      return decompress_with<Lz4Decoder>(head, in_fd, out_fd);
    case Compression::Xz:
      return decompress_with<XzDecoder>(head, in_fd, out_fd);
    case Compression::None:
      break;
  }
  return decompress_with<PlainCopy>(head, in_fd, out_fd);
}

}  // namespace ukstack
