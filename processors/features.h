#pragma once

// Folds one valid event into a customer's state. Pure (no I/O); thread-safe.

#include "processors/event.h"
#include "state/customer_state.h"

namespace processors {

// Counts `e` and moves first/last seen. An event older than last_seen (late, within
// the allowed lateness) is counted but does not move last_seen back.
void ApplyEvent(const Event& e, state::CustomerState& s);

}  // namespace processors
