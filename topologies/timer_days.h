#pragma once

// The UTC-midnight arithmetic of the partition tasks' timers, shared by the task and its
// timer code. Pure; header-only.

#include <cstdint>

#include "processors/timestamp.h"
#include "state/types.h"
#include "topologies/partition_task.h"

namespace topologies::timer_days {

// Expiry timers are due at the start of the UTC day after last_seen + retention, so a
// customer has at most one timer per active day, whatever the commit rate.
inline state::TimeMs ExpiryDue(state::TimeMs last_seen, int64_t retention_ms) {
  const int64_t at = last_seen.value() + retention_ms;
  return state::TimeMs((at / state::kMsPerDay + 1) * state::kMsPerDay);
}

// The UTC midnight after `t`, and the one at or before it.
inline state::TimeMs MidnightAfter(state::TimeMs t) {
  return state::TimeMs((processors::UtcDay(t) + 1) * state::kMsPerDay);
}
inline state::TimeMs MidnightAtOrBefore(state::TimeMs t) {
  return state::TimeMs(processors::UtcDay(t) * state::kMsPerDay);
}

// Whether silent customers are woken daily (segments or churn risk to re-evaluate).
inline bool EvaluatesSilent(const TaskContext& ctx) {
  return (!ctx.ladder->segments().empty() || ctx.churn != nullptr) &&
         ctx.config->processing.silence_horizon_ms > 0;
}

}  // namespace topologies::timer_days
