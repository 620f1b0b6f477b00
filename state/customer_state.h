#pragma once

// The rolling engagement state of one customer, as kept in RocksDB and in the
// write-back cache. Plain data: the logic that updates it lives in processors/, the
// binary encoding in state/codec.h. Every field states its unit.

#include <cstdint>
#include <string>

#include "state/types.h"

namespace state {

struct CustomerState {
  // Event time of the first and of the latest valid event, ms since the epoch (UTC).
  TimeMs first_seen{0};
  TimeMs last_seen{0};
  // Number of valid events counted for this customer (after deduplication).
  int64_t events_total = 0;
  // Name of the segment the customer is in; empty when in none.
  std::string segment;
  // Event time at which the customer entered `segment`, ms since the epoch.
  TimeMs segment_entered_at{0};

  bool operator==(const CustomerState&) const = default;
};

}  // namespace state
