// The KLL sketch against exact quantiles: the rank of every returned quantile is within
// the stated bound (0.02 of n at k = 200), also after merges.

#include "processors/quantile_sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace processors {
namespace {

constexpr double kRankErrorBound = 0.02;

// The largest |exact normalised rank of Quantile(q) − q| over q = 0.01 .. 0.99. The
// exact rank of a value v is the interval [#(< v), #(<= v)] / n; the error is 0 when q
// falls inside it.
double WorstRankError(const QuantileSketch& sketch, std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const auto n = static_cast<double>(values.size());
  double worst = 0;
  for (int i = 1; i < 100; ++i) {
    const double q = i / 100.0;
    const double v = sketch.Quantile(q);
    const double lo = (std::lower_bound(values.begin(), values.end(), v) - values.begin()) / n;
    const double hi = (std::upper_bound(values.begin(), values.end(), v) - values.begin()) / n;
    worst = std::max(worst, q < lo ? lo - q : (q > hi ? q - hi : 0.0));
  }
  return worst;
}

std::vector<double> Draw(int n, int kind, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0, 1000);
  std::lognormal_distribution<double> money(3.5, 1.2);
  std::geometric_distribution<int> counts(0.3);
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) {
    switch (kind) {
      case 0:
        v[i] = uniform(rng);
        break;
      case 1:
        v[i] = money(rng);
        break;
      case 2:
        v[i] = counts(rng);
        break;  // heavy ties
      default:
        v[i] = i;
        break;  // sorted input, the adversarial order
    }
  }
  return v;
}

TEST(QuantileSketchTest, IsExactWhileSmall) {
  QuantileSketch s;
  for (int i = 1; i <= 100; ++i) s.Add(i);
  EXPECT_EQ(s.count(), 100);
  EXPECT_EQ(s.Quantile(0), 1);
  EXPECT_EQ(s.Quantile(0.5), 50);
  EXPECT_EQ(s.Quantile(1), 100);
  EXPECT_DOUBLE_EQ(s.Rank(25), 0.25);
  EXPECT_DOUBLE_EQ(s.MidRank(25), 0.245);
  s.Add(NAN);
  EXPECT_EQ(s.count(), 100);
}

TEST(QuantileSketchTest, RankErrorWithinBoundOnRandomData) {
  for (int kind = 0; kind < 4; ++kind) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      const auto values = Draw(200000, kind, seed);
      QuantileSketch s(QuantileSketch::kDefaultK, seed);
      for (const double v : values) s.Add(v);
      EXPECT_EQ(s.count(), 200000);
      EXPECT_LT(s.retained(), 2000u) << "kind " << kind;
      EXPECT_LE(WorstRankError(s, values), kRankErrorBound) << "kind " << kind << " seed " << seed;
    }
  }
}

TEST(QuantileSketchTest, MergedSketchesKeepTheBound) {
  const auto values = Draw(300000, 1, 9);
  std::vector<QuantileSketch> parts;
  for (int p = 0; p < 6; ++p) parts.emplace_back(QuantileSketch::kDefaultK, p + 1);
  for (size_t i = 0; i < values.size(); ++i) parts[i % parts.size()].Add(values[i]);
  QuantileSketch merged(QuantileSketch::kDefaultK, 99);
  for (const auto& p : parts) merged.Merge(p);
  EXPECT_EQ(merged.count(), 300000);
  EXPECT_LE(WorstRankError(merged, values), kRankErrorBound);
}

TEST(QuantileSketchTest, IsDeterministicForASeed) {
  const auto values = Draw(50000, 0, 4);
  QuantileSketch a(QuantileSketch::kDefaultK, 5), b(QuantileSketch::kDefaultK, 5);
  for (const double v : values) {
    a.Add(v);
    b.Add(v);
  }
  for (int i = 0; i <= 10; ++i) EXPECT_EQ(a.Quantile(i / 10.0), b.Quantile(i / 10.0));
}

}  // namespace
}  // namespace processors
