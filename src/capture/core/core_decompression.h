// Compressed core files as systemd-coredump stores them (zstd by default, lz4, xz):
// which format a stream is in, told by its first bytes (never by a file name), and
// its plain bytes, decompressed in a stream through the format's own library
// (libzstd, liblz4's frame API, liblzma).
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "base/result.h"

namespace ukstack {

enum class Compression { None, Zstd, Lz4, Xz };

// The longest magic number detect_compression needs to see (xz's: 6 bytes).
inline constexpr std::size_t kCompressionMagicBytes = 6;

// The format whose magic number `head` starts with; None for anything else (an
// ELF core, or bytes too few to tell).
Compression detect_compression(std::span<const std::byte> head);

// "zstd", "lz4", "xz" (and "uncompressed").
const char* compression_name(Compression kind);

// Decompresses the stream `head` + the rest of `in_fd` (read to its end; `head` is
// what was read already to detect the format) and writes the plain bytes to
// `out_fd`. Concatenated frames (streams) are all decompressed. A stream that
// ends inside a frame, or whose bytes the library rejects, is an Error saying so
// (its message names no file: the caller adds it). With `kind` None the bytes
// are copied as they are (an uncompressed core on a pipe).
Status decompress_stream(Compression kind, std::span<const std::byte> head, int in_fd, int out_fd);

}  // namespace ukstack
