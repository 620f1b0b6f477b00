#include "processors/decay.h"

namespace processors {

void AdoptHalfLives(const HalfLives& h, state::DecayedCounters& c) {
  bool same = true;
  for (int k = 0; k < state::kMaxHalfLives; ++k) {
    const uint16_t want = k < h.count ? h.days[k] : 0;
    same = same && c.half_life_days[k] == want;
  }
  if (same) return;
  state::DecayedCounters adopted;
  adopted.landmark = c.landmark;
  for (int k = 0; k < h.count; ++k) {
    adopted.half_life_days[k] = h.days[k];
    for (int old = 0; old < state::kMaxHalfLives; ++old) {
      if (c.half_life_days[old] != h.days[k]) continue;
      adopted.sums[k] = c.sums[old];
      adopted.revenue[k] = c.revenue[old];
    }
  }
  c = adopted;
}

void MaybeRenormalise(const HalfLives& h, state::TimeMs t, state::DecayedCounters& c) {
  if (static_cast<double>(t.value() - c.landmark.value()) <= h.renorm_after_ms) return;
  const state::TimeMs landmark(UtcDay(t) * state::kMsPerDay);
  for (int k = 0; k < h.count; ++k) {
    // Rare (once per kRenormHalfLives half-lives of activity), so exact std::exp2.
    const double scale =
        std::exp2(-static_cast<double>(landmark.value() - c.landmark.value()) * h.inv_ms[k]);
    for (double& s : c.sums[k]) s *= scale;
    c.revenue[k] *= scale;
  }
  c.landmark = landmark;
}

}  // namespace processors
