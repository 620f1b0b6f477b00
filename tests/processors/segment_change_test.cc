#include "processors/segment_change.h"

#include <gtest/gtest.h>

#include <cmath>

#include "processors/event_id.h"

namespace processors {
namespace {

const FeatureValue kFeatures[] = {
    {"events_total", 3.0}, {"days_since_last_event", 1.25}, {"nps_latest", std::nan("")}};

SegmentChange Change() {
  return {.customer_id = "c\"1",
          .previous_segment = "",
          .segment = "active",
          .rule = "events_total >= 3",
          .changed_at = state::TimeMs(1709632800000),
          .detected_at = state::TimeMs(1709632801500),
          .events_total = 3,
          .features = kFeatures};
}

TEST(SegmentChangeTest, WritesTheV1Schema) {
  std::string out;
  WriteSegmentChangeJson(Change(), &out);
  EXPECT_EQ(
      out,
      R"({"schema":{"name":"engaged.segment_change","version":1},"event_id":")" +
          SegmentChangeEventId(Change()) +
          R"(","customer_id":"c\"1","previous_segment":null,"segment":"active",)"
          R"("changed_at":"2024-03-05T10:00:00.000Z","detected_at":"2024-03-05T10:00:01.500Z",)"
          R"("rule":"events_total >= 3","features":{"events_total":3,"days_since_last_event":1.25,)"
          R"("nps_latest":null}})");
}

TEST(SegmentChangeTest, EventIdIgnoresProcessingTimeButNotTheTransition) {
  SegmentChange a = Change();
  SegmentChange b = Change();
  b.detected_at = state::TimeMs(0);
  EXPECT_EQ(SegmentChangeEventId(a), SegmentChangeEventId(b));
  b.segment = "engaged";
  EXPECT_NE(SegmentChangeEventId(a), SegmentChangeEventId(b));
  b = Change();
  b.changed_at = state::TimeMs(a.changed_at.value() + 1);
  EXPECT_NE(SegmentChangeEventId(a), SegmentChangeEventId(b));
  EXPECT_EQ(SegmentChangeEventId(a).size(), 32u);
}

TEST(SegmentChangeTest, AudienceTrackEventsInTheSegmentShape) {
  SegmentChange c = Change();
  c.previous_segment = "new";
  std::string exited, entered;
  WriteAudienceTrackJson(c, AudienceEvent::kExited, &exited);
  WriteAudienceTrackJson(c, AudienceEvent::kEntered, &entered);
  EXPECT_EQ(entered, R"({"type":"track","event":"Audience Entered","userId":"c\"1","messageId":")" +
                         DeterministicId({SegmentChangeEventId(c), "entered"}) +
                         R"(","timestamp":"2024-03-05T10:00:00.000Z","properties":{)"
                         R"("audience_key":"active","previous_audience_key":"new",)"
                         R"("rule":"events_total >= 3","features":{"events_total":3,)"
                         R"("days_since_last_event":1.25,"nps_latest":null}}})");
  EXPECT_NE(exited.find(R"("event":"Audience Exited")"), std::string::npos) << exited;
  EXPECT_NE(exited.find(R"("audience_key":"new","next_audience_key":"active")"), std::string::npos)
      << exited;
  EXPECT_EQ(exited.find(DeterministicId({SegmentChangeEventId(c), "entered"})), std::string::npos);
}

TEST(EventIdTest, PartsAreLengthDelimited) {
  EXPECT_NE(DeterministicId({"ab", "c"}), DeterministicId({"a", "bc"}));
  EXPECT_EQ(DeterministicId({"x", "y"}), DeterministicId({"x", "y"}));
}

}  // namespace
}  // namespace processors
