#pragma once

// The recent event ids of one customer, for deduplication (SPEC §3): a small
// fixed-capacity set of 64-bit id hashes, each with the event time it was seen at.
// Plain data, part of the customer's state; the logic (what counts as a duplicate,
// which entry is evicted) lives in processors/dedup.h, the encoding in state/codec.
// Not thread-safe; owned by the customer's state.

#include <array>
#include <cstdint>

#include "state/types.h"

namespace state {

struct RecentIds {
  // At most this many ids are remembered per customer. 16 entries * 16 bytes = 256 bytes
  // of state per customer; producer retries and at-least-once redeliveries arrive
  // within a few events of the original, so a short memory catches them.
  static constexpr size_t kCapacity = 16;

  struct Entry {
    uint64_t hash = 0;  // processors::HashEventId of the event id
    TimeMs time{0};     // event time of the event that carried it, ms since the epoch
    bool operator==(const Entry&) const = default;
  };

  // entries[0, size) are in use, in no particular order.
  std::array<Entry, kCapacity> entries{};
  uint8_t size = 0;

  bool empty() const { return size == 0; }
  bool full() const { return size == kCapacity; }
  bool operator==(const RecentIds&) const = default;
};

}  // namespace state
