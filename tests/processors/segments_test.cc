#include "processors/segments.h"

#include <gtest/gtest.h>

namespace processors {
namespace {

TEST(SegmentLadderTest, PicksTheHighestThresholdReachedInAnyDeclaredOrder) {
  const SegmentLadder ladder({{"engaged", 6}, {"active", 3}});
  state::CustomerState s;
  s.events_total = 2;
  EXPECT_EQ(ladder.Evaluate(s), nullptr);
  s.events_total = 3;
  ASSERT_NE(ladder.Evaluate(s), nullptr);
  EXPECT_EQ(ladder.Evaluate(s)->name, "active");
  s.events_total = 100;
  EXPECT_EQ(ladder.Evaluate(s)->name, "engaged");
  EXPECT_EQ(SegmentLadder::RuleText(*ladder.Evaluate(s)), "events_total >= 6");
}

TEST(SegmentLadderTest, EmptyLadderPutsNobodyInASegment) {
  const SegmentLadder ladder({});
  state::CustomerState s;
  s.events_total = 1000;
  EXPECT_EQ(ladder.Evaluate(s), nullptr);
}

}  // namespace
}  // namespace processors
