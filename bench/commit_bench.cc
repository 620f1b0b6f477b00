// A commit's store write: one partition's dirty customers put into one WriteBatch and
// written (WAL on) to a store whose memtables already hold earlier commits' customers.
// BM_CommitWrite/in_id_order:1 visits them as a commit does, through
// CustomerCache::ForEachDirty (in id order, its sort included); .../in_id_order:0 puts
// the same customers in the order they were changed (random), as commits did before
// 8dd17c8. Both time the puts and the write only (the codec bytes are encoded once,
// outside the loop), on the calling thread; flushes and compactions run on RocksDB's
// threads.
//   build/rel/bench/commit_bench --benchmark_min_time=2

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bench/typical_customer.h"
#include "state/codec.h"
#include "state/customer_cache.h"
#include "state/store.h"

namespace {

constexpr int kDirtyPerCommit = 20000;
constexpr int64_t kCustomerSpace = 10'000'000;  // ids drawn uniformly from this many
constexpr size_t kStoreBytes = size_t{1} << 30;
constexpr size_t kCacheBytes = size_t{512} << 20;

void BM_CommitWrite(benchmark::State& st) {
  const bool in_id_order = st.range(0) != 0;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("commit-bench-" + std::to_string(getpid()) + "-" + std::to_string(st.range(0)));
  std::filesystem::remove_all(dir);
  auto store = state::Store::Open({.dir = dir.string(), .memory_bytes = kStoreBytes});
  if (!store.ok()) {
    st.SkipWithError(store.status().ToString().c_str());
    return;
  }
  const state::CustomerState typical = bench::TypicalCustomer(/*with_ids=*/true);
  std::string encoded;
  state::EncodeCustomer(typical, &encoded);
  const state::Partition p(0);
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int64_t> customer(0, kCustomerSpace - 1);
  state::CustomerCache cache(kCacheBytes);
  std::vector<std::string> changed;
  state::StoreBatch batch = (*store)->NewBatch();
  for (auto _ : st) {
    st.PauseTiming();
    cache.Clear();
    changed.clear();
    while (changed.size() < kDirtyPerCommit) {
      std::string id = "customer-" + std::to_string(customer(rng));
      if (cache.Find(id) != nullptr) continue;
      cache.Insert(id, typical);
      cache.MarkDirty(id);
      changed.push_back(std::move(id));
    }
    st.ResumeTiming();
    if (in_id_order) {
      cache.ForEachDirty([&](std::string_view id, const state::CustomerState&) {
        batch.PutEncodedCustomer(p, id, encoded);
      });
    } else {
      for (const std::string& id : changed) batch.PutEncodedCustomer(p, id, encoded);
    }
    if (auto s = (*store)->Write(batch); !s.ok()) {
      st.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  st.SetItemsProcessed(st.iterations() * kDirtyPerCommit);
  store->reset();
  std::filesystem::remove_all(dir);
}

// 150 commits of 20,000 customers (about 1.2 GB of puts): the 64 MiB memtables fill and
// flush about 15 times, so both orders meet memtables of every size.
BENCHMARK(BM_CommitWrite)->ArgName("in_id_order")->Arg(0)->Arg(1)->Iterations(150);

}  // namespace
