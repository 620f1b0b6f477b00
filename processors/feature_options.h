#pragma once

// The tunables of the per-customer features (the `features:` section of the config;
// docs/features.md explains each). Plain data; immutable after loading; thread-safe.

#include <array>
#include <cstdint>
#include <vector>

#include "processors/event.h"
#include "state/customer_state.h"
#include "state/types.h"

namespace processors {

// The four engagement types of SPEC §2, each reported as a sub-score.
enum class SubScore : uint8_t { kEmotional, kContextual, kConvenience, kSocial };
inline constexpr int kSubScoreCount = 4;

// Which sub-score each event type feeds (SPEC §2); kNoSubScore for
// types that are not the customer's own engagement (impressions, deliveries, custom).
inline constexpr int kNoSubScore = -1;
inline constexpr std::array<int, kEventTypeCount> kTypeSubScore = {
    1,  1, 1, 1, -1,  // page_view, product_view, search, click (contextual); impression
    -1, 1, 1,         // email_delivered; email_open, email_click (content consumption)
    3,  3, 3, 3,      // like, share, comment, referral (social)
    2,  2, 2, 2, 2,   // add_to_cart, checkout, purchase, signup, subscribe (convenience)
    0,  0, 0,         // loyalty, review, survey (emotional)
    2,  2,            // support (self-service), app_open (convenience)
    -1,               // custom
};

struct ScoreOptions {
  // The decayed counts the score is computed from: one of half_lives_days. Default 30.
  // Unit: days.
  int64_t half_life_days = 30;
  // Weight of each sub-score in the overall score (emotional, contextual, convenience,
  // social). Default 1 each. Unit: none (relative). At least one must be positive.
  std::array<double, kSubScoreCount> weights = {1, 1, 1, 1};
  // The weighted decayed count at which a sub-score reaches 50 (it reaches 75 at twice
  // that, and so on). Default emotional 2, contextual 20, convenience 5, social 3.
  // Unit: weighted events.
  std::array<double, kSubScoreCount> saturation = {2, 20, 5, 3};
  // How much one event of each type counts towards its sub-score. Default 1 for every
  // type with a sub-score (kTypeSubScore), 3 for purchase and referral. Unit: none.
  std::array<double, kEventTypeCount> type_weights = DefaultTypeWeights();

  static constexpr std::array<double, kEventTypeCount> DefaultTypeWeights() {
    std::array<double, kEventTypeCount> w{};
    for (int i = 0; i < kEventTypeCount; ++i) w[i] = kTypeSubScore[i] == kNoSubScore ? 0 : 1;
    w[static_cast<int>(EventType::kPurchase)] = 3;
    w[static_cast<int>(EventType::kReferral)] = 3;
    return w;
  }
};

// Four ascending cut points c1 < c2 < c3 < c4 splitting a value into scores 1–5.
using CutPoints = std::array<double, 4>;

struct RfmOptions {
  // Score frequency and monetary from population quantiles (20/40/60/80 %) kept in a
  // streaming sketch of this partition's purchasers, instead of the cut points below.
  // The sketch is in memory only (rebuilt after a restart), so the default is false:
  // cut points are deterministic across restarts and split replays. Default false.
  bool quantiles = false;
  // Purchases needed in the sketch before its quantiles are used (cut points until
  // then). Default 100. Unit: purchases.
  int64_t min_samples = 100;
  // Recency: score 5 at most c1 days since the last purchase, 4 at most c2, ... 1 above
  // c4. Default [7, 30, 90, 180]. Unit: days.
  CutPoints recency_days = {7, 30, 90, 180};
  // Frequency: score 1 below c1 purchases, 2 from c1, ... 5 from c4.
  // Default [2, 3, 5, 10]. Unit: purchases.
  CutPoints frequency = {2, 3, 5, 10};
  // Monetary: score 1 below c1, ... 5 from c4. Default [50, 100, 250, 1000]. Unit:
  // currency units (revenue is summed as it arrives, not converted).
  CutPoints monetary = {50, 100, 250, 1000};
};

struct FeatureOptions {
  // Half-lives of the decayed counters; 1 to state::kMaxHalfLives distinct values,
  // each 1–3650. Default [7, 30]. Unit: days.
  std::vector<int64_t> half_lives_days = {7, 30};
  // A gap longer than this between two events starts a new session. Default 1800000
  // (30 minutes). Unit: ms.
  int64_t session_gap_ms = 30 * state::kMsPerMinute;
  // Event types that make a session converting. Default purchase, signup, subscribe.
  std::vector<EventType> conversion_types = {EventType::kPurchase, EventType::kSignup,
                                             EventType::kSubscribe};
  ScoreOptions score;
  RfmOptions rfm;
};

}  // namespace processors
