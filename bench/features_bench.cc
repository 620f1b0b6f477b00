// The feature update path: FeatureUpdater::Apply on in-memory state (decoding excluded),
// then the same with the engagement score read through the catalogue, and reading every
// catalogue feature (what `inspect` and segment snapshots cost).
//   build-features/bench/features_bench --benchmark_min_time=2

#include <benchmark/benchmark.h>

#include <vector>

#include "bench/features_profile.h"
#include "processors/feature_catalog.h"
#include "processors/features.h"

namespace {

constexpr size_t kStreamLength = 1 << 20;

void BM_FeatureUpdate(benchmark::State& st) {
  const auto customers = static_cast<uint32_t>(st.range(0));
  const auto stream = bench::MakeStream(kStreamLength, customers, 1);
  processors::FeatureUpdater updater{processors::FeatureOptions{}};
  std::vector<state::CustomerState> states(customers);
  size_t i = 0;
  for (auto _ : st) {
    const auto& p = stream[i];
    updater.Apply(p.event, states[p.customer]);
    i = (i + 1) & (kStreamLength - 1);
  }
  benchmark::DoNotOptimize(states.data());
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_FeatureUpdate)->Arg(1000)->Arg(100000);

void BM_FeatureUpdateAndScore(benchmark::State& st) {
  const auto customers = static_cast<uint32_t>(st.range(0));
  const auto stream = bench::MakeStream(kStreamLength, customers, 2);
  const processors::FeatureOptions options;
  processors::FeatureUpdater updater(options);
  const processors::FeatureCatalog catalog(options);
  const processors::FeatureId score = *catalog.Find("score");
  std::vector<state::CustomerState> states(customers);
  size_t i = 0;
  double sum = 0;
  for (auto _ : st) {
    const auto& p = stream[i];
    updater.Apply(p.event, states[p.customer]);
    sum += catalog.Value(score, states[p.customer], p.event.time);
    i = (i + 1) & (kStreamLength - 1);
  }
  benchmark::DoNotOptimize(sum);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_FeatureUpdateAndScore)->Arg(1000)->Arg(100000);

void BM_CatalogEveryFeature(benchmark::State& st) {
  const auto stream = bench::MakeStream(1 << 14, 1, 3);
  const processors::FeatureOptions options;
  processors::FeatureUpdater updater(options);
  const processors::FeatureCatalog catalog(options);
  state::CustomerState s;
  for (const auto& p : stream) updater.Apply(p.event, s);
  for (auto _ : st) {
    double sum = 0;
    for (size_t id = 0; id < catalog.size(); ++id) {
      sum += catalog.Value(static_cast<processors::FeatureId>(id), s, s.last_seen);
    }
    benchmark::DoNotOptimize(sum);
  }
  st.SetItemsProcessed(st.iterations() * static_cast<int64_t>(catalog.size()));
}
BENCHMARK(BM_CatalogEveryFeature);

}  // namespace
