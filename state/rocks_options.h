#pragma once

// The RocksDB options of the state store's column families: Store::Open's, and
// bench/lookup_bench's, which times point lookups under exactly these.

#include <rocksdb/options.h>

#include <cstddef>
#include <memory>

#include "state/store.h"

namespace rocksdb {
class Cache;
}  // namespace rocksdb

namespace state {

// Block-based tables in `cache` (their index and filter blocks charged to it and
// pinned), bloom filters, memtables sized from `options.memory_bytes` (the store's
// RocksDB budget) and from whether lookups keep data blocks in the cache
// (`options.cache_read_blocks`), and `options.compression`.
rocksdb::ColumnFamilyOptions ColumnFamilyOptionsFor(const std::shared_ptr<rocksdb::Cache>& cache,
                                                    const StoreOptions& options);

}  // namespace state
