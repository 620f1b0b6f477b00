// The store's side of a changelog restore: state::changelog::Restorer applying the
// records of typical customers (their codec bytes, as the changelog holds them) with a
// meta record per commit of 1,000 customers, then rebuilding the partition's timers.
// Reading the topic is measured end to end by bench/restore.sh; this is the ceiling the
// store puts on it.
//   build/rel/bench/restore_bench --benchmark_min_time=2

#include <benchmark/benchmark.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bench/typical_customer.h"
#include "state/changelog.h"
#include "state/codec.h"

namespace {

constexpr int kCustomersPerCommit = 1000;

struct Record {
  std::string key;
  std::string value;
};

// `n` customer records and a meta record after every kCustomersPerCommit of them.
std::vector<Record> Changelog(int n) {
  std::string value;
  state::EncodeCustomer(bench::TypicalCustomer(/*with_ids=*/true), &value);
  state::changelog::PartitionMeta meta;
  meta.offsets = {{"clicks", state::Offset(0)}};
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({state::changelog::CustomerKey("customer-" + std::to_string(i)), value});
    if ((i + 1) % kCustomersPerCommit == 0) {
      meta.offsets[0].second = state::Offset(i + 1);
      Record m{std::string(state::changelog::kMetaKey), {}};
      state::changelog::EncodeMeta(meta, &m.value);
      out.push_back(std::move(m));
    }
  }
  return out;
}

void BM_RestoreApply(benchmark::State& st) {
  const std::vector<Record> log = Changelog(static_cast<int>(st.range(0)));
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("restore-bench-" + std::to_string(getpid()));
  size_t bytes = 0;
  for (const Record& r : log) bytes += r.key.size() + r.value.size();
  const state::Partition p(0);
  for (auto _ : st) {
    // Each restore starts from an empty state directory, as after a move.
    st.PauseTiming();
    std::filesystem::remove_all(dir);
    auto store = state::Store::Open({.dir = dir.string()});
    if (!store.ok()) {
      st.SkipWithError(store.status().ToString().c_str());
      return;
    }
    st.ResumeTiming();
    state::changelog::Restorer restorer(
        store->get(), p,
        [](state::TimeMs last_seen, state::TimeMs) {
          return std::optional<state::TimeMs>(state::TimeMs(last_seen.value() + 1));
        },
        state::TimeMs(0));
    for (size_t i = 0; i < log.size(); ++i) {
      if (!restorer.Apply(state::Offset(static_cast<int64_t>(i)), log[i].key, log[i].value).ok()) {
        st.SkipWithError("apply failed");
      }
    }
    auto stats = restorer.Finish(state::Offset(static_cast<int64_t>(log.size())));
    if (!stats.ok()) st.SkipWithError(stats.status().ToString().c_str());
    st.PauseTiming();
    store->reset();
    st.ResumeTiming();
  }
  st.SetItemsProcessed(st.iterations() * static_cast<int64_t>(log.size()));
  st.SetBytesProcessed(st.iterations() * static_cast<int64_t>(bytes));
  st.counters["value_bytes"] = static_cast<double>(log.front().value.size());
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RestoreApply)->Arg(200000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
