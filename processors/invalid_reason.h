#pragma once

// Why a record was rejected: a closed set, documented in docs/dead-letters.md. The
// name is the `reason` label of engaged_records_invalid_total and the `error.code`
// header of the dead letter. Values are only ever appended, never renumbered.

#include <cstdint>
#include <string_view>

namespace processors {

enum class InvalidReason : uint8_t {
  kInvalidJson,        // the value is not well-formed JSON (or has trailing content)
  kNotObject,          // well-formed JSON, but not an object
  kInvalidUtf8,        // the value is not valid UTF-8
  kMissingCustomerId,  // none of the identity fields holds a non-empty id
  kMissingEventType,   // no event name field, or an empty one
  kBadTimestamp,       // no event time, or a time field that cannot be parsed
  kTimestampInFuture,  // event time too far ahead of the wall clock (set by the task)
  kTooLate,            // event time older than stream time minus the allowed lateness (task)
  kOversize,           // the value is larger than input.max_message_bytes
  kWrongType,          // a known field has the wrong JSON type
  kUnknownCallType,    // a Segment record whose `type` is not a Segment call type
};
inline constexpr int kInvalidReasonCount = static_cast<int>(InvalidReason::kUnknownCallType) + 1;

// The snake_case name: "invalid_json", ..., "unknown_call_type".
std::string_view InvalidReasonName(InvalidReason r);

}  // namespace processors
