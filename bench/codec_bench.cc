// The customer-state codec on a typical active customer: ~60 events over 3 weeks in a
// dozen sessions (views, searches, clicks, a cart, a purchase), default features, and
// its 16 most recent event ids remembered for deduplication. Reports the encoded size.
//   build-features/bench/codec_bench --benchmark_min_time=2

#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "processors/dedup.h"
#include "processors/features.h"
#include "processors/timestamp.h"
#include "state/codec.h"

namespace {

using processors::EventType;

constexpr int64_t kDedupHorizonMs = state::kMsPerDay;

// `with_ids`: remember each event's id, as the pipeline does when records carry one.
state::CustomerState TypicalCustomer(bool with_ids) {
  constexpr EventType kSession[] = {EventType::kPageView, EventType::kPageView,
                                    EventType::kProductView, EventType::kSearch, EventType::kClick};
  processors::FeatureUpdater updater{processors::FeatureOptions{}};
  state::CustomerState s;
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int64_t> jitter(0, 20 * state::kMsPerHour);
  const int64_t start = processors::DaysFromCivil(2024, 3, 1) * state::kMsPerDay;
  int n = 0;
  const auto apply = [&](processors::Event e) {
    const std::string id = "msg-" + std::to_string(n++);
    if (with_ids) {
      processors::Remember(s.recent_ids, processors::HashEventId(id), e.time, kDedupHorizonMs);
    }
    updater.Apply(e, s);
  };
  for (int session = 0; session < 12; ++session) {
    int64_t t = start + session * 42 * state::kMsPerHour + jitter(rng);
    for (const EventType type : kSession) {
      processors::Event e;
      e.type = type;
      e.time = state::TimeMs(t += 40 * state::kMsPerSecond);
      apply(e);
    }
    if (session % 4 == 3) {
      processors::Event cart;
      cart.type = EventType::kAddToCart;
      cart.time = state::TimeMs(t += state::kMsPerMinute);
      apply(cart);
    }
  }
  processors::Event buy;
  buy.type = EventType::kPurchase;
  buy.time = state::TimeMs(start + 20 * state::kMsPerDay);
  buy.revenue = 59.90;
  apply(buy);
  s.segment = "active";
  s.segment_entered_at = buy.time;
  return s;
}

void BM_EncodeTypical(benchmark::State& st) {
  const state::CustomerState s = TypicalCustomer(st.range(0) != 0);
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
  state::EncodeCustomer(TypicalCustomer(st.range(0) != 0), &bytes);
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
