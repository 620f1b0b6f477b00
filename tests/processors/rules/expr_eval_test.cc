// Running compiled programs: hand-computed values over real features, and NaN.

#include <gtest/gtest.h>

#include <cmath>

#include "processors/rules/expr_parser.h"
#include "state/types.h"

namespace processors::rules {
namespace {

using state::TimeMs;

constexpr int64_t kDay = state::kMsPerDay;

class ExprEvalTest : public testing::Test {
 protected:
  ExprEvalTest() {
    seen_.events_total = 12;
    seen_.active_days = 3;
    seen_.first_seen = TimeMs(10 * kDay);
    seen_.last_seen = TimeMs(40 * kDay);
  }
  double Run(std::string_view text, const state::CustomerState& s, TimeMs now) {
    const Compiled c = Compile(text, catalog_);
    EXPECT_TRUE(c.ok()) << text << ": " << (c.ok() ? "" : c.error->message);
    return c.program.Run(catalog_, s, now);
  }

  const FeatureCatalog catalog_{FeatureOptions{}};
  state::CustomerState seen_;   // 12 events on 3 days, first seen day 10, last day 40
  state::CustomerState never_;  // no events: every time feature is NaN
};

TEST_F(ExprEvalTest, ArithmeticOverFeatures) {
  const TimeMs now(45 * kDay + kDay / 2);  // 5.5 days after last_seen
  EXPECT_DOUBLE_EQ(Run("(events_total / active_days + 1) * 2 > 0", seen_, now), 1.0);
  // 12 / 3 + 1 = 5; * 2 = 10.
  EXPECT_EQ(Run("(events_total / active_days + 1) * 2 == 10", seen_, now), 1.0);
  EXPECT_EQ(Run("days_since(last_seen) == 5.5", seen_, now), 1.0);
  EXPECT_EQ(Run("days_since(first_seen) - days_since(last_seen) == 30", seen_, now), 1.0);
  EXPECT_EQ(Run("days_since(last_seen) > 5 and days_since(last_seen) < 6", seen_, now), 1.0);
}

TEST_F(ExprEvalTest, TimeFeaturesAreTakenAsOfLastSeenAtTheEarliest) {
  // `now` before last_seen (a late event): the catalogue uses max(now, last_seen).
  EXPECT_EQ(Run("days_since(last_seen) == 0", seen_, TimeMs(20 * kDay)), 1.0);
}

TEST_F(ExprEvalTest, EveryComparisonWithNanIsFalse) {
  const TimeMs now(50 * kDay);
  for (const char* op : {"<", "<=", ">", ">=", "==", "!="}) {
    const std::string text = std::string("days_since(last_seen) ") + op + " 1";
    EXPECT_EQ(Run(text, never_, now), 0.0) << text;
  }
  EXPECT_EQ(Run("days_since(last_seen) != days_since(last_seen)", never_, now), 0.0);
}

TEST_F(ExprEvalTest, NanPropagatesThroughArithmeticAndNotNegatesFalse) {
  const TimeMs now(50 * kDay);
  const Compiled sum = Compile("(days_since(first_seen) + 1) * 0 == 0", catalog_);
  EXPECT_EQ(sum.program.Run(catalog_, never_, now), 0.0);  // NaN * 0 is NaN, not 0
  EXPECT_EQ(Run("not days_since(last_seen) > 30", never_, now), 1.0);
  EXPECT_EQ(Run("days_since(last_seen) > 30 or events_total == 0", never_, now), 1.0);
  EXPECT_EQ(Run("days_since(last_seen) > 30 and events_total == 0", never_, now), 0.0);
}

TEST_F(ExprEvalTest, DivisionByZeroIsInfiniteOrNan) {
  const TimeMs now(50 * kDay);
  EXPECT_EQ(Run("events_total / 0 > 1000000", seen_, now), 1.0);  // +inf
  EXPECT_EQ(Run("0 / 0 == 0 or 0 / 0 != 0", seen_, now), 0.0);    // NaN
}

}  // namespace
}  // namespace processors::rules
