// Churn scoring: the risk of one customer (BG/NBD P(alive) and the engagement left)
// and its band, as a wake timer or an event computes it; and the expected purchases
// that a churn-risk event carries. Customers are weekly-to-monthly buyers with 1-40
// purchase days, scored 0-120 days after their last purchase.
//   build/bench/churn_bench --benchmark_min_time=2

#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "processors/churn/risk.h"

namespace {

namespace churn = processors::churn;
constexpr int64_t kDay = state::kMsPerDay;
constexpr size_t kCustomers = 4096;

struct Case {
  state::CustomerState state;
  state::TimeMs now;
};

std::vector<Case> Cases() {
  std::mt19937_64 rng(7);
  std::vector<Case> out(kCustomers);
  for (Case& c : out) {
    const int days = 1 + static_cast<int>(rng() % 40);
    const int64_t gap = (7 + static_cast<int64_t>(rng() % 24)) * kDay;
    c.state.first_seen = state::TimeMs(0);
    c.state.purchases.first = state::TimeMs(0);
    c.state.purchases.distinct_days = days;
    c.state.purchases.last = state::TimeMs((days - 1) * gap);
    c.state.last_seen = c.state.purchases.last;
    c.now = state::TimeMs(c.state.last_seen.value() + static_cast<int64_t>(rng() % 121) * kDay);
  }
  return out;
}

churn::ChurnScorer Scorer() {
  churn::ChurnModel m;
  m.params = {0.2426, 4.4136, 0.7929, 2.4259};  // CDNOW, weeks
  return churn::ChurnScorer(churn::ChurnOptions{}, std::make_shared<const churn::ChurnModel>(m),
                            nullptr);
}

void BM_ScoreAndBand(benchmark::State& st) {
  const auto cases = Cases();
  const churn::ChurnScorer scorer = Scorer();
  size_t i = 0;
  for (auto _ : st) {
    const Case& c = cases[i++ % kCustomers];
    const churn::ChurnScore s = scorer.Score(c.state, c.now);
    benchmark::DoNotOptimize(
        churn::NextChurnBand(state::ChurnBand::kLow, s.risk, scorer.options()));
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_ScoreAndBand);

// Only on a band change (the event's expected_purchases_30d): a 2F1 series.
void BM_ExpectedPurchases30d(benchmark::State& st) {
  const auto cases = Cases();
  const churn::ChurnScorer scorer = Scorer();
  std::vector<churn::ChurnScore> scores;
  for (const Case& c : cases) scores.push_back(scorer.Score(c.state, c.now));
  size_t i = 0;
  for (auto _ : st) {
    benchmark::DoNotOptimize(scorer.ExpectedPurchases30d(scores[i++ % kCustomers]));
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_ExpectedPurchases30d);

}  // namespace
