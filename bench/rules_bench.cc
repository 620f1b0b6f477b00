// Segment rule evaluation for the default lifecycle (examples/lifecycle.yaml):
// one compiled program, and a whole ladder decision (several programs) per customer,
// over states built by replaying a synthetic event stream.
//   build-rules/bench/rules_bench --benchmark_min_time=2
// Target: >= 10,000,000 rule evaluations per second per core.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

#include "bench/features_profile.h"
#include "processors/feature_catalog.h"
#include "processors/features.h"
#include "processors/rules/expr_parser.h"
#include "processors/segments.h"

namespace {

constexpr uint32_t kCustomers = 4096;  // a power of two
constexpr size_t kStreamLength = 1 << 18;

processors::SegmentDefinition Seg(const char* name, const char* enter, const char* exit = "",
                                  int64_t min_dwell_ms = 0) {
  processors::SegmentDefinition d;
  d.name = name;
  d.enter = enter;
  d.exit = exit;
  d.min_dwell_ms = min_dwell_ms;
  return d;
}

// The segments of examples/lifecycle.yaml.
std::vector<processors::SegmentDefinition> Lifecycle() {
  constexpr int64_t kWeekMs = 7LL * 24 * 3600 * 1000;
  return {
      Seg("dormant", "days_since(last_seen) >= 60", "days_since(last_seen) < 1"),
      Seg("at_risk", "days_since(last_seen) >= 21", "days_since(last_seen) < 1"),
      Seg("reactivated",
          "days_since(first_seen) >= 60 and interactions_7d >= 1 and "
          "interactions_28d == interactions_7d",
          "", kWeekMs),
      Seg("new", "days_since(first_seen) < 14", "days_since(first_seen) >= 14"),
      Seg("engaged", "sessions_28d >= 8 and active_days >= 10", "sessions_28d < 5", kWeekMs),
      Seg("active", "interactions_28d >= 1"),
  };
}

// Customer states after a synthetic stream, and the stream's end time.
struct Population {
  std::vector<state::CustomerState> states;
  state::TimeMs now{0};
};

Population MakePopulation() {
  const processors::FeatureOptions options;
  processors::FeatureUpdater updater(options);
  Population p;
  p.states.resize(kCustomers);
  for (const auto& e : bench::MakeStream(kStreamLength, kCustomers, 7)) {
    updater.Apply(e.event, p.states[e.customer]);
    p.now = std::max(p.now, e.event.time);
  }
  return p;
}

// One compiled rule per iteration, over the population. The argument picks the rule.
constexpr const char* kRules[] = {
    // lifetime counters and times: the interpreter's own cost dominates
    "events_total >= 20 and days_since(last_seen) < 7 and active_days >= 3",
    // the engaged rule of the lifecycle: a 28-day window getter dominates
    "sessions_28d >= 8 and active_days >= 10",
    // only constants: the interpreter alone
    "(1 + 2) * 3 >= 9 and not 4 / 2 < 1",
};

// With spread_days 90, customer `c` is evaluated (c mod 90) days after the stream's
// end, so that the population spreads over new, active, at_risk and dormant (the
// stream itself lasts hours). With 1, everyone is evaluated at the end, when all
// events fall on one day: every window getter then walks its full 28-day range.
state::TimeMs At(const Population& p, size_t c, int64_t spread_days = 90) {
  return state::TimeMs(p.now.value() + static_cast<int64_t>(c) % spread_days * state::kMsPerDay);
}

void BM_OneRule(benchmark::State& st) {
  const processors::FeatureCatalog catalog{processors::FeatureOptions{}};
  const processors::rules::Compiled c = processors::rules::Compile(kRules[st.range(0)], catalog);
  st.SetLabel(kRules[st.range(0)]);
  const Population p = MakePopulation();
  size_t i = 0;
  int64_t holds = 0;
  for (auto _ : st) {
    holds += c.program.Holds(catalog, p.states[i], At(p, i)) ? 1 : 0;
    i = (i + 1) & (kCustomers - 1);
  }
  benchmark::DoNotOptimize(holds);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_OneRule)->Arg(0)->Arg(1)->Arg(2);

// One ladder decision: the enters above the current segment, its exit, and the enters
// below when it leaves. items/s = decisions.
void BM_LifecycleDecision(benchmark::State& st) {
  const processors::SegmentLadder ladder(Lifecycle(), processors::FeatureOptions{});
  Population p = MakePopulation();
  // Place every customer where the ladder puts it, so decisions are mostly "stay".
  for (size_t c = 0; c < p.states.size(); ++c) {
    auto& s = p.states[c];
    const processors::SegmentDecision d = ladder.Evaluate(s, At(p, c, st.range(0)));
    if (d.move == processors::SegmentMove::kMove) {
      s.segment = d.to != nullptr ? d.to->name : "";
      s.segment_entered_at = At(p, c, st.range(0));
    }
  }
  size_t i = 0;
  int64_t moves = 0;
  for (auto _ : st) {
    moves +=
        ladder.Evaluate(p.states[i], At(p, i, st.range(0))).move == processors::SegmentMove::kMove;
    i = (i + 1) & (kCustomers - 1);
  }
  benchmark::DoNotOptimize(moves);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_LifecycleDecision)->Arg(90)->Arg(1);

}  // namespace
