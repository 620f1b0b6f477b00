#pragma once

// Decodes one input record (a UTF-8 JSON object) into an Event, for every input shape
// of SPEC §3: Segment spec (track / page / screen / identify), Snowplow enriched JSON
// and flat {"customer_id", "type", "ts", ...}. The shape is detected per record or
// fixed by configuration; any field's path can be overridden. docs/input-formats.md
// describes the shapes, detection, time rules and taxonomy; docs/dead-letters.md every
// InvalidReason the decoder returns.
//
// Uses simdjson's On-Demand API, reading only the members it needs: the whole record's
// UTF-8 and structure are validated, but values it skips are not fully parsed. The
// record is parsed in place when the padding simdjson may read past its end lies on
// the same memory page, and from a padded copy otherwise (see decoder.cc).
//
// Owned by one partition task; used from one thread; not thread-safe. After warm-up
// (the largest record seen so far) it allocates nothing per valid record; an invalid
// record may allocate only when its error message outgrows the previous longest one.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "processors/event.h"
#include "processors/invalid_reason.h"
#include "processors/taxonomy.h"

namespace processors {

// The fields whose path `DecoderOptions::fields` may override, by name:
// customer_id, event_id, event, time, revenue, currency, rating, score, survey_type.
enum class MappableField : uint8_t {
  kCustomerId,  // replaces the identity list with this one path
  kEventId,
  kEvent,  // the event name (Segment track `event`, Snowplow `event_name`, flat `type`)
  kTime,   // one time field; disables Segment's clock-skew correction
  kRevenue,
  kCurrency,
  kRating,
  kScore,
  kSurveyType,
};
inline constexpr int kMappableFieldCount = static_cast<int>(MappableField::kSurveyType) + 1;
std::string_view MappableFieldName(MappableField f);
std::optional<MappableField> MappableFieldFromName(std::string_view name);

// Dotted paths: 1 to kMaxPathDepth non-empty keys joined by '.' ("properties.plan").
// Keys that themselves contain '.' cannot be addressed.
inline constexpr size_t kMaxPathDepth = 4;
bool IsValidFieldPath(std::string_view path);

struct DecoderOptions {
  // Records larger than this are rejected as oversize. Default 1 MiB. Unit: bytes.
  size_t max_message_bytes = 1 << 20;
  // The shape of every record, or kAuto to detect it per record. Default kAuto.
  InputFormat format = InputFormat::kAuto;
  // Dotted paths tried in order for the customer id. Default empty: per shape
  // (Segment userId, anonymousId; Snowplow user_id, domain_userid, network_userid;
  // flat customer_id). When set, used for every shape.
  std::vector<std::string> identity;
  // MappableField name -> dotted path, replacing that field's default paths in every
  // shape. Default empty.
  std::vector<std::pair<std::string, std::string>> fields;
  // Raw event name -> canonical type name or "ignore", on top of the defaults.
  std::vector<Taxonomy::Entry> taxonomy;
};

// The simdjson kernel On-Demand was compiled for ("haswell", "westmere", "fallback"):
// chosen at compile time from -march, so benchmarks print it.
std::string_view JsonKernelName();

// Checks what the per-entry validators cannot: conflicting paths ("a" and "a.b"),
// too many alternatives or distinct paths. Returns an error message, or nullopt when
// `options` are valid.
std::optional<std::string> CheckDecoderOptions(const DecoderOptions& options);

// The outcome of one Decode call.
enum class DecodeStatus : uint8_t {
  kOk,       // `event` is filled in
  kInvalid,  // `reason` and Decoder::error_message() say why; dead-letter the record
  kIgnored,  // well-formed, but not an engagement event (the taxonomy maps its name to
             // `ignore`: Segment identify/alias/group, Snowplow page_ping, ...). Drop it:
             // not a dead letter, not a valid event. `event.raw_type` and `event.format`
             // are set; error_message() says which name was ignored.
};

struct Decoded {
  DecodeStatus status = DecodeStatus::kInvalid;
  InvalidReason reason = InvalidReason::kInvalidJson;  // meaningful for kInvalid only
  Event event;  // views into the payload or the decoder: valid until the next Decode
                // call, and while the payload passed to Decode is alive
};

class DecodePlan;  // compiled field paths (processors/decode_plan.h)
struct Captures;   // values read from the current record

class Decoder {
 public:
  // REQUIRES: CheckDecoderOptions(options) is nullopt and every entry passes the
  // per-entry validators. Otherwise the identity and field overrides are dropped and
  // options_error() says why (the config loader rejects such options first).
  explicit Decoder(DecoderOptions options);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes one record. The event's string views may point into `payload`.
  Decoded Decode(std::string_view payload);

  // A human-readable explanation of the last kInvalid (or kIgnored) result.
  const std::string& error_message() const { return error_; }
  // Why the constructor dropped overrides; empty when it did not.
  const std::string& options_error() const { return options_error_; }

 private:
  struct Parser;  // simdjson's parser; its header stays in decoder.cc

  // Sets error_ from `format` and returns a kInvalid result.
  template <typename... Args>
  Decoded Fail(InvalidReason reason, fmt::format_string<Args...> format, Args&&... args);
  // The invalid_json / not_object verdict for a record whose root is not an object.
  // REQUIRES: `json` has SIMDJSON_PADDING readable bytes after `size`.
  Decoded NotAnObject(const char* json, size_t size);

  DecoderOptions options_;
  std::unique_ptr<DecodePlan> plan_;
  Taxonomy taxonomy_;
  std::unique_ptr<Parser> parser_;
  std::unique_ptr<Captures> captures_;
  std::vector<char> buffer_;  // a copy of the payload with simdjson's padding, when needed
  std::string error_;
  std::string options_error_;
};

}  // namespace processors
