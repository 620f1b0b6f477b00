#pragma once

// How the state store compresses its SST files (state.compression).

namespace state {

enum class Compression {
  kNone,  // no compression (the default: docs/benchmarks.md has the trade-off)
  kLz4,   // lz4 below level 1 (levels 0 and 1, rewritten most often, stay uncompressed)
  // As kLz4, and zstd in the last level that holds data (RocksDB's "bottommost"), which
  // holds most of it; while the store is small that is level 1, or level 0.
  kZstd,
};

}  // namespace state
