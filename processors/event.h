#pragma once

// A decoded input event: what every processor after the decoder works with.

#include <cstdint>
#include <optional>
#include <string_view>

#include "state/types.h"

namespace processors {

// The canonical event types of SPEC §3. Raw event names map onto these
// (processors/taxonomy.h).
enum class EventType : uint8_t {
  kPageView,
  kProductView,
  kSearch,
  kClick,
  kImpression,
  kEmailDelivered,
  kEmailOpen,
  kEmailClick,
  kLike,
  kShare,
  kComment,
  kReferral,
  kAddToCart,
  kCheckout,
  kPurchase,
  kSignup,
  kSubscribe,
  kLoyalty,
  kReview,
  kSurvey,
  kSupport,
  kAppOpen,
  kCustom,  // any name the taxonomy does not know
};
inline constexpr int kEventTypeCount = static_cast<int>(EventType::kCustom) + 1;

// "page_view", "purchase", ...
std::string_view EventTypeName(EventType t);
// The canonical type named exactly `name`, or nullopt.
std::optional<EventType> EventTypeFromName(std::string_view name);

// The input shapes of SPEC §3.
enum class InputFormat : uint8_t {
  kAuto,      // detected per record (configuration only; never on a decoded Event)
  kSegment,   // Segment spec: track / page / screen / identify
  kSnowplow,  // Snowplow enriched JSON
  kFlat,      // {"customer_id", "type", "ts", ...properties}
};
// "auto", "segment", "snowplow", "flat".
std::string_view InputFormatName(InputFormat f);
// The format named exactly `name`, or nullopt.
std::optional<InputFormat> InputFormatFromName(std::string_view name);

// The kind of survey a `score` belongs to (property `survey_type`).
enum class SurveyType : uint8_t {
  kNone,  // no survey_type, or a value other than the three below
  kNps,   // Net Promoter Score, 0-10
  kCsat,  // Customer Satisfaction
  kCes,   // Customer Effort Score
};
// "", "nps", "csat", "ces".
std::string_view SurveyTypeName(SurveyType t);

// Views into the decoded payload or the decoder's buffers: valid until the decoder's
// next Decode call, and while the payload is alive.
struct Event {
  std::string_view customer_id;
  std::string_view event_id;  // messageId / event_id; empty when absent
  std::string_view raw_type;  // the event name as it arrived ("Order Completed", "page")
  EventType type = EventType::kCustom;
  // True when the taxonomy does not know `raw_type` (then `type` is kCustom). The
  // caller counts these; an explicit mapping to "custom" leaves this false.
  bool unmapped = false;
  InputFormat format = InputFormat::kFlat;  // the shape the record was decoded as
  state::TimeMs time{0};                    // event time (after clock-skew correction)

  // Money from `revenue`, else `total`, else `value`; in `currency` units (not
  // converted). Absent when the record carries none of them.
  std::optional<double> revenue;
  std::string_view currency;     // as it arrived, e.g. "EUR"; empty when absent
  std::optional<double> rating;  // a review's rating, in the source's own scale
  std::optional<double> score;   // a survey score; see survey_type for its scale
  SurveyType survey_type = SurveyType::kNone;
};

}  // namespace processors
