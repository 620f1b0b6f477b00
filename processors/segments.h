#pragma once

// Segment membership by event count: an ordered ladder of thresholds. A customer is
// in the highest segment whose `min_events` its events_total reaches, or in none.
// Immutable after construction; thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "state/customer_state.h"

namespace processors {

struct SegmentDefinition {
  std::string name;
  // The customer enters when events_total >= min_events.
  int64_t min_events = 1;
};

class SegmentLadder {
 public:
  // REQUIRES: names are unique and non-empty.
  explicit SegmentLadder(std::vector<SegmentDefinition> segments);

  // The segment `s` belongs to now (nullptr for none).
  const SegmentDefinition* Evaluate(const state::CustomerState& s) const;

  // The rule text of `d`, as reported in segment-change events.
  static std::string RuleText(const SegmentDefinition& d);

 private:
  std::vector<SegmentDefinition> by_threshold_;  // ascending min_events
};

}  // namespace processors
