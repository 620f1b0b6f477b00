#include "processors/segments.h"

#include <gtest/gtest.h>

namespace processors {
namespace {

const state::TimeMs kNow(0);

TEST(SegmentLadderTest, PicksTheHighestThresholdReachedInAnyDeclaredOrder) {
  const SegmentLadder ladder({{"engaged", 6}, {"active", 3}}, FeatureOptions{});
  state::CustomerState s;
  s.events_total = 2;
  EXPECT_EQ(ladder.Evaluate(s, kNow).move, SegmentMove::kStay);
  s.events_total = 3;
  SegmentDecision d = ladder.Evaluate(s, kNow);
  ASSERT_EQ(d.move, SegmentMove::kMove);
  ASSERT_NE(d.to, nullptr);
  EXPECT_EQ(d.to->name, "active");
  s.segment = "active";
  s.events_total = 100;
  d = ladder.Evaluate(s, kNow);
  ASSERT_NE(d.to, nullptr);
  EXPECT_EQ(d.to->name, "engaged");
  EXPECT_EQ(d.rule_text, "events_total >= 6");
}

TEST(SegmentLadderTest, EmptyLadderPutsNobodyInASegment) {
  const SegmentLadder ladder({}, FeatureOptions{});
  state::CustomerState s;
  s.events_total = 1000;
  EXPECT_EQ(ladder.Evaluate(s, kNow).move, SegmentMove::kStay);
}

TEST(SegmentLadderTest, RuleTextsOfTheSugarAndTheDefaultExit) {
  SegmentDefinition d{"a", 3};
  EXPECT_EQ(EnterText(d), "events_total >= 3");
  EXPECT_EQ(ExitText(d), "not (events_total >= 3)");
  d.enter = "active_days > 1";
  EXPECT_EQ(ExitText(d), "not (active_days > 1)");
  d.exit = "active_days < 1";
  EXPECT_EQ(ExitText(d), "active_days < 1");
}

}  // namespace
}  // namespace processors
