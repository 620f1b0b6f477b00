// The segment ladder: priority, hysteresis (no flapping on a threshold), min dwell, and
// the legacy min_events ladder.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "processors/segments.h"
#include "state/types.h"

namespace processors {
namespace {

using state::TimeMs;

constexpr int64_t kHour = 3600 * 1000;

SegmentDefinition Seg(std::string name, std::string enter, std::string exit = "",
                      int64_t min_dwell_ms = 0) {
  SegmentDefinition d;
  d.name = std::move(name);
  d.enter = std::move(enter);
  d.exit = std::move(exit);
  d.min_dwell_ms = min_dwell_ms;
  return d;
}

// Feeds a sequence of active_days values through a ladder, applying each move as the
// partition task does, and records the segments entered ("" for none).
class Walk {
 public:
  explicit Walk(std::vector<SegmentDefinition> segments)
      : ladder_(std::move(segments), FeatureOptions{}) {}

  // Sets active_days to `v` at time `at` and evaluates.
  void Step(int64_t v, TimeMs at) {
    s_.active_days = v;
    s_.events_total = v;
    const SegmentDecision d = ladder_.Evaluate(s_, at);
    if (d.move == SegmentMove::kStay) return;
    s_.segment = d.to != nullptr ? d.to->name : "";
    s_.segment_entered_at = at;
    moves_.push_back(s_.segment);
    rules_.emplace_back(d.rule_text);
  }
  const std::vector<std::string>& moves() const { return moves_; }
  const std::vector<std::string>& rules() const { return rules_; }
  const std::string& segment() const { return s_.segment; }

 private:
  SegmentLadder ladder_;
  state::CustomerState s_;
  std::vector<std::string> moves_;
  std::vector<std::string> rules_;
};

const std::vector<int64_t> kOscillation = {9, 10, 9, 10, 11, 9, 10, 9, 8, 9, 10, 7};

TEST(HysteresisTest, AnExitBandStopsFlappingAroundTheThreshold) {
  Walk w({Seg("engaged", "active_days >= 10", "active_days < 8")});
  int64_t t = 0;
  for (const int64_t v : kOscillation) w.Step(v, TimeMs(t += kHour));
  // Enters at the first 10, stays through 9/8, leaves only at 7.
  EXPECT_EQ(w.moves(), (std::vector<std::string>{"engaged", ""}));
  EXPECT_EQ(w.rules(), (std::vector<std::string>{"active_days >= 10", "active_days < 8"}));
}

TEST(HysteresisTest, WithoutAnExitBandTheSameInputFlaps) {
  // The control for the test above: the default exit is `not (enter)`.
  Walk w({Seg("engaged", "active_days >= 10")});
  int64_t t = 0;
  for (const int64_t v : kOscillation) w.Step(v, TimeMs(t += kHour));
  EXPECT_EQ(w.moves().size(), 8u);
  EXPECT_EQ(w.rules()[1], "not (active_days >= 10)");
}

TEST(HysteresisTest, MinDwellDelaysLeaving) {
  Walk w({Seg("engaged", "active_days >= 10", "", 24 * kHour)});
  w.Step(10, TimeMs(0));
  w.Step(1, TimeMs(23 * kHour));  // exit holds, but only 23 h of the 24 have passed
  EXPECT_EQ(w.segment(), "engaged");
  w.Step(1, TimeMs(24 * kHour));
  EXPECT_EQ(w.segment(), "");
  EXPECT_EQ(w.moves().size(), 2u);
}

TEST(HysteresisTest, MinDwellAlsoHoldsOffHigherPriority) {
  Walk w({Seg("vip", "active_days >= 20"), Seg("regular", "active_days >= 1", "", 2 * kHour)});
  w.Step(1, TimeMs(0));
  EXPECT_EQ(w.segment(), "regular");
  w.Step(25, TimeMs(kHour));
  EXPECT_EQ(w.segment(), "regular");
  w.Step(25, TimeMs(2 * kHour));
  EXPECT_EQ(w.segment(), "vip");
}

TEST(HysteresisTest, FirstSegmentInPriorityOrderWins) {
  Walk w({Seg("a", "active_days >= 5"), Seg("b", "active_days >= 3")});
  w.Step(6, TimeMs(0));
  EXPECT_EQ(w.segment(), "a");
  w.Step(4, TimeMs(1));  // a's exit holds: move to the first other segment that admits
  EXPECT_EQ(w.segment(), "b");
  w.Step(2, TimeMs(2));
  EXPECT_EQ(w.segment(), "");
  EXPECT_EQ(w.rules().back(), "not (active_days >= 3)");
}

TEST(HysteresisTest, LegacyMinEventsLadderIgnoresDeclaredOrder) {
  Walk w({{"active", 2}, {"engaged", 4}});
  w.Step(1, TimeMs(0));
  EXPECT_EQ(w.segment(), "");
  w.Step(2, TimeMs(1));
  EXPECT_EQ(w.segment(), "active");
  w.Step(4, TimeMs(2));
  EXPECT_EQ(w.segment(), "engaged");
  EXPECT_EQ(w.rules(), (std::vector<std::string>{"events_total >= 2", "events_total >= 4"}));
}

TEST(HysteresisTest, ASegmentNoLongerDeclaredIsLeft) {
  SegmentLadder ladder({Seg("a", "active_days >= 5")}, FeatureOptions{});
  state::CustomerState s;
  s.segment = "removed";
  const SegmentDecision d = ladder.Evaluate(s, TimeMs(0));
  EXPECT_EQ(d.move, SegmentMove::kMove);
  EXPECT_EQ(d.to, nullptr);
}

}  // namespace
}  // namespace processors
