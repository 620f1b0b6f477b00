#include "processors/decoder.h"

#include <simdjson.h>

#include <charconv>
#include <cstring>

#include "fmt/format.h"
#include "processors/timestamp.h"

namespace processors {
namespace {

namespace od = simdjson::ondemand;

constexpr std::string_view kCustomerIdField = "customer_id";
constexpr std::string_view kTypeField = "type";
constexpr std::string_view kTimeField = "ts";
constexpr std::string_view kEventIdField = "event_id";

}  // namespace

struct Decoder::Parser {
  od::parser parser;
  simdjson::dom::parser dom;  // only for records that are not objects (a rare path)
};

Decoder::Decoder(DecoderOptions options)
    : options_(options), parser_(std::make_unique<Parser>()) {}
Decoder::~Decoder() = default;

Decoded Decoder::Fail(InvalidReason reason, std::string_view message) {
  error_.assign(message);
  Decoded d;
  d.status = DecodeStatus::kInvalid;
  d.reason = reason;
  return d;
}

Decoded Decoder::Decode(std::string_view payload) {
  if (payload.size() > options_.max_message_bytes) {
    return Fail(InvalidReason::kOversize,
                fmt::format("value is {} bytes; input.max_message_bytes is {}", payload.size(),
                            options_.max_message_bytes));
  }
  if (!simdjson::validate_utf8(payload.data(), payload.size())) {
    return Fail(InvalidReason::kInvalidUtf8, "value is not valid UTF-8");
  }
  const size_t capacity = payload.size() + simdjson::SIMDJSON_PADDING;
  if (buffer_.size() < capacity) buffer_.resize(capacity);
  std::memcpy(buffer_.data(), payload.data(), payload.size());

  od::document doc;
  if (parser_->parser.iterate(buffer_.data(), payload.size(), capacity).get(doc) != simdjson::SUCCESS) {
    return Fail(InvalidReason::kInvalidJson, "value is not JSON");
  }
  od::json_type root_type;
  if (doc.type().get(root_type) != simdjson::SUCCESS) {
    return Fail(InvalidReason::kInvalidJson, "value is not JSON");
  }
  if (root_type != od::json_type::object) {
    // On-Demand only looked at the first byte; a full parse tells "[1]" from "nope".
    simdjson::dom::element ignored;
    if (parser_->dom.parse(buffer_.data(), payload.size(), false).get(ignored) !=
        simdjson::SUCCESS) {
      return Fail(InvalidReason::kInvalidJson, "value is not JSON");
    }
    return Fail(InvalidReason::kNotObject, "value is JSON but not an object");
  }
  od::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return Fail(InvalidReason::kInvalidJson, "value is not a JSON object");
  }

  Decoded out;
  bool have_time = false;
  std::string_view raw_time;
  for (auto field_result : obj) {
    od::field field;
    std::string_view key;
    if (std::move(field_result).get(field) != simdjson::SUCCESS ||
        field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return Fail(InvalidReason::kInvalidJson, "malformed object member");
    }
    od::value value = field.value();
    od::json_type type;
    if (value.type().get(type) != simdjson::SUCCESS) {
      return Fail(InvalidReason::kInvalidJson, fmt::format("malformed value of '{}'", key));
    }
    if (key == kCustomerIdField) {
      if (type == od::json_type::string) {
        if (value.get_string().get(out.event.customer_id) != simdjson::SUCCESS) {
          return Fail(InvalidReason::kInvalidJson, "malformed customer_id string");
        }
      } else if (type == od::json_type::number) {
        int64_t id = 0;
        if (value.get_int64().get(id) != simdjson::SUCCESS) {
          return Fail(InvalidReason::kWrongType, "customer_id is a number but not an integer");
        }
        auto [end, ec] = std::to_chars(numeric_id_.begin(), numeric_id_.end(), id);
        out.event.customer_id = std::string_view(numeric_id_.data(), end - numeric_id_.data());
      } else if (type != od::json_type::null) {
        return Fail(InvalidReason::kWrongType, "customer_id must be a string or an integer");
      }
    } else if (key == kTypeField) {
      if (type != od::json_type::string) {
        return Fail(InvalidReason::kWrongType, "type must be a string");
      }
      if (value.get_string().get(out.event.raw_type) != simdjson::SUCCESS) {
        return Fail(InvalidReason::kInvalidJson, "malformed type string");
      }
    } else if (key == kTimeField) {
      if (type == od::json_type::number) {
        double v = 0;
        if (value.get_double().get(v) != simdjson::SUCCESS) {
          return Fail(InvalidReason::kInvalidJson, "malformed ts number");
        }
        auto t = FromEpochNumber(v);
        if (!t) return Fail(InvalidReason::kBadTimestamp, fmt::format("ts {} is out of range", v));
        out.event.time = *t;
        have_time = true;
      } else if (type == od::json_type::string) {
        if (value.get_string().get(raw_time) != simdjson::SUCCESS) {
          return Fail(InvalidReason::kInvalidJson, "malformed ts string");
        }
        auto t = ParseTimeString(raw_time);
        if (!t) {
          return Fail(InvalidReason::kBadTimestamp, fmt::format("ts '{}' is not a time", raw_time));
        }
        out.event.time = *t;
        have_time = true;
      } else if (type != od::json_type::null) {
        return Fail(InvalidReason::kWrongType, "ts must be a string or a number");
      }
    } else if (key == kEventIdField) {
      if (type != od::json_type::string) {
        return Fail(InvalidReason::kWrongType, "event_id must be a string");
      }
      if (value.get_string().get(out.event.event_id) != simdjson::SUCCESS) {
        return Fail(InvalidReason::kInvalidJson, "malformed event_id string");
      }
    }
    // Any other member is skipped by the iterator when it moves to the next field.
  }
  if (out.event.customer_id.empty()) {
    return Fail(InvalidReason::kMissingCustomerId, "no customer_id");
  }
  if (!have_time) return Fail(InvalidReason::kBadTimestamp, "no ts");
  if (out.event.raw_type.empty()) return Fail(InvalidReason::kMissingEventType, "no type");
  out.event.type = EventTypeFromName(out.event.raw_type).value_or(EventType::kCustom);
  out.status = DecodeStatus::kOk;
  return out;
}

}  // namespace processors
