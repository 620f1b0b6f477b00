#pragma once

// The engagement score with its four sub-scores, and the RFM scores (docs/features.md
// gives the formulas). ScoreModel is immutable after construction and thread-safe;
// RfmScorer holds this partition's population sketches: one owner, not thread-safe.

#include <array>
#include <cstdint>

#include "processors/decay.h"
#include "processors/feature_options.h"
#include "processors/quantile_sketch.h"
#include "state/customer_state.h"
#include "state/types.h"

namespace processors {

struct EngagementScores {
  double overall = 0;                        // 0–100
  std::array<double, kSubScoreCount> sub{};  // 0–100 each, indexed by SubScore
};

// Sub-score k = 100 · (1 − 2^(−x_k / saturation_k)), where x_k is the sum over the
// event types of k of type_weight × the type's decayed count (half-life
// score.half_life_days) at `now`; overall = Σ_k weight_k · sub_k / Σ_k weight_k.
// Cost: one FastExp2 for the decay factor and one per sub-score; no allocation.
class ScoreModel {
 public:
  // REQUIRES: options were validated (score.half_life_days is one of the half-lives,
  // saturations > 0, weights >= 0 with a positive sum).
  explicit ScoreModel(const ScoreOptions& options);

  // The scores of `s` at `now`; all 0 when `s` has no decayed counts with the
  // configured half-life.
  EngagementScores Compute(const state::CustomerState& s, state::TimeMs now) const;

 private:
  HalfLives half_life_;  // just the score's half-life
  std::array<int, kEventTypeCount> sub_of_type_{};
  std::array<double, kEventTypeCount> type_weight_{};
  std::array<double, kSubScoreCount> inv_saturation_{};
  std::array<double, kSubScoreCount> weight_{};
  double weight_sum_ = 0;
};

// The slot of `c` holding sums for a half-life of `days`, or −1.
int HalfLifeSlot(const state::DecayedCounters& c, int64_t days);

// 1 + the number of cut points <= v: 1 below c1, 5 from c4 (frequency, monetary).
int ScoreAscending(double v, const CutPoints& cuts);
// 5 − the number of cut points < days: 5 at most c1 days, 1 beyond c4 (recency).
int ScoreRecency(double days, const CutPoints& cuts);

// Scores frequency and monetary at each purchase, from cut points or (rfm.quantiles)
// from the mid-rank of the value among this partition's purchases: 1 + ⌊5 · rank⌋.
class RfmScorer {
 public:
  RfmScorer(const RfmOptions& options, uint64_t seed);

  // After a purchase brought the customer to `frequency` purchases: feeds the sketches
  // (quantile mode) and stores the F and M scores in `p`.
  void OnPurchase(int64_t frequency, state::Purchases& p);

 private:
  int Score(const QuantileSketch& sketch, const CutPoints& cuts, double v) const;

  RfmOptions options_;
  QuantileSketch frequency_;
  QuantileSketch monetary_;
};

}  // namespace processors
