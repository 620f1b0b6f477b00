#include "processors/segment_change.h"

#include <cmath>

#include "processors/event_id.h"
#include "processors/json_writer.h"
#include "processors/timestamp.h"

namespace processors {
namespace {

// Doubles with an exact int64 representation up to this magnitude are written as integers.
constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

void WriteFeature(JsonWriter& w, double v) {
  if (!std::isfinite(v)) {
    w.Null();
  } else if (std::trunc(v) == v && std::fabs(v) <= kMaxExactInteger) {
    w.Value(static_cast<int64_t>(v));
  } else {
    w.Value(v);
  }
}

// The "features" member: the snapshot by name.
void WriteFeatures(JsonWriter& w, const SegmentChange& c) {
  w.Key("features").BeginObject();
  for (const FeatureValue& f : c.features) {
    w.Key(f.name);
    WriteFeature(w, f.value);
  }
  w.EndObject();
}

}  // namespace

std::string SegmentChangeEventId(const SegmentChange& c) {
  const std::string at = std::to_string(c.changed_at.value());
  const std::string count = std::to_string(c.events_total);
  return DeterministicId(
      {kSegmentChangeSchema, c.customer_id, c.previous_segment, c.segment, at, count});
}

void WriteSegmentChangeJson(const SegmentChange& c, std::string* out) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("schema").BeginObject();
  w.Key("name").Value(kSegmentChangeSchema).Key("version").Value(kSegmentChangeSchemaVersion);
  w.EndObject();
  w.Key("event_id").Value(SegmentChangeEventId(c));
  w.Key("customer_id").Value(c.customer_id);
  w.Key("previous_segment").StringOrNull(c.previous_segment);
  w.Key("segment").StringOrNull(c.segment);
  w.Key("changed_at").Value(FormatIso8601(c.changed_at));
  w.Key("detected_at").Value(FormatIso8601(c.detected_at));
  w.Key("rule").Value(c.rule);
  WriteFeatures(w, c);
  w.EndObject();
}

void WriteAudienceTrackJson(const SegmentChange& c, AudienceEvent which, std::string* out) {
  const bool entered = which == AudienceEvent::kEntered;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("type").Value("track");
  w.Key("event").Value(entered ? "Audience Entered" : "Audience Exited");
  w.Key("userId").Value(c.customer_id);
  w.Key("messageId")
      .Value(DeterministicId({SegmentChangeEventId(c), entered ? "entered" : "exited"}));
  w.Key("timestamp").Value(FormatIso8601(c.changed_at));
  w.Key("properties").BeginObject();
  w.Key("audience_key").Value(entered ? c.segment : c.previous_segment);
  w.Key(entered ? "previous_audience_key" : "next_audience_key")
      .StringOrNull(entered ? c.previous_segment : c.segment);
  w.Key("rule").Value(c.rule);
  WriteFeatures(w, c);
  w.EndObject();
  w.EndObject();
}

}  // namespace processors
