#pragma once

// The rolling engagement state of one customer, as kept in RocksDB and in the
// write-back cache. Plain data: the logic that updates it lives in processors/
// (processors/features.h), the binary encoding in state/codec.h, the meaning of every
// derived feature in docs/features.md. Every field states its unit.
//
// Owned by the partition task that owns the customer; not thread-safe.
//
// In memory the arrays are dense (fast, branch-free updates: about 2.7 KB per cached
// customer); the codec writes only their non-zero entries.

#include <array>
#include <cstdint>
#include <string>

#include "state/recent_ids.h"
#include "state/types.h"

namespace state {

// The number of canonical event types, processors::kEventTypeCount (state/ cannot see
// processors/; a static_assert in processors/features.cc keeps the two equal).
inline constexpr int kTypeCount = 23;
// Counted series: one per event type (indexed by processors::EventType), then
// sessions (a session counts once, at the event that started it).
inline constexpr int kSessionSeries = kTypeCount;
inline constexpr int kSeriesCount = kTypeCount + 1;
// At most this many decay half-lives may be configured.
inline constexpr int kMaxHalfLives = 4;
// Exact rolling windows cover this many UTC days (today and the 27 before it).
inline constexpr int kWindowDays = 28;

// Forward-decayed counters (Cormode, Shkapenyuk, Srivastava & Xu 2009) against the
// landmark `landmark`: for half-life h_k, sums[k][i] = Σ_j 2^((t_j − L)/h_k) over the
// events j of series i, and revenue[k] = Σ_j revenue_j · 2^((t_j − L)/h_k) over the
// purchases. The decayed value at time t is sum · 2^(−(t − L)/h_k).
struct DecayedCounters {
  TimeMs landmark{0};  // L, ms since the epoch (UTC)
  // The half-lives the sums were kept with, in days; 0 = slot unused.
  std::array<uint16_t, kMaxHalfLives> half_life_days{};
  std::array<std::array<double, kSeriesCount>, kMaxHalfLives> sums{};  // unitless weights
  std::array<double, kMaxHalfLives> revenue{};                         // currency units × weight

  bool operator==(const DecayedCounters&) const = default;
};

// Exact counts per UTC day for the last kWindowDays days, in a ring: day d (days since
// 1970-01-01 UTC) lives in slot d mod kWindowDays while head_day − kWindowDays < d <=
// head_day.
struct DayWindows {
  int32_t head_day = 0;  // the newest day the ring holds, days since the epoch (UTC)
  // counts[slot][series]: events (or sessions started) that day; saturates at 65535.
  std::array<std::array<uint16_t, kSeriesCount>, kWindowDays> counts{};
  // Revenue of that day's purchases, currency units.
  std::array<double, kWindowDays> revenue{};

  bool operator==(const DayWindows&) const = default;
};

// Sessions: runs of events separated by less than the configured inactivity gap.
struct Sessions {
  TimeMs start{0};                 // first event of the current (latest) session, ms since epoch
  TimeMs last{0};                  // latest event of the current session, ms since epoch
  int64_t count = 0;               // sessions started, ever
  int64_t active_ms = 0;           // Σ over sessions of (last event − first event), ms
  int64_t converting = 0;          // sessions holding at least one conversion event
  bool current_converted = false;  // the current session has counted as converting

  bool operator==(const Sessions&) const = default;
};

// Purchases (events of type purchase) and their money.
struct Purchases {
  double revenue_total = 0;   // Σ revenue of purchases, currency units (not converted)
  int64_t with_revenue = 0;   // purchases that carried a revenue, count
  TimeMs first{0};            // earliest purchase, ms since epoch; 0 when none
  TimeMs last{0};             // latest purchase, ms since epoch; 0 when none
  int32_t distinct_days = 0;  // UTC days with at least one purchase, count
  // RFM frequency and monetary scores 1–5, computed at the latest purchase (0 = none).
  uint8_t f_score = 0;
  uint8_t m_score = 0;

  bool operator==(const Purchases&) const = default;
};

// The latest answer to one kind of survey.
struct LatestScore {
  double value = 0;  // in the survey's own scale (NPS 0–10)
  TimeMs time{0};    // event time of the answer, ms since epoch
  bool present = false;

  bool operator==(const LatestScore&) const = default;
};

// Reviews and surveys.
struct Feedback {
  double rating_sum = 0;     // Σ review ratings, in the source's scale
  int64_t rating_count = 0;  // reviews that carried a rating
  LatestScore nps;
  LatestScore csat;
  LatestScore ces;

  bool operator==(const Feedback&) const = default;
};

// The churn-risk band the customer was last placed in (processors/churn/risk.h).
enum class ChurnBand : uint8_t { kNone = 0, kLow = 1, kMedium = 2, kHigh = 3 };

// The latest churn-risk evaluation.
struct ChurnState {
  ChurnBand band = ChurnBand::kNone;
  double risk = 0;  // 0–1, at the evaluation that set `band` or later
  TimeMs since{0};  // event time the customer entered `band`, ms since epoch

  bool operator==(const ChurnState&) const = default;
};

struct CustomerState {
  // Event time of the first and of the latest valid event, ms since the epoch (UTC).
  TimeMs first_seen{0};
  TimeMs last_seen{0};
  // Number of valid events counted for this customer (after deduplication).
  int64_t events_total = 0;
  // Name of the segment the customer is in; empty when in none.
  std::string segment;
  // Event time at which the customer entered `segment`, ms since the epoch.
  TimeMs segment_entered_at{0};

  // The recent event ids, for deduplication (processors/dedup.h).
  RecentIds recent_ids;
  // Events per type, ever (indexed by processors::EventType); saturates at 2^32 − 1.
  std::array<uint32_t, kTypeCount> type_counts{};
  // UTC days with at least one event, count (BG/NBD for sessions).
  int32_t active_days = 0;
  DecayedCounters decayed;
  DayWindows days;
  Sessions sessions;
  Purchases purchases;
  Feedback feedback;
  ChurnState churn;

  bool operator==(const CustomerState&) const = default;
};

}  // namespace state
