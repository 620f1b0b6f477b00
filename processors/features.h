#pragma once

// Folds one valid event into a customer's rolling engagement state (SPEC §4): counts,
// forward-decayed counters, exact day windows, sessions, purchases, feedback and RFM
// scores. Pure logic (no I/O); the meaning of each field is in state/customer_state.h,
// the features derived from them in processors/feature_catalog.h and docs/features.md.

#include <cstdint>

#include "processors/decay.h"
#include "processors/event.h"
#include "processors/feature_options.h"
#include "processors/scores.h"
#include "state/customer_state.h"

namespace processors {

// Counts `e` and moves first/last seen. An event older than last_seen (late, within
// the allowed lateness) is counted but does not move last_seen back. Pure; thread-safe.
void ApplyEvent(const Event& e, state::CustomerState& s);

// Built once from the config, then applied to every valid event of one partition.
// Owned by that partition's task; used from its thread; not thread-safe (it holds the
// partition's RFM population sketches).
class FeatureUpdater {
 public:
  // REQUIRES: `options` passed the config validation (topologies/config.h).
  // `seed` makes the RFM sketches' coin flips deterministic (use the partition).
  explicit FeatureUpdater(const FeatureOptions& options, uint64_t seed = 1);

  // Folds `e` into `s`: everything ApplyEvent does, then every feature of SPEC §4.
  // Out-of-order events (within the allowed lateness) are exact for the decayed
  // counters and day windows; sessions treat them as processors/sessions.h says.
  void Apply(const Event& e, state::CustomerState& s);

  const HalfLives& half_lives() const { return half_lives_; }

 private:
  void UpdateDecayed(const Event& e, bool session_started, bool first_event,
                     state::CustomerState& s) const;
  void UpdateDays(const Event& e, int64_t day, bool session_started, int64_t first_day,
                  int64_t last_day, state::CustomerState& s);
  void UpdatePurchase(const Event& e, bool new_day, state::CustomerState& s);
  static void UpdateFeedback(const Event& e, state::Feedback& f);

  HalfLives half_lives_;
  int64_t session_gap_ms_;
  uint32_t conversion_mask_ = 0;  // bit t set when EventType t converts
  RfmScorer rfm_;
};

}  // namespace processors
