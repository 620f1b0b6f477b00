#pragma once

// The segment-change output event (schemas/segment-change.v1.json).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "state/types.h"

namespace processors {

inline constexpr std::string_view kSegmentChangeSchema = "engaged.segment_change";
inline constexpr int64_t kSegmentChangeSchemaVersion = 1;

// One feature a rule read, and its value at the change (NaN: undefined, written null).
struct FeatureValue {
  std::string_view name;
  double value = 0;
};

struct SegmentChange {
  std::string_view customer_id;
  std::string_view previous_segment;       // empty: the customer was in no segment
  std::string_view segment;                // empty: the customer left every segment
  std::string_view rule;                   // the rule that decided `segment`
  state::TimeMs changed_at;                // event time of the change
  state::TimeMs detected_at;               // processing (wall-clock) time
  int64_t events_total = 0;                // part of the event id (identifies the state)
  std::span<const FeatureValue> features;  // the features `rule` read, by name
};

// The event's id: a function of the customer, the transition and its event time only,
// so a replay of the same input produces the same id.
std::string SegmentChangeEventId(const SegmentChange& c);

// Appends the JSON encoding of `c` to `out`. Integral feature values are written as
// integers, NaN and infinities as null.
void WriteSegmentChangeJson(const SegmentChange& c, std::string* out);

// The optional Segment-compatible form of a change (SPEC §5): `track` events named
// "Audience Exited" (for previous_segment) and "Audience Entered" (for segment). A move
// from A to B is two events, a move from or to no segment one. Not yet wired to an
// output: topologies/ would emit these instead of, or beside, the v1 event.
enum class AudienceEvent : uint8_t {
  kExited,   // "Audience Exited" for c.previous_segment; REQUIRES: it is not empty
  kEntered,  // "Audience Entered" for c.segment; REQUIRES: it is not empty
};

// Appends the Segment track event `which` of `c` to `out`. messageId is deterministic
// (the v1 event id and `which`); timestamp is changed_at; properties carry
// audience_key, the other audience, rule and the feature snapshot.
void WriteAudienceTrackJson(const SegmentChange& c, AudienceEvent which, std::string* out);

}  // namespace processors
