#include "processors/event.h"

#include <array>

namespace processors {
namespace {

constexpr std::array<std::string_view, kEventTypeCount> kNames = {
    "page_view",   "product_view", "search",   "click",    "impression", "email_delivered",
    "email_open",  "email_click",  "like",     "share",    "comment",    "referral",
    "add_to_cart", "checkout",     "purchase", "signup",   "subscribe",  "loyalty",
    "review",      "survey",       "support",  "app_open", "custom",
};

constexpr std::array<std::string_view, 4> kFormatNames = {"auto", "segment", "snowplow", "flat"};
constexpr std::array<std::string_view, 4> kSurveyNames = {"", "nps", "csat", "ces"};

}  // namespace

std::string_view EventTypeName(EventType t) { return kNames[static_cast<size_t>(t)]; }

std::optional<EventType> EventTypeFromName(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<EventType>(i);
  }
  return std::nullopt;
}

std::string_view InputFormatName(InputFormat f) { return kFormatNames[static_cast<size_t>(f)]; }

std::optional<InputFormat> InputFormatFromName(std::string_view name) {
  for (size_t i = 0; i < kFormatNames.size(); ++i) {
    if (kFormatNames[i] == name) return static_cast<InputFormat>(i);
  }
  return std::nullopt;
}

std::string_view SurveyTypeName(SurveyType t) { return kSurveyNames[static_cast<size_t>(t)]; }

}  // namespace processors
