#pragma once

// Deduplication by event id (Segment messageId, Snowplow event_id), per customer,
// within a configurable horizon of event time (SPEC §3). Pure functions over
// state::RecentIds; thread-safe; no allocation.
//
// Semantics. A record is a duplicate when the customer's RecentIds holds its id hash
// with an event time within `horizon_ms` of the record's own (|t - t_seen| <=
// horizon_ms). Entries older than the newest event time minus the horizon expire:
// Remember drops them first. When all kCapacity entries are still live, Remember
// evicts the one with the oldest event time, so an id is remembered for at least the
// next kCapacity - 1 distinct ids of that customer (or until it expires), and a
// duplicate that arrives later than that is not detected: deduplication is
// best-effort beyond that window, and exact within it.
//
// Typical use:
//   const uint64_t h = HashEventId(e.event_id);
//   if (IsDuplicate(s.recent_ids, h, e.time, horizon)) { count it; drop it; }
//   else { Remember(s.recent_ids, h, e.time, horizon); apply the event; }
// Records without an event id are never duplicates (do not call these for them).

#include <cstdint>
#include <string_view>

#include "state/recent_ids.h"
#include "state/types.h"

namespace processors {

// A 64-bit hash of an event id: FNV-1a 64 followed by the MurmurHash3 fmix64
// finalizer. It is persisted in customer state, so it must never change.
uint64_t HashEventId(std::string_view event_id);

// True when `hash` was remembered with an event time within `horizon_ms` of `time`.
// REQUIRES: horizon_ms >= 0.
bool IsDuplicate(const state::RecentIds& ids, uint64_t hash, state::TimeMs time,
                 int64_t horizon_ms);

// Records `hash` at `time`: expires entries older than (newest time - horizon_ms),
// refreshes the entry when `hash` is already there (keeping the later time), or takes
// a free entry, or evicts the entry with the oldest time when full.
// REQUIRES: horizon_ms >= 0.
void Remember(state::RecentIds& ids, uint64_t hash, state::TimeMs time, int64_t horizon_ms);

}  // namespace processors
