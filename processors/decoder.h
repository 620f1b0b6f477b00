#pragma once

// Decodes one input record (a JSON object) into an Event with simdjson's On-Demand
// API. This is the flat shape of SPEC §3:
//   {"customer_id": "c1", "type": "purchase", "ts": "2024-03-05T14:07:09Z", ...}
// with an optional "event_id". `ts` is ISO-8601, or epoch seconds or milliseconds as a
// number or a string; `customer_id` a string or an integer.
//
// Owned by one partition task; used from one thread; not thread-safe. After warm-up
// it allocates nothing per record.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "processors/event.h"
#include "processors/invalid_reason.h"

namespace processors {

struct DecoderOptions {
  // Records larger than this are rejected as oversize. Default 1 MiB. Unit: bytes.
  size_t max_message_bytes = 1 << 20;
};

// The outcome of one Decode call.
enum class DecodeStatus : uint8_t {
  kOk,       // `event` is filled in
  kInvalid,  // `reason` and Decoder::error_message() say why
};

struct Decoded {
  DecodeStatus status = DecodeStatus::kInvalid;
  InvalidReason reason = InvalidReason::kInvalidJson;
  Event event;  // views valid until the next Decode call
};

class Decoder {
 public:
  explicit Decoder(DecoderOptions options);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  Decoded Decode(std::string_view payload);

  // A human-readable explanation of the last kInvalid result.
  const std::string& error_message() const { return error_; }

 private:
  Decoded Fail(InvalidReason reason, std::string_view message);

  DecoderOptions options_;
  struct Parser;  // simdjson's parser; its header stays in decoder.cc
  std::unique_ptr<Parser> parser_;
  std::vector<char> buffer_;               // the payload, with simdjson's padding
  std::array<char, 24> numeric_id_{};      // a numeric customer id rendered as text
  std::string error_;
};

}  // namespace processors
