#pragma once

// Why a record was rejected: a closed set, documented in docs/dead-letters.md. The
// name is the `reason` label of engaged_records_invalid_total and the `error.code`
// header of the dead letter.

#include <cstdint>
#include <string_view>

namespace processors {

enum class InvalidReason : uint8_t {
  kInvalidJson,        // the value is not well-formed JSON
  kNotObject,          // well-formed JSON, but not an object
  kInvalidUtf8,        // the value is not valid UTF-8
  kMissingCustomerId,  // no customer id field, or an empty one
  kMissingEventType,   // no event name field, or an empty one
  kBadTimestamp,       // no event time, or one that cannot be parsed
  kTimestampInFuture,  // event time too far ahead of the wall clock
  kTooLate,            // event time older than stream time minus the allowed lateness
  kOversize,           // the value is larger than input.max_message_bytes
  kWrongType,          // a known field has the wrong JSON type
};
inline constexpr int kInvalidReasonCount = static_cast<int>(InvalidReason::kWrongType) + 1;

std::string_view InvalidReasonName(InvalidReason r);

}  // namespace processors
