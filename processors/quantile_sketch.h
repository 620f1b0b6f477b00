#pragma once

// A mergeable streaming quantile sketch: KLL (Karnin, Lang & Liberty, "Optimal
// Quantile Approximation in Streams", FOCS 2016), the lazy variant of Apache
// DataSketches. It keeps O(k · log(n/k)) values; a query's rank error is about
// 1.7 / k · n with high probability: with the default k = 200, |rank(Quantile(q)) / n − q|
// stays below 0.02 (tested in tests/processors/quantile_sketch_test.cc against exact
// quantiles, also after merges).
//
// Deterministic: its coin flips come from a seeded generator, so the same inputs in the
// same order give the same sketch. Not thread-safe; one owner (processors/features.h
// keeps one per partition task).

#include <cstddef>
#include <cstdint>
#include <vector>

namespace processors {

class QuantileSketch {
 public:
  // The default accuracy parameter: ~1% rank error, a few KB of memory.
  static constexpr int kDefaultK = 200;

  // REQUIRES: k >= 8.
  explicit QuantileSketch(int k = kDefaultK, uint64_t seed = 1);

  // Adds one value. NaN is ignored.
  void Add(double v);
  // Adds every value `other` summarises. REQUIRES: other.k() == k().
  void Merge(const QuantileSketch& other);

  // Values added (directly or through merges).
  int64_t count() const { return n_; }
  int k() const { return k_; }
  // Values retained (for tests and memory accounting).
  size_t retained() const;

  // The value whose normalised rank is closest to q in [0, 1] (the smallest value at
  // q = 0, the largest at q = 1). REQUIRES: count() > 0.
  double Quantile(double q) const;
  // The approximate fraction of added values <= v; 0 when empty.
  double Rank(double v) const;
  // The approximate fraction of added values below v plus half of those equal to v
  // (the mid-rank, fair to ties); 0 when empty.
  double MidRank(double v) const;

 private:
  size_t Capacity(size_t level) const;
  void CompressIfFull();
  void CompactLevel(size_t level);
  uint64_t NextRandom();

  int k_;
  uint64_t rng_;
  int64_t n_ = 0;
  size_t max_retained_ = 0;
  // levels_[h] holds values of weight 2^h.
  std::vector<std::vector<double>> levels_;
};

}  // namespace processors
