#include "processors/features.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "processors/sessions.h"

namespace processors {

static_assert(state::kTypeCount == kEventTypeCount,
              "state::kTypeCount must equal processors::kEventTypeCount");

namespace {

constexpr int kPurchase = static_cast<int>(EventType::kPurchase);
constexpr uint16_t kMaxDayCount = std::numeric_limits<uint16_t>::max();
constexpr uint32_t kMaxTypeCount = std::numeric_limits<uint32_t>::max();

int RingSlot(int64_t day) {
  const int64_t m = day % state::kWindowDays;
  return static_cast<int>(m < 0 ? m + state::kWindowDays : m);
}

// The ring slot of `day`, advancing the ring (clearing the days it passes) when `day`
// is newer than its head; −1 when `day` is older than the ring.
int AdvanceTo(state::DayWindows& w, int64_t day) {
  if (day > w.head_day) {
    const int64_t from = std::max<int64_t>(w.head_day + 1, day - state::kWindowDays + 1);
    for (int64_t d = from; d <= day; ++d) {
      w.counts[RingSlot(d)] = {};
      w.revenue[RingSlot(d)] = 0;
    }
    w.head_day = static_cast<int32_t>(day);
  }
  if (day <= w.head_day - state::kWindowDays) return -1;
  return RingSlot(day);
}

void Bump(uint16_t& c) { c += c < kMaxDayCount ? 1 : 0; }

bool AnyCount(const std::array<uint16_t, state::kSeriesCount>& day) {
  uint32_t sum = 0;
  for (const uint16_t c : day) sum |= c;
  return sum != 0;
}

std::optional<double> Revenue(const Event& e) {
  if (e.type != EventType::kPurchase || !e.revenue || !std::isfinite(*e.revenue)) {
    return std::nullopt;
  }
  return e.revenue;
}

}  // namespace

void ApplyEvent(const Event& e, state::CustomerState& s) {
  if (s.events_total == 0) {
    s.first_seen = e.time;
    s.last_seen = e.time;
  } else {
    s.first_seen = std::min(s.first_seen, e.time);
    s.last_seen = std::max(s.last_seen, e.time);
  }
  ++s.events_total;
}

FeatureUpdater::FeatureUpdater(const FeatureOptions& options, uint64_t seed)
    : half_lives_(MakeHalfLives(options.half_lives_days)),
      session_gap_ms_(options.session_gap_ms),
      rfm_(options.rfm, seed) {
  for (const EventType t : options.conversion_types) {
    conversion_mask_ |= uint32_t{1} << static_cast<int>(t);
  }
}

void FeatureUpdater::Apply(const Event& e, state::CustomerState& s) {
  const bool first_event = s.events_total == 0;
  const int64_t first_day = UtcDay(s.first_seen);
  const int64_t last_day = UtcDay(s.last_seen);
  ApplyEvent(e, s);
  const int type = static_cast<int>(e.type);
  s.type_counts[type] += s.type_counts[type] < kMaxTypeCount ? 1 : 0;
  const bool converts = ((conversion_mask_ >> type) & 1) != 0;
  const bool started =
      UpdateSessions(s.sessions, e.time, converts, session_gap_ms_) == SessionUpdate::kStarted;
  UpdateDecayed(e, started, first_event, s);
  const int64_t day = UtcDay(e.time);
  UpdateDays(e, day, started, first_event ? day : first_day, first_event ? day : last_day, s);
  UpdateFeedback(e, s.feedback);
}

void FeatureUpdater::UpdateDecayed(const Event& e, bool session_started, bool first_event,
                                   state::CustomerState& s) const {
  state::DecayedCounters& c = s.decayed;
  AdoptHalfLives(half_lives_, c);
  if (first_event) c.landmark = state::TimeMs(UtcDay(e.time) * state::kMsPerDay);
  MaybeRenormalise(half_lives_, e.time, c);
  const auto w = Weights(half_lives_, c.landmark, e.time);
  const int type = static_cast<int>(e.type);
  const std::optional<double> revenue = Revenue(e);
  for (int k = 0; k < half_lives_.count; ++k) {
    c.sums[k][type] += w[k];
    if (session_started) c.sums[k][state::kSessionSeries] += w[k];
    if (revenue) c.revenue[k] += w[k] * *revenue;
  }
}

// Day windows, distinct active days and (for purchases) distinct purchase days. A day
// is new when its ring slot was empty; for a day older than the ring (only possible
// with an allowed lateness above 27 days) it is new only when before the first one.
void FeatureUpdater::UpdateDays(const Event& e, int64_t day, bool session_started,
                                int64_t first_day, int64_t last_day, state::CustomerState& s) {
  const int slot = AdvanceTo(s.days, day);
  const int type = static_cast<int>(e.type);
  bool new_active_day, new_purchase_day;
  if (slot >= 0) {
    auto& counts = s.days.counts[slot];
    new_active_day = !AnyCount(counts);
    new_purchase_day = counts[kPurchase] == 0;
    Bump(counts[type]);
    if (session_started) Bump(counts[state::kSessionSeries]);
    if (const auto revenue = Revenue(e)) s.days.revenue[slot] += *revenue;
  } else {
    new_active_day = day < first_day || day > last_day;
    new_purchase_day = s.purchases.distinct_days == 0 || day < UtcDay(s.purchases.first);
  }
  if (new_active_day || s.active_days == 0) ++s.active_days;
  if (type == kPurchase) UpdatePurchase(e, new_purchase_day, s);
}

void FeatureUpdater::UpdatePurchase(const Event& e, bool new_day, state::CustomerState& s) {
  state::Purchases& p = s.purchases;
  const bool first = p.distinct_days == 0;
  p.first = first ? e.time : std::min(p.first, e.time);
  p.last = first ? e.time : std::max(p.last, e.time);
  if (new_day || first) ++p.distinct_days;
  if (const auto revenue = Revenue(e)) {
    p.revenue_total += *revenue;
    ++p.with_revenue;
  }
  rfm_.OnPurchase(s.type_counts[kPurchase], p);
}

void FeatureUpdater::UpdateFeedback(const Event& e, state::Feedback& f) {
  if (e.type == EventType::kReview && e.rating && std::isfinite(*e.rating)) {
    f.rating_sum += *e.rating;
    ++f.rating_count;
  }
  if (!e.score || !std::isfinite(*e.score)) return;
  state::LatestScore* latest = nullptr;
  switch (e.survey_type) {
    case SurveyType::kNps:
      latest = &f.nps;
      break;
    case SurveyType::kCsat:
      latest = &f.csat;
      break;
    case SurveyType::kCes:
      latest = &f.ces;
      break;
    case SurveyType::kNone:
      return;
  }
  if (latest->present && e.time < latest->time) return;  // a late, older answer
  *latest = {*e.score, e.time, true};
}

}  // namespace processors
