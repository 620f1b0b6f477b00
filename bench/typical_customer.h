#pragma once

// A typical active customer for the benchmarks: ~60 events over 3 weeks in a dozen
// sessions (views, searches, clicks, a cart, a purchase), default features, and (with
// `with_ids`) its most recent event ids remembered for deduplication, as the pipeline
// does when records carry one.

#include <random>
#include <string>

#include "processors/dedup.h"
#include "processors/features.h"
#include "processors/timestamp.h"
#include "state/customer_state.h"

namespace bench {

inline constexpr int64_t kDedupHorizonMs = state::kMsPerDay;

inline state::CustomerState TypicalCustomer(bool with_ids) {
  constexpr processors::EventType kSession[] = {
      processors::EventType::kPageView, processors::EventType::kPageView,
      processors::EventType::kProductView, processors::EventType::kSearch,
      processors::EventType::kClick};
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
    for (const processors::EventType type : kSession) {
      processors::Event e;
      e.type = type;
      e.time = state::TimeMs(t += 40 * state::kMsPerSecond);
      apply(e);
    }
    if (session % 4 == 3) {
      processors::Event cart;
      cart.type = processors::EventType::kAddToCart;
      cart.time = state::TimeMs(t += state::kMsPerMinute);
      apply(cart);
    }
  }
  processors::Event buy;
  buy.type = processors::EventType::kPurchase;
  buy.time = state::TimeMs(start + 20 * state::kMsPerDay);
  buy.revenue = 59.90;
  apply(buy);
  s.segment = "active";
  s.segment_entered_at = buy.time;
  return s;
}

}  // namespace bench
