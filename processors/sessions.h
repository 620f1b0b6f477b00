#pragma once

// Sessions: runs of a customer's events separated by no more than an inactivity gap.
// Pure functions over state::Sessions; thread-safe; no allocation.
//
// In order (t >= the current session's last event): a gap longer than `gap_ms` starts a
// new session, otherwise the session extends to t and its active time grows by the gap.
// Out of order (t < last), deterministic and simple, never merging or splitting:
//   - start <= t: inside the current session; nothing moves.
//   - start − gap_ms <= t < start: the current session starts earlier, at t; its active
//     time grows by start − t.
//   - t < start − gap_ms: the event belongs to an earlier session, which is closed and
//     not kept: sessions are unchanged (kEarlier), and it cannot make one converting.
// A session converts when it holds an event whose type is a conversion type; it counts
// once in `converting`, however many conversions it holds.

#include <cstdint>

#include "state/customer_state.h"
#include "state/types.h"

namespace processors {

enum class SessionUpdate : uint8_t {
  kSame,     // the event joined (or extended) the current session
  kStarted,  // the event started a new session (the first, or after a gap)
  kEarlier,  // the event is older than the current session; sessions are unchanged
};

// Folds an event at `t` into `s`. `converts` when its type is a conversion type.
// REQUIRES: gap_ms >= 0.
SessionUpdate UpdateSessions(state::Sessions& s, state::TimeMs t, bool converts, int64_t gap_ms);

}  // namespace processors
