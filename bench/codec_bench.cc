// The customer-state codec on a typical active customer: ~60 events over 3 weeks in a
// dozen sessions (views, searches, clicks, a cart, a purchase), default features, and
// its 16 most recent event ids remembered for deduplication. Reports the encoded size.
//   build-features/bench/codec_bench --benchmark_min_time=2

#include <benchmark/benchmark.h>

#include <string>

#include "bench/typical_customer.h"
#include "state/codec.h"

namespace {

void BM_EncodeTypical(benchmark::State& st) {
  const state::CustomerState s = bench::TypicalCustomer(st.range(0) != 0);
  std::string out;
  for (auto _ : st) {
    out.clear();
    state::EncodeCustomer(s, &out);
    benchmark::DoNotOptimize(out.data());
  }
  st.counters["bytes_per_customer"] = static_cast<double>(out.size());
  st.counters["events"] = static_cast<double>(s.events_total);
  st.SetItemsProcessed(st.iterations());
  st.SetBytesProcessed(st.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_EncodeTypical)->ArgName("with_recent_ids")->Arg(0)->Arg(1);

void BM_DecodeTypical(benchmark::State& st) {
  std::string bytes;
  state::EncodeCustomer(bench::TypicalCustomer(st.range(0) != 0), &bytes);
  for (auto _ : st) {
    auto s = state::DecodeCustomer(bytes);
    benchmark::DoNotOptimize(s);
  }
  st.counters["bytes_per_customer"] = static_cast<double>(bytes.size());
  st.SetItemsProcessed(st.iterations());
  st.SetBytesProcessed(st.iterations() * static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_DecodeTypical)->ArgName("with_recent_ids")->Arg(0)->Arg(1);

}  // namespace
