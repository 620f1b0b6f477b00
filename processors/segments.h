#pragma once

// Segment membership from YAML rules (docs/segments.md). Segments are ordered by
// priority. A customer outside every segment enters the first whose `enter` holds. A
// customer in segment C stays there until min_dwell_ms has passed since it entered C
// AND either C's `exit` holds or a higher-priority segment's `enter` holds; it then
// moves to the first segment (other than C) whose `enter` holds, or to none. Exit
// defaults to `not (<enter>)`, so a customer oscillating inside an enter/exit band does
// not flap.
//
// Expressions are compiled once, at construction. Immutable afterwards; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "processors/feature_catalog.h"
#include "processors/feature_options.h"
#include "processors/rules/expr_program.h"
#include "state/customer_state.h"
#include "state/types.h"

namespace processors {

struct SegmentDefinition {
  std::string name;
  // Sugar for enter "events_total >= min_events", used when `enter` is empty.
  // Default 1. Unit: events.
  int64_t min_events = 1;
  // The condition to enter (docs/segments.md). Default: empty (use min_events).
  std::string enter{};
  // The condition to leave. Default: empty, meaning `not (<enter>)`.
  std::string exit{};
  // The least time spent in the segment before leaving it. Default 0. Unit: ms.
  int64_t min_dwell_ms = 0;
};

// The rule texts of `d` as the customer-facing events report them.
std::string EnterText(const SegmentDefinition& d);
std::string ExitText(const SegmentDefinition& d);

// What Evaluate decided. Returned on every state change (hot path).
enum class SegmentMove : uint8_t {
  kStay,  // the customer stays where it is (in a segment or in none)
  kMove,  // the customer moves to `to` (nullptr: to no segment)
};

struct CompiledSegment {
  std::string name;
  std::string enter_text;
  std::string exit_text;
  rules::Program enter;
  rules::Program exit;
  int64_t min_dwell_ms = 0;
};

struct SegmentDecision {
  SegmentMove move = SegmentMove::kStay;
  const CompiledSegment* to = nullptr;   // kMove: the new segment, nullptr for none
  const rules::Program* rule = nullptr;  // kMove: the program that decided the move
  std::string_view rule_text;            // kMove: its text
};

class SegmentLadder {
 public:
  // Builds the catalogue from `features` and compiles every expression. Segments are
  // in priority order, except that when no segment declares `enter` (the legacy
  // min_events ladder) they are ordered by descending min_events, so the highest
  // threshold reached wins whatever the declared order.
  // REQUIRES: names are unique and non-empty; expressions passed the config validation
  // (an expression that does not compile is logged as never holding).
  SegmentLadder(std::vector<SegmentDefinition> segments, const FeatureOptions& features);

  // Where `s` belongs at `now` (event time), given its current s.segment and
  // s.segment_entered_at.
  SegmentDecision Evaluate(const state::CustomerState& s, state::TimeMs now) const;

  const FeatureCatalog& catalog() const { return catalog_; }
  const std::vector<CompiledSegment>& segments() const { return segments_; }

 private:
  // The index of the first segment in [begin, end) whose enter holds, or size().
  size_t FirstEntered(const state::CustomerState& s, state::TimeMs now, size_t begin,
                      size_t end) const;
  SegmentDecision MoveTo(size_t index, const rules::Program* exit_rule,
                         std::string_view exit_text) const;

  FeatureCatalog catalog_;
  std::vector<CompiledSegment> segments_;
};

}  // namespace processors
