#include "processors/decoder.h"

#include <simdjson.h>

#include <cstring>
#include <iterator>

#include "fmt/format.h"
#include "processors/decode_plan.h"

namespace processors {
namespace {

namespace od = simdjson::ondemand;

// The parser is sized for records up to this many bytes at construction, so typical
// records never grow it. Unit: bytes.
constexpr size_t kInitialCapacity = size_t{64} * 1024;

// `error` as it reaches the dead letter: UTF-8 problems are invalid_utf8 (simdjson's
// stage 1 validates the whole record), everything else invalid_json.
InvalidReason ReasonOf(simdjson::error_code error) {
  return error == simdjson::UTF8_ERROR ? InvalidReason::kInvalidUtf8 : InvalidReason::kInvalidJson;
}

// simdjson reads up to SIMDJSON_PADDING bytes past the end of a record, "but their
// content does not affect the parsing" (simdjson/simdjson#1965; later releases ship
// the same page test as simdjson::need_allocation). When those bytes lie on the same
// memory page as the record's last byte, reading them cannot fault, so the record is
// parsed where it is and the copy into the padded buffer is skipped: the copy costs
// about 15% of decoding time. Sanitizers would rightly flag the over-read, so their
// builds always copy.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMayReadPastEnd = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
constexpr bool kMayReadPastEnd = false;
#else
constexpr bool kMayReadPastEnd = true;
#endif
#else
constexpr bool kMayReadPastEnd = true;
#endif
// The smallest page size of the platforms engaged runs on. Unit: bytes.
constexpr uintptr_t kPageSize = 4096;

bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

bool PaddingIsReadable(std::string_view payload) {
  if (!kMayReadPastEnd || payload.empty()) return false;
  const auto last = reinterpret_cast<uintptr_t>(payload.data() + payload.size() - 1);
  return last / kPageSize == (last + simdjson::SIMDJSON_PADDING) / kPageSize;
}

}  // namespace

std::string_view JsonKernelName() {
  return std::string_view(SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION));
}

struct Decoder::Parser {
  od::parser parser;
  simdjson::dom::parser dom;  // only for records that are not objects (a rare path)
};

// Reads the members the plan asks for into Captures, depth-first, in one forward pass.
class DecodeWalker {
 public:
  DecodeWalker(const DecodePlan& plan, Captures& captures) : plan_(plan), c_(captures) {}

  // SUCCESS, or the first simdjson error; `*node` is the last member it matched.
  simdjson::error_code Walk(od::object& object, uint8_t parent, uint8_t* node) {
    for (auto member : object) {
      od::field field;
      if (auto e = std::move(member).get(field); e != simdjson::SUCCESS) return e;
      std::string_view key;
      if (auto e = Key(field, &key); e != simdjson::SUCCESS) return e;
      const int id = plan_.FindChild(parent, key);
      if (id < 0) continue;  // the iterator skips the value when it moves on
      *node = static_cast<uint8_t>(id);
      if (auto e = Capture(field.value(), static_cast<uint8_t>(id)); e != simdjson::SUCCESS) {
        return e;
      }
    }
    return simdjson::SUCCESS;
  }

 private:
  // The key as written when it has no escapes (a view into the padded buffer);
  // otherwise unescaped by simdjson. Keys are short: a plain loop beats memchr.
  simdjson::error_code Key(od::field& field, std::string_view* key) {
    const char* begin = field.key().raw();
    // Stage 1 found the closing quote, so this stops inside the record.
    const char* p = begin;
    while (*p != '"' && *p != '\\') ++p;
    if (*p == '"') {
      *key = std::string_view(begin, static_cast<size_t>(p - begin));
      return simdjson::SUCCESS;
    }
    return field.unescaped_key().get(*key);
  }

  simdjson::error_code Capture(od::value value, uint8_t id) {
    Captured& v = c_.values[id];
    c_.seen |= uint64_t{1} << id;
    v = Captured{};
    od::json_type type;
    if (auto e = value.type().get(type); e != simdjson::SUCCESS) return e;
    switch (type) {
      case od::json_type::object: {
        v.kind = ValueKind::kObject;
        if (!plan_.IsInterior(id)) return simdjson::SUCCESS;
        od::object child;
        if (auto e = value.get_object().get(child); e != simdjson::SUCCESS) return e;
        uint8_t ignored = id;
        return Walk(child, id, &ignored);
      }
      case od::json_type::array:
        v.kind = ValueKind::kArray;
        return simdjson::SUCCESS;
      case od::json_type::string:
        v.kind = ValueKind::kString;
        return String(value, v);
      case od::json_type::number:
        return Number(value, v);
      case od::json_type::boolean: {
        v.kind = ValueKind::kBool;
        bool ignored = false;
        return value.get_bool().get(ignored);
      }
      case od::json_type::null: {
        v.kind = ValueKind::kNull;
        bool is_null = false;
        if (auto e = value.is_null().get(is_null); e != simdjson::SUCCESS) return e;
        return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
      }
    }
    return simdjson::INCORRECT_TYPE;
  }

  // A string without escapes is a view of the record itself (no copy); one with
  // escapes is unescaped (and validated) by simdjson into its string buffer.
  static simdjson::error_code String(od::value& value, Captured& v) {
    // The token runs from the opening quote to the next structural character, so it
    // is the string plus any whitespace after its closing quote.
    std::string_view token = value.raw_json_token();  // not consumed
    while (token.size() > 1 && IsJsonSpace(token.back())) token.remove_suffix(1);
    if (token.size() >= 2 && token.back() == '"') {
      const std::string_view inner = token.substr(1, token.size() - 2);
      if (std::memchr(inner.data(), '\\', inner.size()) == nullptr) {
        v.text = inner;
        return simdjson::SUCCESS;  // the iterator skips the unconsumed value
      }
    }
    return value.get_string().get(v.text);
  }

  static simdjson::error_code Number(od::value& value, Captured& v) {
    od::number n;
    if (auto e = value.get_number().get(n); e != simdjson::SUCCESS) return e;
    switch (n.get_number_type()) {
      case od::number_type::signed_integer:
        v.kind = ValueKind::kInteger;
        v.integer = n.get_int64();
        v.number = static_cast<double>(v.integer);
        break;
      case od::number_type::unsigned_integer:
        v.kind = ValueKind::kUnsigned;
        v.uinteger = n.get_uint64();
        v.number = static_cast<double>(v.uinteger);
        break;
      case od::number_type::floating_point_number:
        v.kind = ValueKind::kDouble;
        v.number = n.get_double();
        break;
    }
    return simdjson::SUCCESS;
  }

  const DecodePlan& plan_;
  Captures& c_;
};

Decoder::Decoder(DecoderOptions options)
    : options_(std::move(options)),
      taxonomy_(options_.taxonomy),
      parser_(std::make_unique<Parser>()),
      captures_(std::make_unique<Captures>()) {
  std::string error;
  auto plan = DecodePlan::Compile(options_, &error);
  if (!plan) {
    options_error_ = error;
    DecoderOptions fallback;
    fallback.max_message_bytes = options_.max_message_bytes;
    fallback.format = options_.format;
    plan = DecodePlan::Compile(fallback, &error);
  }
  plan_ = std::make_unique<DecodePlan>(std::move(*plan));
  const size_t capacity = std::min(kInitialCapacity, options_.max_message_bytes);
  buffer_.resize(capacity + simdjson::SIMDJSON_PADDING);
  // Ignoring the error is safe: the parser then allocates on the first record instead.
  const simdjson::error_code ignored = parser_->parser.allocate(capacity);
  (void)ignored;
}

Decoder::~Decoder() = default;

template <typename... Args>
Decoded Decoder::Fail(InvalidReason reason, fmt::format_string<Args...> format, Args&&... args) {
  error_.clear();
  fmt::format_to(std::back_inserter(error_), format, std::forward<Args>(args)...);
  Decoded d;
  d.status = DecodeStatus::kInvalid;
  d.reason = reason;
  return d;
}

Decoded Decoder::NotAnObject(const char* json, size_t size) {
  // On-Demand only looked at the first byte; a full parse tells "[1]" from "nope".
  simdjson::dom::element ignored;
  if (auto e = parser_->dom.parse(json, size, false).get(ignored); e != simdjson::SUCCESS) {
    return Fail(ReasonOf(e), "value is not JSON: {}", simdjson::error_message(e));
  }
  return Fail(InvalidReason::kNotObject, "value is JSON but not an object");
}

Decoded Decoder::Decode(std::string_view payload) {
  if (payload.size() > options_.max_message_bytes) {
    return Fail(InvalidReason::kOversize, "value is {} bytes; input.max_message_bytes is {}",
                payload.size(), options_.max_message_bytes);
  }
  const size_t capacity = payload.size() + simdjson::SIMDJSON_PADDING;
  const char* json = payload.data();
  if (!PaddingIsReadable(payload)) {
    if (buffer_.size() < capacity) buffer_.resize(capacity);
    std::memcpy(buffer_.data(), payload.data(), payload.size());
    std::memset(buffer_.data() + payload.size(), 0, simdjson::SIMDJSON_PADDING);
    json = buffer_.data();
  }

  od::document doc;
  if (auto e = parser_->parser.iterate(json, payload.size(), capacity).get(doc);
      e != simdjson::SUCCESS) {
    if (e == simdjson::UTF8_ERROR)
      return Fail(InvalidReason::kInvalidUtf8, "value is not valid UTF-8");
    return Fail(ReasonOf(e), "value is not JSON: {}", simdjson::error_message(e));
  }
  od::json_type root_type;
  if (auto e = doc.type().get(root_type); e != simdjson::SUCCESS) {
    return Fail(ReasonOf(e), "value is not JSON: {}", simdjson::error_message(e));
  }
  if (root_type != od::json_type::object) return NotAnObject(json, payload.size());
  od::object object;
  if (auto e = doc.get_object().get(object); e != simdjson::SUCCESS) {
    return Fail(ReasonOf(e), "value is not a JSON object: {}", simdjson::error_message(e));
  }

  Captures& c = *captures_;
  c.seen = 0;
  DecodeWalker walker(*plan_, c);
  uint8_t node = kRootNode;
  if (auto e = walker.Walk(object, kRootNode, &node); e != simdjson::SUCCESS) {
    if (node == kRootNode) {
      return Fail(ReasonOf(e), "malformed JSON: {}", simdjson::error_message(e));
    }
    return Fail(ReasonOf(e), "malformed JSON at or after '{}': {}", plan_->PathName(node),
                simdjson::error_message(e));
  }
  // At the end of the document current_location() is an error (OUT_OF_BOUNDS).
  if (const char* rest = nullptr; doc.current_location().get(rest) == simdjson::SUCCESS) {
    return Fail(InvalidReason::kInvalidJson, "trailing content after the object");
  }

  const InputFormat shape =
      plan_->format() == InputFormat::kAuto ? plan_->Detect(c) : plan_->format();
  Decoded out;
  Resolve(ResolveContext{*plan_, taxonomy_, c, error_}, shape, &out);
  return out;
}

}  // namespace processors
