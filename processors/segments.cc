#include "processors/segments.h"

#include <algorithm>
#include <limits>

#include "fmt/format.h"
#include "ops/log.h"
#include "processors/rules/expr_parser.h"

namespace processors {
namespace {

constexpr size_t kNone = std::numeric_limits<size_t>::max();

// A program that never holds, for an expression that failed to compile.
rules::Program Never() {
  rules::Program p;
  p.PushConst(0.0);
  return p;
}

rules::Program CompileOrNever(const std::string& text, const FeatureCatalog& catalog) {
  rules::Compiled c = rules::Compile(text, catalog);
  if (!c.ok()) {
    ops::Logger("segments")
        .Error("a segment expression does not compile; it never holds",
               {{"expression", text}, {"error", c.error->message}});
    return Never();
  }
  return std::move(c.program);
}

}  // namespace

std::string EnterText(const SegmentDefinition& d) {
  return d.enter.empty() ? fmt::format("events_total >= {}", d.min_events) : d.enter;
}

std::string ExitText(const SegmentDefinition& d) {
  return d.exit.empty() ? fmt::format("not ({})", EnterText(d)) : d.exit;
}

SegmentLadder::SegmentLadder(std::vector<SegmentDefinition> segments,
                             const FeatureOptions& features)
    : catalog_(features) {
  const bool legacy = std::none_of(segments.begin(), segments.end(),
                                   [](const auto& d) { return !d.enter.empty(); });
  if (legacy) {
    std::stable_sort(segments.begin(), segments.end(),
                     [](const auto& a, const auto& b) { return a.min_events > b.min_events; });
  }
  for (const SegmentDefinition& d : segments) {
    CompiledSegment c;
    c.name = d.name;
    c.enter_text = EnterText(d);
    c.exit_text = ExitText(d);
    c.enter = CompileOrNever(c.enter_text, catalog_);
    c.exit = CompileOrNever(c.exit_text, catalog_);
    c.min_dwell_ms = d.min_dwell_ms;
    segments_.push_back(std::move(c));
  }
}

size_t SegmentLadder::FirstEntered(const state::CustomerState& s, state::TimeMs now, size_t begin,
                                   size_t end) const {
  for (size_t i = begin; i < end; ++i) {
    if (segments_[i].enter.Holds(catalog_, s, now)) return i;
  }
  return segments_.size();
}

SegmentDecision SegmentLadder::MoveTo(size_t index, const rules::Program* exit_rule,
                                      std::string_view exit_text) const {
  if (index == segments_.size()) {
    return {SegmentMove::kMove, nullptr, exit_rule, exit_text};
  }
  const CompiledSegment& to = segments_[index];
  return {SegmentMove::kMove, &to, &to.enter, to.enter_text};
}

SegmentDecision SegmentLadder::Evaluate(const state::CustomerState& s, state::TimeMs now) const {
  size_t current = kNone;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].name == s.segment) current = i;
  }
  if (current == kNone) {
    const size_t first = FirstEntered(s, now, 0, segments_.size());
    // Outside every segment and entering none: stay. In a segment the config no longer
    // declares: leave it.
    if (first == segments_.size() && s.segment.empty()) return {};
    return MoveTo(first, nullptr, {});
  }
  const CompiledSegment& c = segments_[current];
  if (now.value() - s.segment_entered_at.value() < c.min_dwell_ms) return {};
  const size_t higher = FirstEntered(s, now, 0, current);
  if (higher < segments_.size()) return MoveTo(higher, nullptr, {});
  if (!c.exit.Holds(catalog_, s, now)) return {};
  return MoveTo(FirstEntered(s, now, current + 1, segments_.size()), &c.exit, c.exit_text);
}

}  // namespace processors
