// libFuzzer target for the input decoder (fuzz/README.md). Besides "never crash, never
// touch memory it does not own" (ASan, UBSan), it checks the decoder's contract:
//   - an accepted record has a customer id, an event name and a known type;
//   - a rejected record has a reason in the closed set and an error message;
//   - a record that simdjson's full DOM parser accepts as an object is never
//     rejected as invalid_json / not_object / invalid_utf8;
//   - the time parser and the taxonomy's name normalizer never misbehave.
// The same file builds twice: as the libFuzzer binary (ENGAGED_FUZZ=ON, clang) and,
// with replay_main.cc, as a ctest test that replays the checked-in corpus.

#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "processors/decoder.h"
#include "processors/taxonomy.h"
#include "processors/timestamp.h"

namespace {

// Stops the run with a message: libFuzzer reports it as a crash with the input.
void Check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "decoder_fuzz: violated: %s\ninput (%zu bytes): %.*s\n", what, input.size(),
               static_cast<int>(input.size() > 512 ? 512 : input.size()), input.data());
  std::abort();
}

processors::DecoderOptions MappedOptions() {
  processors::DecoderOptions o;
  o.max_message_bytes = 4096;
  o.identity = {"properties.account.id", "userId", "context.traits.email"};
  o.fields = {{"revenue", "properties.order.amount"}, {"time", "properties.when"}};
  o.taxonomy = {{"Trial Started", "signup"}, {"Heartbeat", "ignore"}};
  return o;
}

processors::DecoderOptions FixedOptions(processors::InputFormat f) {
  processors::DecoderOptions o;
  o.format = f;
  return o;
}

void CheckResult(const processors::Decoder& d, const processors::Decoded& r, std::string_view input,
                 bool dom_object) {
  using processors::DecodeStatus;
  using processors::InvalidReason;
  switch (r.status) {
    case DecodeStatus::kOk:
      Check(!r.event.customer_id.empty(), "ok without customer id", input);
      Check(!r.event.raw_type.empty(), "ok without event name", input);
      Check(static_cast<int>(r.event.type) < processors::kEventTypeCount, "type in range", input);
      Check(!r.event.unmapped || r.event.type == processors::EventType::kCustom,
            "unmapped implies custom", input);
      Check(r.event.format != processors::InputFormat::kAuto, "a concrete shape", input);
      break;
    case DecodeStatus::kInvalid:
      Check(static_cast<int>(r.reason) < processors::kInvalidReasonCount, "reason in range", input);
      Check(!d.error_message().empty(), "rejected without a message", input);
      Check(r.reason != InvalidReason::kTimestampInFuture && r.reason != InvalidReason::kTooLate,
            "time plausibility is the task's job", input);
      if (dom_object) {
        Check(r.reason != InvalidReason::kInvalidJson && r.reason != InvalidReason::kNotObject &&
                  r.reason != InvalidReason::kInvalidUtf8,
              "a valid object rejected as malformed", input);
      }
      break;
    case DecodeStatus::kIgnored:
      Check(!r.event.raw_type.empty(), "ignored without a name", input);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static processors::Decoder auto_decoder{processors::DecoderOptions{}};
  static processors::Decoder mapped_decoder{MappedOptions()};
  static processors::Decoder segment_decoder{FixedOptions(processors::InputFormat::kSegment)};
  static processors::Decoder snowplow_decoder{FixedOptions(processors::InputFormat::kSnowplow)};
  static simdjson::dom::parser dom;

  const std::string_view input(reinterpret_cast<const char*>(data), size);
  bool dom_object = false;
  {
    const simdjson::padded_string padded(input);
    simdjson::dom::element root;
    dom_object = dom.parse(padded).get(root) == simdjson::SUCCESS && root.is_object();
  }
  for (processors::Decoder* d :
       {&auto_decoder, &mapped_decoder, &segment_decoder, &snowplow_decoder}) {
    const processors::Decoded r = d->Decode(input);
    const bool oversize = r.status == processors::DecodeStatus::kInvalid &&
                          r.reason == processors::InvalidReason::kOversize;
    CheckResult(*d, r, input, dom_object && !oversize);
  }

  // The time parser and the name normalizer take any bytes.
  if (const auto t = processors::ParseTimeString(input)) {
    Check(processors::FromEpochNumber(static_cast<double>(t->value())).has_value() ||
              t->value() < 0 || t->value() > 1'000'000'000'000'000,
          "epoch round trip", input);
  }
  char buf[processors::kMaxEventNameLength];
  if (const auto name = processors::NormalizeEventName(input, buf)) {
    Check(!name->empty() && name->size() <= processors::kMaxEventNameLength, "name length", input);
    Check(name->front() != '_' && name->back() != '_', "name trimmed", input);
  }
  return 0;
}
