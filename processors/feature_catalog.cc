#include "processors/feature_catalog.h"

#include <cmath>
#include <limits>

#include "processors/decay.h"
#include "processors/event.h"

namespace processors {
namespace {

using state::CustomerState;
using state::TimeMs;
using Env = FeatureCatalog::Env;
using Entry = FeatureCatalog::Entry;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMsPerDay = static_cast<double>(state::kMsPerDay);
constexpr double kMsPerSecond = static_cast<double>(state::kMsPerSecond);
constexpr double kPercent = 100;
constexpr uint32_t kSessionBit = uint32_t{1} << state::kSessionSeries;
// NPS categories: promoters answer at least 9, passives at least 7, detractors below.
constexpr double kPromoterMin = 9;
constexpr double kPassiveMin = 7;
// rfm_cell = 100 R + 10 F + M.
constexpr int kCellR = 100;
constexpr int kCellF = 10;

constexpr std::array<std::string_view, kEventTypeCount> kPlurals = {
    "page_views",       "product_views", "searches",        "clicks",    "impressions",
    "emails_delivered", "email_opens",   "email_clicks",    "likes",     "shares",
    "comments",         "referrals",     "add_to_carts",    "checkouts", "purchases",
    "signups",          "subscribes",    "loyalty_actions", "reviews",   "surveys",
    "support_contacts", "app_opens",     "custom_events",
};

constexpr uint32_t Bit(EventType t) { return uint32_t{1} << static_cast<int>(t); }
constexpr uint32_t kSocial =
    Bit(EventType::kLike) | Bit(EventType::kShare) | Bit(EventType::kComment);
// Everything the customer did: all types but what is done to them.
constexpr uint32_t kInteractions = ((uint32_t{1} << kEventTypeCount) - 1) &
                                   ~(Bit(EventType::kImpression) | Bit(EventType::kEmailDelivered));

double Days(int64_t ms) { return static_cast<double>(ms) / kMsPerDay; }
double Ratio(double num, double den) { return den > 0 ? num / den : 0; }

int64_t Today(TimeMs now) { return UtcDay(now); }

double Lifetime(const CustomerState& s, uint32_t series) {
  double n = 0;
  for (int t = 0; t < kEventTypeCount; ++t) {
    if ((series >> t) & 1) n += s.type_counts[t];
  }
  if (series & kSessionBit) n += static_cast<double>(s.sessions.count);
  return n;
}

// Days [today − n + 1, today] that the ring still holds, as [lo, hi].
std::pair<int64_t, int64_t> WindowDays(const state::DayWindows& w, int n, TimeMs now) {
  const int64_t today = Today(now);
  return {std::max<int64_t>(today - n + 1, w.head_day - state::kWindowDays + 1),
          std::min<int64_t>(today, w.head_day)};
}

int RingSlot(int64_t day) {
  const int64_t m = day % state::kWindowDays;
  return static_cast<int>(m < 0 ? m + state::kWindowDays : m);
}

double Window(const CustomerState& s, uint32_t series, int n, TimeMs now) {
  const auto [lo, hi] = WindowDays(s.days, n, now);
  double sum = 0;
  for (int64_t d = lo; d <= hi; ++d) {
    const auto& counts = s.days.counts[RingSlot(d)];
    for (int i = 0; i < state::kSeriesCount; ++i) {
      if ((series >> i) & 1) sum += counts[i];
    }
  }
  return sum;
}

double Decayed(const CustomerState& s, uint32_t series, int half_life_days, TimeMs now) {
  const int slot = HalfLifeSlot(s.decayed, half_life_days);
  if (slot < 0) return 0;
  double sum = 0;
  for (int i = 0; i < state::kSeriesCount; ++i) {
    if ((series >> i) & 1) sum += s.decayed.sums[slot][i];
  }
  const double inv = 1.0 / (half_life_days * kMsPerDay);
  return sum * FastExp2(-static_cast<double>(now.value() - s.decayed.landmark.value()) * inv);
}

// ---- getters: each (env, entry, state, now) -> value --------------------------------

double GetLifetime(const Env&, const Entry& e, const CustomerState& s, TimeMs) {
  return Lifetime(s, e.series);
}
double GetWindow(const Env&, const Entry& e, const CustomerState& s, TimeMs now) {
  return Window(s, e.series, e.arg, now);
}
double GetDecayed(const Env&, const Entry& e, const CustomerState& s, TimeMs now) {
  return Decayed(s, e.series, e.arg, now);
}
double GetLifetimeRatio(const Env&, const Entry& e, const CustomerState& s, TimeMs) {
  return Ratio(Lifetime(s, e.series), Lifetime(s, e.denominator));
}
double GetWindowRatio(const Env&, const Entry& e, const CustomerState& s, TimeMs now) {
  return Ratio(Window(s, e.series, e.arg, now), Window(s, e.denominator, e.arg, now));
}
double GetDecayedRatio(const Env&, const Entry& e, const CustomerState& s, TimeMs now) {
  return Ratio(Decayed(s, e.series, e.arg, now), Decayed(s, e.denominator, e.arg, now));
}

double RevenueWindow(const Env&, const Entry& e, const CustomerState& s, TimeMs now) {
  const auto [lo, hi] = WindowDays(s.days, e.arg, now);
  double sum = 0;
  for (int64_t d = lo; d <= hi; ++d) sum += s.days.revenue[RingSlot(d)];
  return sum;
}
double RevenueDecayed(const Env&, const Entry& e, const CustomerState& s, TimeMs now) {
  const int slot = HalfLifeSlot(s.decayed, e.arg);
  if (slot < 0) return 0;
  const double inv = 1.0 / (e.arg * kMsPerDay);
  return s.decayed.revenue[slot] *
         FastExp2(-static_cast<double>(now.value() - s.decayed.landmark.value()) * inv);
}

double LatestValue(const state::LatestScore& l) { return l.present ? l.value : kNaN; }

double NpsCategory(const state::LatestScore& l) {
  if (!l.present) return kNaN;
  return l.value >= kPromoterMin ? 1 : (l.value >= kPassiveMin ? 0 : -1);
}

bool HasPurchase(const CustomerState& s) { return s.purchases.distinct_days > 0; }

double DaysSinceLastPurchase(const CustomerState& s, TimeMs now) {
  return HasPurchase(s) ? Days(now.value() - s.purchases.last.value()) : kNaN;
}

double RecencyScore(const Env& env, const CustomerState& s, TimeMs now) {
  return HasPurchase(s) ? ScoreRecency(DaysSinceLastPurchase(s, now), env.recency_days) : kNaN;
}
double StoredScore(const CustomerState& s, uint8_t score) {
  return HasPurchase(s) && score > 0 ? score : kNaN;
}

double GetSubScore(const Env& env, const Entry& e, const CustomerState& s, TimeMs now) {
  return env.score.Compute(s, now).sub[e.arg];
}

}  // namespace

std::string_view EventTypePlural(EventType t) { return kPlurals[static_cast<size_t>(t)]; }

FeatureCatalog::FeatureCatalog(const FeatureOptions& o)
    : env_{ScoreModel(o.score), o.rfm.recency_days, o.session_gap_ms} {
  Add("events_total", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return static_cast<double>(s.events_total);
  });
  Add("active_days", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return static_cast<double>(s.active_days);
  });
  Add("days_since_first_seen", [](const Env&, const Entry&, const CustomerState& s, TimeMs now) {
    return s.events_total > 0 ? Days(now.value() - s.first_seen.value()) : kNaN;
  });
  Add("days_since_last_event", [](const Env&, const Entry&, const CustomerState& s, TimeMs now) {
    return s.events_total > 0 ? Days(now.value() - s.last_seen.value()) : kNaN;
  });
  Add("days_in_segment", [](const Env&, const Entry&, const CustomerState& s, TimeMs now) {
    return s.segment.empty() ? kNaN : Days(now.value() - s.segment_entered_at.value());
  });
  for (int t = 0; t < kEventTypeCount; ++t) {
    AddCounts(std::string(kPlurals[t]), uint32_t{1} << t, o);
  }
  AddCounts("sessions", kSessionBit, o);
  AddCounts("social_interactions", kSocial, o);
  AddCounts("interactions", kInteractions, o);
  AddRatios("ctr", Bit(EventType::kClick), Bit(EventType::kImpression), o);
  AddRatios("email_open_rate", Bit(EventType::kEmailOpen), Bit(EventType::kEmailDelivered), o);
  AddRatios("email_click_rate", Bit(EventType::kEmailClick), Bit(EventType::kEmailDelivered), o);
  AddSessionsAndMoney(o);
  AddFeedbackRfmScores();
}

void FeatureCatalog::Add(std::string name, Getter get, uint32_t series, uint32_t denominator,
                         int32_t arg) {
  entries_.push_back(Entry{std::move(name), get, series, denominator, arg});
}

// stem_total, stem_{1,7,14,28}d, stem_{h}d_decayed.
void FeatureCatalog::AddCounts(const std::string& stem, uint32_t series, const FeatureOptions& o) {
  Add(stem + "_total", GetLifetime, series);
  for (const int n : kWindowLengths)
    Add(stem + "_" + std::to_string(n) + "d", GetWindow, series, 0, n);
  for (const int64_t h : o.half_lives_days) {
    Add(stem + "_" + std::to_string(h) + "d_decayed", GetDecayed, series, 0,
        static_cast<int32_t>(h));
  }
}

// stem (lifetime), stem_{1,7,14,28}d, stem_{h}d_decayed.
void FeatureCatalog::AddRatios(const std::string& stem, uint32_t num, uint32_t den,
                               const FeatureOptions& o) {
  Add(stem, GetLifetimeRatio, num, den);
  for (const int n : kWindowLengths) {
    Add(stem + "_" + std::to_string(n) + "d", GetWindowRatio, num, den, n);
  }
  for (const int64_t h : o.half_lives_days) {
    Add(stem + "_" + std::to_string(h) + "d_decayed", GetDecayedRatio, num, den,
        static_cast<int32_t>(h));
  }
}

void FeatureCatalog::AddSessionsAndMoney(const FeatureOptions& o) {
  Add("time_on_site_s", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return static_cast<double>(s.sessions.active_ms) / kMsPerSecond;
  });
  Add("avg_session_s", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return Ratio(static_cast<double>(s.sessions.active_ms) / kMsPerSecond,
                 static_cast<double>(s.sessions.count));
  });
  Add("current_session_s", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return static_cast<double>(s.sessions.last.value() - s.sessions.start.value()) / kMsPerSecond;
  });
  Add("in_session", [](const Env& env, const Entry&, const CustomerState& s, TimeMs now) {
    return s.sessions.count > 0 && now.value() - s.sessions.last.value() <= env.session_gap_ms
               ? 1.0
               : 0.0;
  });
  Add("converting_sessions", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return static_cast<double>(s.sessions.converting);
  });
  Add("conversion_rate", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return kPercent *
           Ratio(static_cast<double>(s.sessions.converting), static_cast<double>(s.sessions.count));
  });
  Add("revenue_total", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return s.purchases.revenue_total;
  });
  for (const int n : kWindowLengths)
    Add("revenue_" + std::to_string(n) + "d", RevenueWindow, 0, 0, n);
  for (const int64_t h : o.half_lives_days) {
    Add("revenue_" + std::to_string(h) + "d_decayed", RevenueDecayed, 0, 0,
        static_cast<int32_t>(h));
  }
  Add("aov", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return Ratio(s.purchases.revenue_total, static_cast<double>(s.purchases.with_revenue));
  });
  Add("purchase_days", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return static_cast<double>(s.purchases.distinct_days);
  });
  Add("days_since_first_purchase",
      [](const Env&, const Entry&, const CustomerState& s, TimeMs now) {
        return HasPurchase(s) ? Days(now.value() - s.purchases.first.value()) : kNaN;
      });
  Add("days_since_last_purchase", [](const Env&, const Entry&, const CustomerState& s, TimeMs now) {
    return DaysSinceLastPurchase(s, now);
  });
}

void FeatureCatalog::AddFeedbackRfmScores() {
  Add("rating_mean", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    const auto& f = s.feedback;
    return f.rating_count > 0 ? f.rating_sum / static_cast<double>(f.rating_count) : kNaN;
  });
  Add("nps_latest", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return LatestValue(s.feedback.nps);
  });
  Add("nps_category", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return NpsCategory(s.feedback.nps);
  });
  Add("csat_latest", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return LatestValue(s.feedback.csat);
  });
  Add("ces_latest", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return LatestValue(s.feedback.ces);
  });
  Add("rfm_r", [](const Env&, const Entry&, const CustomerState& s, TimeMs now) {
    return DaysSinceLastPurchase(s, now);
  });
  Add("rfm_f", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return static_cast<double>(s.type_counts[static_cast<int>(EventType::kPurchase)]);
  });
  Add("rfm_m", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return s.purchases.revenue_total;
  });
  Add("rfm_r_score", [](const Env& env, const Entry&, const CustomerState& s, TimeMs now) {
    return RecencyScore(env, s, now);
  });
  Add("rfm_f_score", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return StoredScore(s, s.purchases.f_score);
  });
  Add("rfm_m_score", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return StoredScore(s, s.purchases.m_score);
  });
  Add("rfm_score", [](const Env& env, const Entry&, const CustomerState& s, TimeMs now) {
    return RecencyScore(env, s, now) + StoredScore(s, s.purchases.f_score) +
           StoredScore(s, s.purchases.m_score);
  });
  Add("rfm_cell", [](const Env& env, const Entry&, const CustomerState& s, TimeMs now) {
    return kCellR * RecencyScore(env, s, now) + kCellF * StoredScore(s, s.purchases.f_score) +
           StoredScore(s, s.purchases.m_score);
  });
  Add("score", [](const Env& env, const Entry&, const CustomerState& s, TimeMs now) {
    return env.score.Compute(s, now).overall;
  });
  Add("score_emotional", GetSubScore, 0, 0, static_cast<int32_t>(SubScore::kEmotional));
  Add("score_contextual", GetSubScore, 0, 0, static_cast<int32_t>(SubScore::kContextual));
  Add("score_convenience", GetSubScore, 0, 0, static_cast<int32_t>(SubScore::kConvenience));
  Add("score_social", GetSubScore, 0, 0, static_cast<int32_t>(SubScore::kSocial));
  // BG/NBD inputs (Fader, Hardie & Lee 2005), days; same-day transactions merged.
  Add("bgnbd_purchase_x", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return HasPurchase(s) ? s.purchases.distinct_days - 1.0 : kNaN;
  });
  Add("bgnbd_purchase_t_x", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return HasPurchase(s) ? Days(s.purchases.last.value() - s.purchases.first.value()) : kNaN;
  });
  Add("bgnbd_purchase_T", [](const Env&, const Entry&, const CustomerState& s, TimeMs now) {
    return HasPurchase(s) ? Days(now.value() - s.purchases.first.value()) : kNaN;
  });
  Add("bgnbd_session_x", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return s.events_total > 0 ? std::max(s.active_days, 1) - 1.0 : kNaN;
  });
  Add("bgnbd_session_t_x", [](const Env&, const Entry&, const CustomerState& s, TimeMs) {
    return s.events_total > 0 ? Days(s.last_seen.value() - s.first_seen.value()) : kNaN;
  });
  Add("bgnbd_session_T", [](const Env&, const Entry&, const CustomerState& s, TimeMs now) {
    return s.events_total > 0 ? Days(now.value() - s.first_seen.value()) : kNaN;
  });
}

std::optional<FeatureId> FeatureCatalog::Find(std::string_view name) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].name == name) return static_cast<FeatureId>(i);
  }
  return std::nullopt;
}

}  // namespace processors
