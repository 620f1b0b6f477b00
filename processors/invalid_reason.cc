#include "processors/invalid_reason.h"

#include <array>

namespace processors {

std::string_view InvalidReasonName(InvalidReason r) {
  static constexpr std::array<std::string_view, kInvalidReasonCount> kNames = {
      "invalid_json",       "not_object",    "invalid_utf8",        "missing_customer_id",
      "missing_event_type", "bad_timestamp", "timestamp_in_future", "too_late",
      "oversize",           "wrong_type",    "unknown_call_type",
  };
  return kNames[static_cast<size_t>(r)];
}

}  // namespace processors
