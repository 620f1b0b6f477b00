#pragma once

// The state store's metrics: RocksDB health from state::StoreStats, and the
// write-back caches' hit ratio. Refreshed on each /metrics scrape (Collect runs on the
// HTTP thread: StoreStats is thread-safe to collect, the cache counters are atomics).
// Owned by the composition root.

#include <atomic>
#include <cstdint>

#include "ops/metrics.h"
#include "state/store.h"

namespace topologies {

// Cache counters the processing thread publishes for the HTTP thread to read.
struct CacheCounters {
  std::atomic<uint64_t> hits{0};
  std::atomic<uint64_t> misses{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> expired{0};  // customers deleted after the retention period
};

class StateProbe {
 public:
  StateProbe(ops::MetricsRegistry* registry, const state::Store* store, const CacheCounters* cache);

  // Copies the current figures into the gauges.
  void Collect() const;

 private:
  const state::Store* store_;
  const CacheCounters* cache_;
  ops::Gauge keys_;
  ops::Gauge sst_bytes_;
  ops::Gauge block_cache_usage_;
  ops::Gauge block_cache_capacity_;
  ops::Gauge block_cache_hit_ratio_;
  ops::Gauge pending_compaction_;
  ops::Gauge stall_seconds_;
  ops::Gauge background_errors_;
  ops::Gauge memtable_bytes_;
  ops::Gauge cache_hit_ratio_;
  ops::Gauge cache_bytes_;
  ops::Counter expired_;
  mutable uint64_t expired_published_ = 0;  // Collect runs on one thread (HTTP)
};

}  // namespace topologies
