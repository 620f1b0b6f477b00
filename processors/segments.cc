#include "processors/segments.h"

#include <algorithm>

#include "fmt/format.h"

namespace processors {

SegmentLadder::SegmentLadder(std::vector<SegmentDefinition> segments)
    : by_threshold_(std::move(segments)) {
  std::stable_sort(by_threshold_.begin(), by_threshold_.end(),
                   [](const auto& a, const auto& b) { return a.min_events < b.min_events; });
}

const SegmentDefinition* SegmentLadder::Evaluate(const state::CustomerState& s) const {
  const SegmentDefinition* found = nullptr;
  for (const auto& d : by_threshold_) {
    if (s.events_total < d.min_events) break;
    found = &d;
  }
  return found;
}

std::string SegmentLadder::RuleText(const SegmentDefinition& d) {
  return fmt::format("events_total >= {}", d.min_events);
}

}  // namespace processors
