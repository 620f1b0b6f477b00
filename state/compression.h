#pragma once

// How the state store compresses its SST files (state.compression).

#include <optional>
#include <string_view>

namespace state {

enum class Compression {
  kNone,  // no compression (the default: docs/benchmarks.md has the trade-off)
  kLz4,   // lz4 below level 1 (levels 0 and 1, rewritten most often, stay uncompressed)
  // As kLz4, and zstd in the last level that holds data (RocksDB's "bottommost"), which
  // holds most of it; while the store is small that is level 1, or level 0.
  kZstd,
};

// The compression named "none", "lz4" or "zstd" (state.compression's values); nullopt
// for any other name.
inline std::optional<Compression> CompressionNamed(std::string_view name) {
  if (name == "none") return Compression::kNone;
  if (name == "lz4") return Compression::kLz4;
  if (name == "zstd") return Compression::kZstd;
  return std::nullopt;
}

}  // namespace state
