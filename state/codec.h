#pragma once

// The versioned binary encoding of CustomerState (layout in state/codec_io.h; version 2
// adds the engagement features of SPEC §4, written sparsely: only non-empty sections,
// only non-zero entries).
// A newer binary decodes every older version; the first byte is the version.
// Pure functions; thread-safe.

#include <string>
#include <string_view>

#include "ops/status.h"
#include "state/customer_state.h"

namespace state {

// The version EncodeCustomer writes.
inline constexpr uint8_t kCustomerCodecVersion = 2;

// Appends the encoding of `s` to `out`.
void EncodeCustomer(const CustomerState& s, std::string* out);

// Decodes any version this binary knows. Corruption when `bytes` is truncated, has
// trailing garbage, or names an unknown version.
ops::Result<CustomerState> DecodeCustomer(std::string_view bytes);

// Only last_seen, from the header every version starts with: cheap, for scans that need
// nothing else (rebuilding timers after a restore).
ops::Result<TimeMs> DecodeLastSeen(std::string_view bytes);

}  // namespace state
