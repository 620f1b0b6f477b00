// Churn risk: the model file, the score and the bands with hysteresis.

#include "processors/churn/risk.h"

#include <gtest/gtest.h>

#include <cmath>

#include "processors/churn/risk_event.h"

namespace processors::churn {
namespace {

using state::ChurnBand;
using state::TimeMs;

constexpr int64_t kDay = state::kMsPerDay;
constexpr char kModel[] =
    R"({"model":"bgnbd","r":0.2425945,"alpha":4.4136019,"a":0.7929218,"b":2.4259056,)"
    R"("log_likelihood":-9582.4292,"n_customers":2357,"time_unit":"weeks",)"
    R"("calibration_end":"1997-09-30","fitted_at":"2026-11-24T00:00:00.000Z"})";

TEST(ChurnModelTest, ParsesWhatFitPrints) {
  auto m = ParseChurnModel(kModel);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_DOUBLE_EQ(m->params.r, 0.2425945);
  EXPECT_DOUBLE_EQ(m->params.b, 2.4259056);
  EXPECT_EQ(m->unit, TimeUnit::kWeeks);
  EXPECT_EQ(m->calibration_end, "1997-09-30");
}

TEST(ChurnModelTest, RejectsBadModelsNamingTheMember) {
  const std::pair<const char*, const char*> cases[] = {
      {"not json", "not JSON"},
      {"[1]", "not a JSON object"},
      {R"({"model":"pareto","r":1,"alpha":1,"a":1,"b":1,"time_unit":"days"})", "\"model\""},
      {R"({"model":"bgnbd","alpha":1,"a":1,"b":1,"time_unit":"days"})", "\"r\""},
      {R"({"model":"bgnbd","r":-1,"alpha":1,"a":1,"b":1,"time_unit":"days"})", "\"r\""},
      {R"({"model":"bgnbd","r":1,"alpha":"x","a":1,"b":1,"time_unit":"days"})", "\"alpha\""},
      {R"({"model":"bgnbd","r":1,"alpha":1,"a":1,"b":1,"time_unit":"months"})", "\"time_unit\""},
  };
  for (const auto& [json, expected] : cases) {
    auto m = ParseChurnModel(json);
    ASSERT_FALSE(m.ok()) << json;
    EXPECT_NE(m.status().message().find(expected), std::string::npos)
        << json << " -> " << m.status().message();
  }
}

TEST(ChurnBandTest, MovesUpAtOnceAndDownOnlyPastTheHysteresis) {
  const ChurnOptions o;  // medium 0.5, high 0.8, hysteresis 0.05
  EXPECT_EQ(NextChurnBand(ChurnBand::kNone, 0.1, o), ChurnBand::kLow);
  EXPECT_EQ(NextChurnBand(ChurnBand::kNone, 0.9, o), ChurnBand::kHigh);
  EXPECT_EQ(NextChurnBand(ChurnBand::kLow, 0.5, o), ChurnBand::kMedium);
  EXPECT_EQ(NextChurnBand(ChurnBand::kLow, 0.8, o), ChurnBand::kHigh);
  EXPECT_EQ(NextChurnBand(ChurnBand::kMedium, 0.47, o), ChurnBand::kMedium);  // in the band
  EXPECT_EQ(NextChurnBand(ChurnBand::kMedium, 0.44, o), ChurnBand::kLow);
  EXPECT_EQ(NextChurnBand(ChurnBand::kHigh, 0.76, o), ChurnBand::kHigh);
  EXPECT_EQ(NextChurnBand(ChurnBand::kHigh, 0.7, o), ChurnBand::kMedium);
  EXPECT_EQ(NextChurnBand(ChurnBand::kHigh, 0.1, o), ChurnBand::kLow);
  // A risk hovering at a threshold does not flap.
  ChurnBand b = ChurnBand::kLow;
  int changes = 0;
  for (const double r : {0.49, 0.51, 0.49, 0.52, 0.48, 0.51, 0.47}) {
    const ChurnBand next = NextChurnBand(b, r, o);
    changes += next != b;
    b = next;
  }
  EXPECT_EQ(changes, 1);
}

state::CustomerState WeeklyBuyer(int purchases) {
  state::CustomerState s;
  s.first_seen = TimeMs(0);
  s.purchases.first = TimeMs(0);
  s.purchases.last = TimeMs((purchases - 1) * 7 * kDay);
  s.purchases.distinct_days = purchases;
  s.last_seen = s.purchases.last;
  s.events_total = purchases;
  return s;
}

TEST(ChurnScorerTest, RiskIsTheDocumentedMixAndRisesWithSilence) {
  auto model = std::make_shared<const ChurnModel>(*ParseChurnModel(kModel));
  const ChurnScorer scorer(ChurnOptions{}, model, nullptr);
  const state::CustomerState s = WeeklyBuyer(5);
  double previous = -1;
  for (int silent_days = 0; silent_days <= 120; silent_days += 10) {
    const TimeMs now(s.last_seen.value() + silent_days * kDay);
    const ChurnScore score = scorer.Score(s, now);
    ASSERT_EQ(score.basis, ChurnBasis::kPurchases);
    EXPECT_EQ(score.summary.x, 4);
    EXPECT_NEAR(score.summary.t_x, 4.0, 1e-12);
    EXPECT_NEAR(score.summary.T, 4.0 + silent_days / 7.0, 1e-12);
    EXPECT_DOUBLE_EQ(score.p_alive, ProbabilityAlive(model->params, score.summary));
    const double left = std::exp2(-silent_days / 14.0);
    EXPECT_NEAR(score.engagement_left, left, 1e-12);
    EXPECT_NEAR(score.risk, 1 - score.p_alive * left, 1e-12);
    EXPECT_NEAR(score.p_alive_term + score.inactivity_term, score.risk, 1e-12);
    EXPECT_GT(score.risk, previous) << silent_days;
    previous = score.risk;
  }
  EXPECT_GT(previous, 0.8);
}

TEST(ChurnScorerTest, ChoosesPurchasesThenSessionsThenInactivity) {
  auto model = std::make_shared<const ChurnModel>(*ParseChurnModel(kModel));
  state::CustomerState browser;
  browser.first_seen = TimeMs(0);
  browser.last_seen = TimeMs(3 * kDay);
  browser.sessions.count = 3;
  browser.sessions.start = TimeMs(3 * kDay);
  const TimeMs now(10 * kDay);
  EXPECT_EQ(ChurnScorer(ChurnOptions{}, model, nullptr).Score(browser, now).basis,
            ChurnBasis::kInactivity);
  const ChurnScore sessions = ChurnScorer(ChurnOptions{}, model, model).Score(browser, now);
  EXPECT_EQ(sessions.basis, ChurnBasis::kSessions);
  EXPECT_EQ(sessions.summary.x, 2);
  EXPECT_TRUE(std::isnan(ChurnScorer(ChurnOptions{}, model, model).ExpectedPurchases30d(sessions)));
  const ChurnScore alone = ChurnScorer(ChurnOptions{}, nullptr, nullptr).Score(browser, now);
  EXPECT_TRUE(std::isnan(alone.p_alive));
  EXPECT_NEAR(alone.risk, 1 - std::exp2(-7.0 / 14.0), 1e-12);
  const ChurnScore bought = ChurnScorer(ChurnOptions{}, model, model).Score(WeeklyBuyer(2), now);
  EXPECT_EQ(bought.basis, ChurnBasis::kPurchases);
  EXPECT_GT(ChurnScorer(ChurnOptions{}, model, nullptr).ExpectedPurchases30d(bought), 0);
}

TEST(ChurnRiskEventTest, HasADeterministicIdAndNullsForMissingModelValues) {
  const ChurnScorer scorer(ChurnOptions{}, nullptr, nullptr);
  state::CustomerState s;
  s.last_seen = TimeMs(0);
  const ChurnScore score = scorer.Score(s, TimeMs(40 * kDay));
  ChurnRiskChange c{.customer_id = "c1",
                    .previous_band = ChurnBand::kMedium,
                    .band = ChurnBand::kHigh,
                    .score = &score,
                    .expected_purchases_30d = std::nan(""),
                    .changed_at = TimeMs(40 * kDay),
                    .detected_at = TimeMs(41 * kDay),
                    .events_total = 3};
  std::string a, b;
  WriteChurnRiskJson(c, &a);
  c.detected_at = TimeMs(42 * kDay);  // processing time is not part of the id
  EXPECT_EQ(ChurnRiskEventId(c), ChurnRiskEventId(c));
  const std::string id = ChurnRiskEventId(c);
  c.changed_at = TimeMs(39 * kDay);
  EXPECT_NE(ChurnRiskEventId(c), id);
  EXPECT_NE(a.find(R"("p_alive":null,"expected_purchases_30d":null)"), std::string::npos) << a;
  EXPECT_NE(a.find(R"("model":null)"), std::string::npos) << a;
  EXPECT_NE(a.find(R"("band":"high","previous_band":"medium")"), std::string::npos) << a;
  EXPECT_EQ(a.find("p_alive\",\"value"), std::string::npos) << "no p_alive driver without a model";
}

}  // namespace
}  // namespace processors::churn
