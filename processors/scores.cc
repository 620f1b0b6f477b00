#include "processors/scores.h"

#include <algorithm>

namespace processors {
namespace {

constexpr double kMaxScore = 100;
constexpr int kMinRfm = 1;
constexpr int kMaxRfm = 5;
// Seeds of the two sketches differ so that their coin flips are independent.
constexpr uint64_t kMonetarySeedSalt = 0x9E3779B97F4A7C15ULL;

}  // namespace

ScoreModel::ScoreModel(const ScoreOptions& options)
    : half_life_(MakeHalfLives(std::array<int64_t, 1>{options.half_life_days})) {
  for (int t = 0; t < kEventTypeCount; ++t) {
    sub_of_type_[t] = kTypeSubScore[t];
    type_weight_[t] = options.type_weights[t];
  }
  for (int k = 0; k < kSubScoreCount; ++k) {
    inv_saturation_[k] = 1.0 / options.saturation[k];
    weight_[k] = options.weights[k];
    weight_sum_ += options.weights[k];
  }
}

int HalfLifeSlot(const state::DecayedCounters& c, int64_t days) {
  for (int k = 0; k < state::kMaxHalfLives; ++k) {
    if (c.half_life_days[k] == days) return k;
  }
  return -1;
}

EngagementScores ScoreModel::Compute(const state::CustomerState& s, state::TimeMs now) const {
  EngagementScores out;
  const int slot = HalfLifeSlot(s.decayed, half_life_.days[0]);
  if (slot < 0) return out;
  const double factor = DecayFactor(half_life_, 0, s.decayed.landmark, now);
  std::array<double, kSubScoreCount> x{};
  const auto& sums = s.decayed.sums[slot];
  for (int t = 0; t < kEventTypeCount; ++t) {
    if (sub_of_type_[t] != kNoSubScore) x[sub_of_type_[t]] += type_weight_[t] * sums[t];
  }
  double weighted = 0;
  for (int k = 0; k < kSubScoreCount; ++k) {
    out.sub[k] = kMaxScore * (1 - FastExp2(-x[k] * factor * inv_saturation_[k]));
    weighted += weight_[k] * out.sub[k];
  }
  out.overall = weight_sum_ > 0 ? weighted / weight_sum_ : 0;
  return out;
}

int ScoreAscending(double v, const CutPoints& cuts) {
  int score = kMinRfm;
  for (const double c : cuts) score += v >= c ? 1 : 0;
  return score;
}

int ScoreRecency(double days, const CutPoints& cuts) {
  int score = kMaxRfm;
  for (const double c : cuts) score -= days > c ? 1 : 0;
  return score;
}

RfmScorer::RfmScorer(const RfmOptions& options, uint64_t seed)
    : options_(options),
      frequency_(QuantileSketch::kDefaultK, seed),
      monetary_(QuantileSketch::kDefaultK, seed ^ kMonetarySeedSalt) {}

int RfmScorer::Score(const QuantileSketch& sketch, const CutPoints& cuts, double v) const {
  if (!options_.quantiles || sketch.count() < options_.min_samples) {
    return ScoreAscending(v, cuts);
  }
  const int score = kMinRfm + static_cast<int>(sketch.MidRank(v) * kMaxRfm);
  return std::clamp(score, kMinRfm, kMaxRfm);
}

void RfmScorer::OnPurchase(int64_t frequency, state::Purchases& p) {
  const auto f = static_cast<double>(frequency);
  if (options_.quantiles) {
    frequency_.Add(f);
    monetary_.Add(p.revenue_total);
  }
  p.f_score = static_cast<uint8_t>(Score(frequency_, options_.frequency, f));
  p.m_score = static_cast<uint8_t>(Score(monetary_, options_.monetary, p.revenue_total));
}

}  // namespace processors
