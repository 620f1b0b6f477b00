// Forward decay: FastExp2's accuracy, and decayed counters against a brute-force
// recomputation over random, partly out-of-order event sequences.

#include "processors/decay.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "processors/feature_catalog.h"
#include "processors/features.h"
#include "processors/timestamp.h"

namespace processors {
namespace {

using state::TimeMs;

constexpr int64_t kDay = state::kMsPerDay;
const int64_t kT0 = DaysFromCivil(2024, 1, 1) * kDay;

TEST(FastExp2Test, IsWithinAFewUlpOfExp2) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> x(-1022, 1023);
  double worst = 0;
  for (int i = 0; i < 1000000; ++i) {
    const double v = x(rng);
    const long double exact = std::exp2(static_cast<long double>(v));
    worst = std::max(worst, static_cast<double>(std::fabs((FastExp2(v) - exact) / exact)));
  }
  EXPECT_LT(worst, 1e-15);
  EXPECT_EQ(FastExp2(0), 1);
  EXPECT_EQ(FastExp2(1), 2);
  EXPECT_EQ(FastExp2(-3), 0.125);
  EXPECT_EQ(FastExp2(-2000), 0);
  EXPECT_EQ(FastExp2(NAN), 0);
  EXPECT_TRUE(std::isinf(FastExp2(2000)));
}

TEST(UtcDayTest, RoundsTowardsMinusInfinity) {
  EXPECT_EQ(UtcDay(TimeMs(0)), 0);
  EXPECT_EQ(UtcDay(TimeMs(kDay - 1)), 0);
  EXPECT_EQ(UtcDay(TimeMs(kDay)), 1);
  EXPECT_EQ(UtcDay(TimeMs(-1)), -1);
  EXPECT_EQ(UtcDay(TimeMs(-kDay)), -1);
  EXPECT_EQ(UtcDay(TimeMs(-kDay - 1)), -2);
}

struct Recorded {
  int64_t time;
  EventType type;
  double revenue;
};

// Σ w_i 2^(−(now − t_i)/h) in long double.
long double BruteForce(const std::vector<Recorded>& events, EventType type, bool revenue,
                       int64_t now, int64_t half_life_days) {
  long double sum = 0;
  for (const Recorded& r : events) {
    if (r.type != type) continue;
    const long double age = static_cast<long double>(now - r.time) / (half_life_days * kDay);
    sum += (revenue ? r.revenue : 1.0L) * std::exp2(-age);
  }
  return sum;
}

TEST(DecayPropertyTest, MatchesBruteForceOverRandomOutOfOrderSequences) {
  FeatureOptions o;
  o.half_lives_days = {1, 7, 30};
  o.score.half_life_days = 7;
  const FeatureCatalog catalog(o);
  const int64_t lateness = 7 * kDay;
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> gap(1.0 / (6.0 * state::kMsPerHour));
  std::uniform_int_distribution<int64_t> late(0, lateness);
  std::uniform_real_distribution<double> unit(0, 1);
  int renormalised = 0;
  for (int trial = 0; trial < 40; ++trial) {
    FeatureUpdater updater(o);
    state::CustomerState s;
    std::vector<Recorded> events;
    int64_t stream = kT0;
    const int n = 100 + trial * 20;
    for (int i = 0; i < n; ++i) {
      stream += static_cast<int64_t>(gap(rng));
      const int64_t t = unit(rng) < 0.3 ? stream - late(rng) : stream;  // 30 % late
      Event e;
      e.type = unit(rng) < 0.3 ? EventType::kPurchase : EventType::kClick;
      e.time = TimeMs(t);
      if (e.type == EventType::kPurchase) e.revenue = std::round(unit(rng) * 10000) / 100;
      updater.Apply(e, s);
      events.push_back({t, e.type, e.revenue.value_or(0)});
    }
    renormalised += s.decayed.landmark.value() > kT0 ? 1 : 0;
    const int64_t now = stream + static_cast<int64_t>(unit(rng) * 10 * kDay);
    for (const int64_t h : o.half_lives_days) {
      const std::string suffix = "_" + std::to_string(h) + "d_decayed";
      const auto check = [&](const std::string& name, EventType type, bool revenue) {
        const long double want = BruteForce(events, type, revenue, now, h);
        const double got = catalog.Value(*catalog.Find(name), s, TimeMs(now));
        EXPECT_LE(std::fabs((got - want) / want), 1e-9L)
            << name << " trial " << trial << ": got " << got << " want "
            << static_cast<double>(want);
      };
      check("clicks" + suffix, EventType::kClick, false);
      check("purchases" + suffix, EventType::kPurchase, false);
      check("revenue" + suffix, EventType::kPurchase, true);
    }
  }
  // The sequences span 25 to 250 days: more than 64 one-day half-lives, so the
  // landmark moved in most trials and the renormalisation is covered.
  EXPECT_GT(renormalised, 20);
}

TEST(AdoptHalfLivesTest, MovesMatchingSumsAndDropsOthers) {
  state::DecayedCounters c;
  c.half_life_days = {7, 30, 0, 0};
  c.sums[0][0] = 1;
  c.sums[1][0] = 2;
  c.revenue[1] = 5;
  const std::array<int64_t, 2> days = {30, 90};
  AdoptHalfLives(MakeHalfLives(days), c);
  EXPECT_EQ(c.half_life_days, (std::array<uint16_t, 4>{30, 90, 0, 0}));
  EXPECT_EQ(c.sums[0][0], 2);
  EXPECT_EQ(c.revenue[0], 5);
  EXPECT_EQ(c.sums[1][0], 0);
}

TEST(RenormaliseTest, KeepsDecayedValuesWhileMovingTheLandmark) {
  const std::array<int64_t, 1> days = {1};
  const HalfLives h = MakeHalfLives(days);
  state::DecayedCounters c;
  c.half_life_days[0] = 1;
  c.landmark = TimeMs(kT0);
  c.sums[0][0] = 1;  // one event at the landmark
  const TimeMs later(kT0 + 100 * kDay + 5);
  MaybeRenormalise(h, later, c);
  EXPECT_EQ(c.landmark, TimeMs(kT0 + 100 * kDay));
  EXPECT_NEAR(c.sums[0][0] * DecayFactor(h, 0, c.landmark, later), std::exp2(-100.0 - 5.0 / kDay),
              1e-40);
  const TimeMs soon(kT0 + 100 * kDay + kDay);
  MaybeRenormalise(h, soon, c);  // within 64 half-lives: no move
  EXPECT_EQ(c.landmark, TimeMs(kT0 + 100 * kDay));
}

}  // namespace
}  // namespace processors
