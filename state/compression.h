#pragma once

// How the state store compresses its SST files (state.compression).

namespace state {

enum class Compression {
  kNone,  // no compression (the default: docs/benchmarks.md has the trade-off)
  kLz4,   // lz4 below level 1 (levels 0 and 1, rewritten most often, stay uncompressed)
  kZstd,  // as kLz4, and zstd in the bottom level, which holds most of the data
};

}  // namespace state
