#include "topologies/state_probe.h"

namespace topologies {
namespace {

constexpr double kMicrosPerSecond = 1e6;

double Ratio(uint64_t hits, uint64_t misses) {
  const uint64_t total = hits + misses;
  return total == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(total);
}

}  // namespace

StateProbe::StateProbe(ops::MetricsRegistry* registry, const state::Store* store,
                       const CacheCounters* cache)
    : store_(store),
      cache_(cache),
      keys_(registry->GetGauge("engaged_state_keys",
                               "Estimated number of customers in the state store.")),
      sst_bytes_(registry->GetGauge("engaged_state_sst_bytes", "Live SST file bytes.")),
      block_cache_usage_(
          registry->GetGauge("engaged_state_block_cache_usage_bytes",
                             "RocksDB block cache usage, including memtables charged to it.")),
      block_cache_capacity_(registry->GetGauge("engaged_state_block_cache_capacity_bytes",
                                               "RocksDB block cache capacity.")),
      block_cache_hit_ratio_(
          registry->GetGauge("engaged_state_block_cache_hit_ratio",
                             "RocksDB block cache hits / (hits + misses) since start.")),
      pending_compaction_(registry->GetGauge("engaged_state_pending_compaction_bytes",
                                             "Estimated bytes compaction still has to rewrite.")),
      stall_seconds_(registry->GetGauge("engaged_state_write_stall_seconds",
                                        "Total time RocksDB stalled writes since start.")),
      background_errors_(registry->GetGauge("engaged_state_background_errors",
                                            "RocksDB background errors since start.")),
      memtable_bytes_(
          registry->GetGauge("engaged_state_memtable_bytes", "Bytes in RocksDB memtables.")),
      cache_hit_ratio_(registry->GetGauge("engaged_state_cache_hit_ratio",
                                          "Write-back cache hits / (hits + misses) since start.")),
      cache_bytes_(registry->GetGauge("engaged_state_cache_bytes",
                                      "Estimated bytes held by the write-back caches.")),
      expired_(
          registry->GetCounter("engaged_state_expired_customers_total",
                               "Customers deleted after state.retention_ms without an event.")) {}

void StateProbe::Collect() const {
  const state::StoreStats st = store_->Stats();
  keys_.Set(static_cast<double>(st.estimated_customers));
  sst_bytes_.Set(static_cast<double>(st.live_sst_bytes));
  block_cache_usage_.Set(static_cast<double>(st.block_cache_usage_bytes));
  block_cache_capacity_.Set(static_cast<double>(st.block_cache_capacity_bytes));
  block_cache_hit_ratio_.Set(Ratio(st.block_cache_hits, st.block_cache_misses));
  pending_compaction_.Set(static_cast<double>(st.pending_compaction_bytes));
  stall_seconds_.Set(static_cast<double>(st.stall_micros) / kMicrosPerSecond);
  background_errors_.Set(static_cast<double>(st.background_errors));
  memtable_bytes_.Set(static_cast<double>(st.memtable_bytes));
  cache_hit_ratio_.Set(Ratio(cache_->hits.load(), cache_->misses.load()));
  cache_bytes_.Set(static_cast<double>(cache_->bytes.load()));
  const uint64_t expired = cache_->expired.load();
  expired_.Inc(static_cast<double>(expired - expired_published_));
  expired_published_ = expired;
}

}  // namespace topologies
