// The expression compiler: precedence, types, and errors with positions.

#include "processors/rules/expr_parser.h"

#include <gtest/gtest.h>

#include <cmath>

namespace processors::rules {
namespace {

class ExprParserTest : public testing::Test {
 protected:
  // The value of `text` for a customer with 10 events on 4 active days.
  double Value(std::string_view text) {
    const Compiled c = Compile(text, catalog_);
    EXPECT_TRUE(c.ok()) << text << ": " << (c.ok() ? "" : c.error->message);
    state::CustomerState s;
    s.events_total = 10;
    s.active_days = 4;
    return c.program.Run(catalog_, s, state::TimeMs(0));
  }
  ExprError Error(std::string_view text) {
    const Compiled c = Compile(text, catalog_);
    EXPECT_FALSE(c.ok()) << text;
    return c.error.value_or(ExprError{});
  }

  const FeatureCatalog catalog_{FeatureOptions{}};
};

TEST_F(ExprParserTest, MultiplicationBindsTighterThanAddition) {
  EXPECT_EQ(Value("1 + 2 * 3 == 7"), 1.0);
  EXPECT_EQ(Value("(1 + 2) * 3 == 9"), 1.0);
  EXPECT_EQ(Value("events_total - active_days * 2 == 2"), 1.0);    // 10 - 8
  EXPECT_EQ(Value("events_total / active_days / 5 == 0.5"), 1.0);  // left-associative
  EXPECT_EQ(Value("events_total - 4 - 3 == 3"), 1.0);
}

TEST_F(ExprParserTest, UnaryMinusBindsTighterThanProduct) {
  EXPECT_EQ(Value("-2 * 3 == -6"), 1.0);
  EXPECT_EQ(Value("- -events_total == 10"), 1.0);
  EXPECT_EQ(Value("-(1 + 2) < -2.5"), 1.0);
}

TEST_F(ExprParserTest, AndBindsTighterThanOrAndNotTighterThanAnd) {
  // true or (false and false) = true; (true or false) and false would be false.
  EXPECT_EQ(Value("1 < 2 or 1 > 2 and 1 > 2"), 1.0);
  // (not false) and false = false; not (false and false) would be true.
  EXPECT_EQ(Value("not 1 > 2 and 1 > 2"), 0.0);
  EXPECT_EQ(Value("not (1 > 2 and 1 > 2)"), 1.0);
  // Comparisons bind tighter than `not`: not (10 >= 5).
  EXPECT_EQ(Value("not events_total >= 5"), 0.0);
}

TEST_F(ExprParserTest, ChainsOfAndOrShortCircuitToTheRightValue) {
  EXPECT_EQ(Value("1 > 2 or 1 > 2 or 2 > 1"), 1.0);
  EXPECT_EQ(Value("1 > 2 or 1 > 2 or 2 > 3"), 0.0);
  EXPECT_EQ(Value("1 < 2 and 2 < 3 and 3 < 2"), 0.0);
  EXPECT_EQ(Value("1 < 2 and 2 < 3 and 3 < 4"), 1.0);
  EXPECT_EQ(Value("(1 > 2 and 1 < 2) or (2 > 1 and not 3 < 1)"), 1.0);
  EXPECT_EQ(Value("not (1 < 2 or 1 > 2) or events_total == 10"), 1.0);
  const Compiled c = Compile("events_total > 1 and active_days > 1", catalog_);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c.program.code().size(), 7u);  // load const gt jump load const gt
  EXPECT_EQ(c.program.code()[3].op, Op::kAndJump);
  EXPECT_EQ(c.program.code()[3].arg, 7u);  // past the end: the left value is the result
}

TEST_F(ExprParserTest, AllComparisons) {
  EXPECT_EQ(Value("events_total < 10"), 0.0);
  EXPECT_EQ(Value("events_total <= 10"), 1.0);
  EXPECT_EQ(Value("events_total > 9.5"), 1.0);
  EXPECT_EQ(Value("events_total >= 10.5"), 0.0);
  EXPECT_EQ(Value("events_total == 10"), 1.0);
  EXPECT_EQ(Value("events_total != 10"), 0.0);
  EXPECT_EQ(Value("1e1 == events_total and .5 == 0.5"), 1.0);
}

TEST_F(ExprParserTest, ResolvesFeaturesOnceAndListsThem) {
  const Compiled c = Compile("events_total > 1 and active_days > 1 or events_total > 5", catalog_);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c.program.features().size(), 2u);
  EXPECT_EQ(catalog_.Name(c.program.features()[0]), "events_total");
  EXPECT_EQ(catalog_.Name(c.program.features()[1]), "active_days");
}

TEST_F(ExprParserTest, DaysSinceReadsTheMatchingFeature) {
  const Compiled c = Compile("days_since(last_seen) > 30", catalog_);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c.program.features().size(), 1u);
  EXPECT_EQ(catalog_.Name(c.program.features()[0]), "days_since_last_event");
  for (const char* t : {"first_seen", "segment_entered_at", "first_purchase", "last_purchase"}) {
    EXPECT_TRUE(Compile(std::string("days_since(") + t + ") >= 0", catalog_).ok()) << t;
  }
}

struct BadCase {
  const char* text;
  size_t offset;
  const char* token;
  const char* message_part;
};

TEST_F(ExprParserTest, ErrorsCarryTheOffendingTokenAndItsOffset) {
  const BadCase cases[] = {
      {"events_totl >= 3", 0, "events_totl", "unknown feature 'events_totl'"},
      {"events_total >= ", 16, "", "found the end of the expression"},
      {"events_total >= 3)", 17, ")", "unexpected ')'"},
      {"(events_total >= 3", 18, "", "expected ')'"},
      {"events_total = 3", 13, "=", "write '=='"},
      {"events_total >= 3 && active_days > 1", 18, "&", "'and'"},
      {"events_total + 3", 0, "events_total", "must be a condition"},
      {"events_total >= 3 and 4", 18, "and", "needs a condition on its right"},
      {"(events_total > 1) + 2 > 0", 19, "+", "needs a number on its left"},
      {"not events_total", 0, "not", "needs a condition on its right"},
      {"1 < events_total < 5", 17, "<", "comparisons do not chain"},
      {"days_since(events_total) > 1", 11, "events_total", "days_since() takes"},
      {"days_since(last_seen > 1", 21, ">", "expected ')'"},
      {"log(events_total) > 1", 0, "log", "unknown function 'log'"},
      {"3x > 1", 1, "x", "malformed number"},
      {"events_total > 1 # comment", 17, "#", "unexpected character '#'"},
      {"", 0, "", "expected a number"},
      {"events_total >= 3 active_days", 18, "active_days", "after a complete expression"},
  };
  for (const BadCase& c : cases) {
    const ExprError e = Error(c.text);
    EXPECT_EQ(e.offset, c.offset) << c.text << ": " << e.message;
    EXPECT_EQ(e.token, c.token) << c.text;
    EXPECT_NE(e.message.find(c.message_part), std::string::npos) << c.text << ": " << e.message;
  }
}

TEST_F(ExprParserTest, DeepNestingIsAnErrorNotACrash) {
  const std::string deep = std::string(1000, '(') + "1 > 0" + std::string(1000, ')');
  const ExprError e = Error(deep);
  EXPECT_EQ(e.offset, static_cast<size_t>(kMaxNesting));
  EXPECT_NE(e.message.find("nests more than"), std::string::npos);
  EXPECT_FALSE(Compile(std::string(kMaxExpressionLength + 1, ' '), catalog_).ok());
}

}  // namespace
}  // namespace processors::rules
