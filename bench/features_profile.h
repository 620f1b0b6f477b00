#pragma once

// A synthetic but realistic event stream for the feature and codec benchmarks: customers
// browse in sessions of a few events (page and product views, searches, clicks), some add
// to cart and a few buy; one event in five arrives up to an hour late.

#include <cstdint>
#include <random>
#include <vector>

#include "processors/event.h"
#include "processors/timestamp.h"
#include "state/types.h"

namespace bench {

struct ProfiledEvent {
  processors::Event event;
  uint32_t customer;
};

// `n` events over `customers` customers, in stream order, starting 2024-03-01.
inline std::vector<ProfiledEvent> MakeStream(size_t n, uint32_t customers, uint64_t seed) {
  using processors::EventType;
  constexpr EventType kMix[] = {
      EventType::kPageView,       EventType::kPageView,  EventType::kPageView,
      EventType::kPageView,       EventType::kPageView,  EventType::kProductView,
      EventType::kProductView,    EventType::kSearch,    EventType::kClick,
      EventType::kImpression,     EventType::kAddToCart, EventType::kEmailOpen,
      EventType::kEmailDelivered, EventType::kAppOpen,   EventType::kLike,
      EventType::kPurchase,
  };
  constexpr int kMixSize = sizeof(kMix) / sizeof(kMix[0]);
  constexpr int64_t kMeanGapMs = 50;  // stream time advances ~20 events per second
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<uint32_t> who(0, customers - 1);
  std::uniform_int_distribution<int> what(0, kMixSize - 1);
  std::uniform_int_distribution<int64_t> lateness(0, state::kMsPerHour);
  std::uniform_int_distribution<int> percent(0, 99);
  std::vector<ProfiledEvent> out(n);
  int64_t stream = processors::DaysFromCivil(2024, 3, 1) * state::kMsPerDay;
  for (auto& p : out) {
    stream += kMeanGapMs;
    p.customer = who(rng);
    p.event.type = kMix[what(rng)];
    p.event.time = state::TimeMs(percent(rng) < 20 ? stream - lateness(rng) : stream);
    if (p.event.type == EventType::kPurchase) p.event.revenue = 10 + percent(rng);
  }
  return out;
}

}  // namespace bench
