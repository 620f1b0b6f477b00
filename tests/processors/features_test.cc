// Hand-computed expectations for every feature the updater maintains, read through the
// feature catalogue (the names rules use).

#include "processors/features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "processors/dedup.h"
#include "processors/feature_catalog.h"
#include "processors/timestamp.h"

namespace processors {
namespace {

using state::CustomerState;
using state::TimeMs;

constexpr int64_t kMin = state::kMsPerMinute;
constexpr int64_t kHour = state::kMsPerHour;
constexpr int64_t kDay = state::kMsPerDay;

// 2024-03-05T00:00:00Z.
const int64_t kT0 = DaysFromCivil(2024, 3, 5) * kDay;

Event Ev(EventType t, int64_t ms) {
  Event e;
  e.customer_id = "c";
  e.type = t;
  e.time = TimeMs(ms);
  return e;
}

Event Purchase(int64_t ms, double revenue) {
  Event e = Ev(EventType::kPurchase, ms);
  e.revenue = revenue;
  return e;
}

Event Survey(int64_t ms, SurveyType type, double score) {
  Event e = Ev(EventType::kSurvey, ms);
  e.survey_type = type;
  e.score = score;
  return e;
}

TimeMs At(const char* iso) { return *ParseIso8601(iso); }

class FeaturesTest : public ::testing::Test {
 protected:
  explicit FeaturesTest(FeatureOptions o = {}) : options_(o), updater_(o), catalog_(o) {}

  void Apply(const Event& e) { updater_.Apply(e, s_); }
  double F(const std::string& name, int64_t now_ms) const {
    const auto id = catalog_.Find(name);
    EXPECT_TRUE(id.has_value()) << name;
    return id ? catalog_.Value(*id, s_, TimeMs(now_ms)) : NAN;
  }

  FeatureOptions options_;
  FeatureUpdater updater_;
  FeatureCatalog catalog_;
  CustomerState s_;
};

TEST_F(FeaturesTest, KeepsApplyEventsCountsAndSeenTimes) {
  Apply(Ev(EventType::kPageView, kT0 + 2 * kHour));
  Apply(Ev(EventType::kClick, kT0 + kHour));  // late
  EXPECT_EQ(s_.events_total, 2);
  EXPECT_EQ(s_.first_seen, TimeMs(kT0 + kHour));
  EXPECT_EQ(s_.last_seen, TimeMs(kT0 + 2 * kHour));
  EXPECT_EQ(F("events_total", kT0), 2);
  EXPECT_EQ(F("page_views_total", kT0), 1);
  EXPECT_EQ(F("clicks_total", kT0), 1);
  EXPECT_EQ(F("purchases_total", kT0), 0);
  EXPECT_EQ(F("active_days", kT0), 1);
  EXPECT_DOUBLE_EQ(F("days_since_last_event", kT0 + 2 * kHour + kDay / 2), 0.5);
  EXPECT_DOUBLE_EQ(F("days_since_first_seen", kT0 + kHour + 3 * kDay), 3);
  // A `now` before the last event reads as of the last event.
  EXPECT_DOUBLE_EQ(F("days_since_last_event", kT0), 0);
}

TEST_F(FeaturesTest, DayWindowsSplitAtUtcMidnight) {
  Apply(Ev(EventType::kPurchase, kT0 - 1));  // 2024-03-04T23:59:59.999Z
  Apply(Ev(EventType::kPurchase, kT0));      // 2024-03-05T00:00:00.000Z
  Apply(Ev(EventType::kPurchase, kT0 + kDay - 1));
  EXPECT_EQ(F("purchases_1d", kT0 + kHour), 2);  // today: the 5th
  EXPECT_EQ(F("purchases_7d", kT0 + kHour), 3);
  EXPECT_EQ(F("purchases_1d", kT0 + kDay), 0);  // the 6th: nothing yet
  EXPECT_EQ(F("purchases_7d", kT0 + kDay), 3);
  // The 4th drops out of the 7-day window on the 11th (4th..10th is 7 days).
  EXPECT_EQ(F("purchases_7d", kT0 + 5 * kDay), 3);
  EXPECT_EQ(F("purchases_7d", kT0 + 6 * kDay), 2);
  EXPECT_EQ(F("purchases_28d", kT0 + 26 * kDay), 3);
  EXPECT_EQ(F("purchases_28d", kT0 + 27 * kDay), 2);
  EXPECT_EQ(F("purchases_28d", kT0 + 28 * kDay), 0);
  EXPECT_EQ(F("purchases_total", kT0 + 28 * kDay), 3);
  EXPECT_EQ(F("active_days", kT0), 2);
}

TEST_F(FeaturesTest, EventsWithOffsetsLandInTheirUtcDay) {
  // 23:30 at −02:00 is 01:30 UTC the next day; 00:30 at +02:00 is 22:30 UTC the day before.
  Apply(Ev(EventType::kPageView, At("2024-03-10T23:30:00-02:00").value()));
  Apply(Ev(EventType::kSearch, At("2024-03-11T00:30:00+02:00").value()));
  const int64_t noon_11th = At("2024-03-11T12:00:00Z").value();
  EXPECT_EQ(F("page_views_1d", noon_11th), 1);
  EXPECT_EQ(F("searches_1d", noon_11th), 0);
  EXPECT_EQ(F("searches_7d", noon_11th), 1);
  EXPECT_EQ(F("active_days", noon_11th), 2);
}

TEST_F(FeaturesTest, LateEventsLandInTheirDayAndTooOldOnesOnlyInLifetime) {
  Apply(Ev(EventType::kLike, kT0 + 10 * kDay));
  Apply(Ev(EventType::kLike, kT0 + 3 * kDay));   // late: inside the ring
  Apply(Ev(EventType::kLike, kT0 - 20 * kDay));  // older than the 28-day ring
  EXPECT_EQ(F("likes_1d", kT0 + 10 * kDay), 1);
  EXPECT_EQ(F("likes_7d", kT0 + 10 * kDay), 1);   // the 9th..15th
  EXPECT_EQ(F("likes_14d", kT0 + 10 * kDay), 2);  // the 2nd..15th
  EXPECT_EQ(F("likes_28d", kT0 + 10 * kDay), 2);
  EXPECT_EQ(F("likes_total", kT0 + 10 * kDay), 3);
  EXPECT_EQ(F("active_days", kT0), 3);
}

TEST_F(FeaturesTest, RingAdvanceClearsDaysItPasses) {
  Apply(Ev(EventType::kShare, kT0));
  Apply(Ev(EventType::kShare, kT0 + 40 * kDay));
  EXPECT_EQ(F("shares_28d", kT0 + 40 * kDay), 1);
  // The day that shares slot kT0's day modulo 28 was cleared when the ring moved on.
  EXPECT_EQ(F("shares_28d", kT0 + 56 * kDay), 1);
}

TEST_F(FeaturesTest, SessionsSplitOnTheGapAndCountTimeOnSite) {
  Apply(Ev(EventType::kPageView, kT0));
  Apply(Ev(EventType::kPageView, kT0 + 10 * kMin));
  Apply(Ev(EventType::kPageView, kT0 + 40 * kMin));      // gap exactly 30 min: same
  Apply(Ev(EventType::kPageView, kT0 + 70 * kMin + 1));  // gap 30 min + 1 ms: new
  Apply(Ev(EventType::kPageView, kT0 + 75 * kMin + 1));
  EXPECT_EQ(F("sessions_total", kT0), 2);
  EXPECT_DOUBLE_EQ(F("time_on_site_s", kT0), 40 * 60 + 5 * 60);
  EXPECT_DOUBLE_EQ(F("avg_session_s", kT0), (40 * 60 + 5 * 60) / 2.0);
  EXPECT_DOUBLE_EQ(F("current_session_s", kT0), 5 * 60);
  EXPECT_EQ(F("sessions_1d", kT0), 2);
  EXPECT_EQ(F("in_session", kT0 + 100 * kMin), 1);
  EXPECT_EQ(F("in_session", kT0 + 106 * kMin), 0);
  EXPECT_EQ(F("conversion_rate", kT0), 0);
}

TEST_F(FeaturesTest, OutOfOrderSessionEventsFollowTheDocumentedRules) {
  Apply(Ev(EventType::kPageView, kT0 + 2 * kHour));
  Apply(Ev(EventType::kPageView, kT0 + 2 * kHour + 10 * kMin));
  Apply(Ev(EventType::kPageView, kT0 + 2 * kHour + 5 * kMin));  // inside: nothing moves
  EXPECT_DOUBLE_EQ(F("time_on_site_s", kT0), 10 * 60);
  Apply(Ev(EventType::kPageView, kT0 + 2 * kHour - 20 * kMin));  // within the gap before start
  EXPECT_DOUBLE_EQ(F("time_on_site_s", kT0), 30 * 60);
  EXPECT_DOUBLE_EQ(F("current_session_s", kT0), 30 * 60);
  Apply(Purchase(kT0, 10));  // an earlier, closed session: sessions unchanged
  EXPECT_EQ(F("sessions_total", kT0), 1);
  EXPECT_EQ(F("converting_sessions", kT0), 0);
  EXPECT_DOUBLE_EQ(F("time_on_site_s", kT0), 30 * 60);
  EXPECT_EQ(F("purchases_total", kT0), 1);  // still counted as a purchase
}

TEST_F(FeaturesTest, ConvertingSessionsCountOncePerSession) {
  Apply(Ev(EventType::kPageView, kT0));
  Apply(Ev(EventType::kSignup, kT0 + kMin));
  Apply(Purchase(kT0 + 2 * kMin, 5));  // second conversion, same session
  Apply(Ev(EventType::kPageView, kT0 + 3 * kHour));
  Apply(Ev(EventType::kCheckout, kT0 + 3 * kHour + kMin));  // checkout does not convert
  Apply(Ev(EventType::kSubscribe, kT0 + 6 * kHour));
  Apply(Ev(EventType::kPageView, kT0 + 9 * kHour));
  EXPECT_EQ(F("sessions_total", kT0), 4);
  EXPECT_EQ(F("converting_sessions", kT0), 2);
  EXPECT_DOUBLE_EQ(F("conversion_rate", kT0), 50);
}

TEST_F(FeaturesTest, RatesAndInteractionCounts) {
  for (int i = 0; i < 8; ++i) Apply(Ev(EventType::kImpression, kT0 + i));
  Apply(Ev(EventType::kClick, kT0 + 10));
  Apply(Ev(EventType::kClick, kT0 + 11));
  for (int i = 0; i < 4; ++i) Apply(Ev(EventType::kEmailDelivered, kT0 + 20 + i));
  Apply(Ev(EventType::kEmailOpen, kT0 + 30));
  Apply(Ev(EventType::kEmailClick, kT0 + 31));
  Apply(Ev(EventType::kLike, kT0 + 40));
  Apply(Ev(EventType::kShare, kT0 + 41));
  Apply(Ev(EventType::kComment, kT0 + 42));
  Apply(Ev(EventType::kReferral, kT0 + 43));  // social sub-score, not social_interactions
  EXPECT_DOUBLE_EQ(F("ctr", kT0), 0.25);
  EXPECT_DOUBLE_EQ(F("ctr_7d", kT0), 0.25);
  EXPECT_NEAR(F("ctr_7d_decayed", kT0), 0.25, 1e-6);  // all within a few ms
  EXPECT_DOUBLE_EQ(F("email_open_rate", kT0), 0.25);
  EXPECT_DOUBLE_EQ(F("email_click_rate", kT0), 0.25);
  EXPECT_EQ(F("social_interactions_total", kT0), 3);
  EXPECT_EQ(F("social_interactions_28d", kT0), 3);
  // Everything but the 8 impressions and 4 deliveries.
  EXPECT_EQ(F("interactions_total", kT0), 20 - 12);
  EXPECT_EQ(F("interactions_7d", kT0), 8);
  // Without impressions the CTR is 0, not undefined.
  CustomerState empty;
  EXPECT_EQ(catalog_.Value(*catalog_.Find("ctr"), empty, TimeMs(kT0)), 0);
}

TEST_F(FeaturesTest, MoneyAovAndBgNbdPurchaseInputs) {
  Apply(Purchase(kT0 + kHour, 30));
  Apply(Purchase(kT0 + 5 * kHour, 10));             // same UTC day: merged for BG/NBD
  Apply(Ev(EventType::kPurchase, kT0 + 3 * kDay));  // no revenue: not in the AOV
  Apply(Purchase(kT0 + 10 * kDay, 20));
  Event checkout = Ev(EventType::kCheckout, kT0 + 10 * kDay);
  checkout.revenue = 999;  // only purchases carry money
  Apply(checkout);
  const int64_t now = kT0 + 12 * kDay + kHour;
  EXPECT_DOUBLE_EQ(F("revenue_total", now), 60);
  EXPECT_DOUBLE_EQ(F("aov", now), 20);
  EXPECT_DOUBLE_EQ(F("revenue_7d", now), 20);
  EXPECT_DOUBLE_EQ(F("revenue_14d", now), 60);
  EXPECT_EQ(F("purchase_days", now), 3);
  EXPECT_DOUBLE_EQ(F("days_since_last_purchase", now), (2 * kDay + kHour) / double(kDay));
  EXPECT_DOUBLE_EQ(F("days_since_first_purchase", now), 12);
  EXPECT_DOUBLE_EQ(F("bgnbd_purchase_x", now), 2);
  EXPECT_DOUBLE_EQ(F("bgnbd_purchase_t_x", now), (10 * kDay - kHour) / double(kDay));
  EXPECT_DOUBLE_EQ(F("bgnbd_purchase_T", now), 12);
  // Sessions model: active days 5th, 8th, 15th.
  EXPECT_DOUBLE_EQ(F("bgnbd_session_x", now), 2);
  EXPECT_DOUBLE_EQ(F("bgnbd_session_t_x", now), (10 * kDay - kHour) / double(kDay));
  EXPECT_DOUBLE_EQ(F("bgnbd_session_T", now), 12);
  // Decayed revenue: Σ revenue · 2^(−age/7d).
  const double expected = 30 * std::exp2(-(12 * kDay) / double(7 * kDay)) +
                          10 * std::exp2(-(12 * kDay - 4 * kHour) / double(7 * kDay)) +
                          20 * std::exp2(-(2 * kDay + kHour) / double(7 * kDay));
  EXPECT_NEAR(F("revenue_7d_decayed", now), expected, 1e-12 * expected);
}

TEST_F(FeaturesTest, LatePurchaseOnANewDayCountsAsADistinctDay) {
  Apply(Purchase(kT0 + 5 * kDay, 1));
  Apply(Purchase(kT0 + 2 * kDay, 1));          // late, another day
  Apply(Purchase(kT0 + 5 * kDay + kHour, 1));  // same day as the first
  EXPECT_EQ(F("purchase_days", kT0 + 6 * kDay), 2);
  EXPECT_DOUBLE_EQ(F("bgnbd_purchase_t_x", kT0 + 6 * kDay), 3 + 1.0 / 24);
}

TEST_F(FeaturesTest, NoPurchaseMeansUndefinedRecencyAndBgNbd) {
  Apply(Ev(EventType::kPageView, kT0));
  EXPECT_TRUE(std::isnan(F("days_since_last_purchase", kT0)));
  EXPECT_TRUE(std::isnan(F("rfm_r", kT0)));
  EXPECT_TRUE(std::isnan(F("rfm_score", kT0)));
  EXPECT_TRUE(std::isnan(F("bgnbd_purchase_x", kT0)));
  EXPECT_EQ(F("aov", kT0), 0);
  EXPECT_EQ(F("bgnbd_session_x", kT0), 0);
}

TEST_F(FeaturesTest, ReviewsAndLatestSurveys) {
  Event review = Ev(EventType::kReview, kT0);
  review.rating = 4;
  Apply(review);
  review.rating = 5;
  review.time = TimeMs(kT0 + 1);
  Apply(review);
  Event rated_click = Ev(EventType::kClick, kT0 + 2);
  rated_click.rating = 1;  // only reviews' ratings count
  Apply(rated_click);
  EXPECT_DOUBLE_EQ(F("rating_mean", kT0), 4.5);
  EXPECT_TRUE(std::isnan(F("nps_latest", kT0)));
  EXPECT_TRUE(std::isnan(F("nps_category", kT0)));

  Apply(Survey(kT0 + kHour, SurveyType::kNps, 6));
  EXPECT_EQ(F("nps_latest", kT0), 6);
  EXPECT_EQ(F("nps_category", kT0), -1);  // detractor
  Apply(Survey(kT0 + 2 * kHour, SurveyType::kNps, 8));
  EXPECT_EQ(F("nps_category", kT0), 0);  // passive
  Apply(Survey(kT0 + 3 * kHour, SurveyType::kNps, 9));
  EXPECT_EQ(F("nps_category", kT0), 1);                 // promoter
  Apply(Survey(kT0 + kHour / 2, SurveyType::kNps, 0));  // late, older answer: ignored
  EXPECT_EQ(F("nps_latest", kT0), 9);
  Apply(Survey(kT0 + kHour, SurveyType::kCsat, 4.5));
  Apply(Survey(kT0 + kHour, SurveyType::kCes, 2));
  Apply(Survey(kT0 + kHour, SurveyType::kNone, 7));  // no survey_type: not recorded
  EXPECT_EQ(F("csat_latest", kT0), 4.5);
  EXPECT_EQ(F("ces_latest", kT0), 2);
  EXPECT_EQ(F("nps_latest", kT0), 9);
  EXPECT_EQ(F("surveys_total", kT0), 7);
}

TEST_F(FeaturesTest, RfmFromDefaultCutPoints) {
  // Frequency cuts [2, 3, 5, 10], monetary [50, 100, 250, 1000], recency [7, 30, 90, 180].
  Apply(Purchase(kT0, 40));
  EXPECT_EQ(F("rfm_f_score", kT0), 1);
  EXPECT_EQ(F("rfm_m_score", kT0), 1);
  Apply(Purchase(kT0 + kDay, 60));  // F = 2, M = 100
  EXPECT_EQ(F("rfm_f", kT0), 2);
  EXPECT_EQ(F("rfm_m", kT0), 100);
  EXPECT_EQ(F("rfm_f_score", kT0), 2);
  EXPECT_EQ(F("rfm_m_score", kT0), 3);
  EXPECT_EQ(F("rfm_r_score", kT0 + kDay + 7 * kDay), 5);      // 7 days: at most c1
  EXPECT_EQ(F("rfm_r_score", kT0 + kDay + 7 * kDay + 1), 4);  // just over
  EXPECT_EQ(F("rfm_r_score", kT0 + kDay + 200 * kDay), 1);
  EXPECT_DOUBLE_EQ(F("rfm_r", kT0 + 3 * kDay), 2);
  EXPECT_EQ(F("rfm_score", kT0 + 3 * kDay), 5 + 2 + 3);
  EXPECT_EQ(F("rfm_cell", kT0 + 3 * kDay), 523);
}

TEST(RfmQuantilesTest, ScoresByMidRankOnceTheSketchHasEnoughSamples) {
  FeatureOptions o;
  o.rfm.quantiles = true;
  o.rfm.min_samples = 100;
  FeatureUpdater updater(o);
  FeatureCatalog catalog(o);
  // 100 one-purchase customers spending 1..100.
  for (int i = 1; i <= 100; ++i) {
    CustomerState c;
    updater.Apply(Purchase(kT0 + i, i), c);
    if (i < 100) {
      EXPECT_EQ(c.purchases.m_score, ScoreAscending(i, o.rfm.monetary)) << i;
    }
  }
  // Now the sketch decides: 95 is above 94.5 % of the 101 values -> score 5; 10 -> 1.
  CustomerState rich, poor;
  updater.Apply(Purchase(kT0, 95), rich);
  updater.Apply(Purchase(kT0, 10), poor);
  EXPECT_EQ(catalog.Value(*catalog.Find("rfm_m_score"), rich, TimeMs(kT0)), 5);
  EXPECT_EQ(catalog.Value(*catalog.Find("rfm_m_score"), poor, TimeMs(kT0)), 1);
  // Everyone has F = 1: mid-rank about 0.5 -> 3.
  EXPECT_EQ(catalog.Value(*catalog.Find("rfm_f_score"), rich, TimeMs(kT0)), 3);
}

TEST_F(FeaturesTest, EngagementScoreFromDecayedCounts) {
  // Defaults: score half-life 30 d; saturation emotional 2, contextual 20, convenience 5,
  // social 3; type weight 1 (purchase, referral 3); sub-score weights 1 each.
  Apply(Ev(EventType::kReview, kT0));
  Apply(Ev(EventType::kReview, kT0));
  for (int i = 0; i < 20; ++i) Apply(Ev(EventType::kPageView, kT0));
  EXPECT_NEAR(F("score_emotional", kT0), 50, 1e-9);
  EXPECT_NEAR(F("score_contextual", kT0), 50, 1e-9);
  EXPECT_NEAR(F("score_convenience", kT0), 0, 1e-9);
  EXPECT_NEAR(F("score_social", kT0), 0, 1e-9);
  EXPECT_NEAR(F("score", kT0), 25, 1e-9);
  // 30 days later every count has halved: x/k = 1/2 -> 100 (1 − 2^−0.5).
  const double half = 100 * (1 - std::exp2(-0.5));
  EXPECT_NEAR(F("score_emotional", kT0 + 30 * kDay), half, 1e-9);
  EXPECT_NEAR(F("score", kT0 + 30 * kDay), half / 2, 1e-9);
  // A referral weighs 3: x = 3 = saturation -> 50.
  Apply(Ev(EventType::kReferral, kT0 + 30 * kDay));
  EXPECT_NEAR(F("score_social", kT0 + 30 * kDay), 50, 1e-9);
  // Impressions and deliveries are not the customer's engagement.
  const double before = F("score", kT0 + 30 * kDay);
  Apply(Ev(EventType::kImpression, kT0 + 30 * kDay));
  Apply(Ev(EventType::kEmailDelivered, kT0 + 30 * kDay));
  EXPECT_EQ(F("score", kT0 + 30 * kDay), before);
}

TEST_F(FeaturesTest, DuplicatesDroppedByDedupAreNotCounted) {
  // The pipeline of processors/dedup.h: check, then remember and apply.
  const int64_t horizon = kDay;
  int applied = 0;
  for (const char* id : {"m1", "m2", "m1", "m3", "m2"}) {
    Event e = Purchase(kT0 + applied * kMin, 10);
    e.event_id = id;
    const uint64_t h = HashEventId(e.event_id);
    if (IsDuplicate(s_.recent_ids, h, e.time, horizon)) continue;
    Remember(s_.recent_ids, h, e.time, horizon);
    Apply(e);
    ++applied;
  }
  EXPECT_EQ(applied, 3);
  EXPECT_EQ(F("purchases_total", kT0), 3);
  EXPECT_DOUBLE_EQ(F("revenue_total", kT0), 30);
  EXPECT_EQ(s_.recent_ids.size, 3);
}

class ShortGapTest : public FeaturesTest {
 protected:
  static FeatureOptions Options() {
    FeatureOptions o;
    o.session_gap_ms = 5 * kMin;
    o.half_lives_days = {1, 7};
    o.score.half_life_days = 7;
    o.conversion_types = {EventType::kCheckout};
    return o;
  }
  ShortGapTest() : FeaturesTest(Options()) {}
};

TEST_F(ShortGapTest, UsesTheConfiguredGapHalfLivesAndConversions) {
  Apply(Ev(EventType::kCheckout, kT0));
  Apply(Ev(EventType::kPageView, kT0 + 6 * kMin));
  EXPECT_EQ(F("sessions_total", kT0), 2);
  EXPECT_EQ(F("conversion_rate", kT0), 50);
  EXPECT_NEAR(F("page_views_1d_decayed", kT0 + 6 * kMin + kDay), 0.5, 1e-12);
  EXPECT_FALSE(catalog_.Find("page_views_30d_decayed").has_value());
}

TEST(HalfLifeChangeTest, KeepsSumsOfHalfLivesThatStayAndStartsNewOnesAtZero) {
  FeatureOptions before;
  before.half_lives_days = {7, 30};
  FeatureOptions after;
  after.half_lives_days = {30, 90};
  CustomerState s;
  FeatureUpdater(before).Apply(Ev(EventType::kClick, kT0), s);
  FeatureUpdater(after).Apply(Ev(EventType::kClick, kT0 + 30 * kDay), s);
  FeatureCatalog catalog(after);
  EXPECT_NEAR(catalog.Value(*catalog.Find("clicks_30d_decayed"), s, TimeMs(kT0 + 30 * kDay)), 1.5,
              1e-12);
  EXPECT_NEAR(catalog.Value(*catalog.Find("clicks_90d_decayed"), s, TimeMs(kT0 + 30 * kDay)), 1,
              1e-12);
}

}  // namespace
}  // namespace processors
