#pragma once

// A decoded input event: what every processor after the decoder works with.

#include <cstdint>
#include <optional>
#include <string_view>

#include "state/types.h"

namespace processors {

// The canonical event types of SPEC §3. Raw event names map onto these.
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

// Views into the decoder's buffers: valid until the decoder's next Decode call.
struct Event {
  std::string_view customer_id;
  std::string_view event_id;  // messageId / event_id; empty when absent
  std::string_view raw_type;  // the event name as it arrived
  EventType type = EventType::kCustom;
  state::TimeMs time{0};  // event time
};

}  // namespace processors
