// Resolve: from the values one record held (Captures) to an Event, per shape. The
// checks run in this order, and the first failure is the record's reason: event name
// (wrong_type, unknown_call_type, missing_event_type; an ignored name stops here),
// customer id (wrong_type, missing_customer_id), event time (wrong_type,
// bad_timestamp; only the time members the rule uses are parsed), event id, then
// properties (wrong_type).

#include <charconv>
#include <iterator>

#include "fmt/format.h"
#include "processors/decode_plan.h"
#include "processors/timestamp.h"

namespace processors {
namespace {

// Error messages quote at most this many bytes of a value.
constexpr size_t kMaxQuotedBytes = 64;

// The result of looking a role up.
enum class Lookup : uint8_t {
  kAbsent,     // no alternative present (or all null)
  kFound,      // `node` holds the value
  kWrongType,  // error_ says which member had the wrong JSON type
};

std::string_view KindName(ValueKind k) {
  switch (k) {
    case ValueKind::kNull:
      return "null";
    case ValueKind::kString:
      return "a string";
    case ValueKind::kInteger:
    case ValueKind::kUnsigned:
    case ValueKind::kDouble:
      return "a number";
    case ValueKind::kBool:
      return "a boolean";
    case ValueKind::kObject:
      return "an object";
    case ValueKind::kArray:
      return "an array";
  }
  return "?";
}

bool IsNumber(ValueKind k) {
  return k == ValueKind::kInteger || k == ValueKind::kUnsigned || k == ValueKind::kDouble;
}

// At most kMaxQuotedBytes of `s`, cut at a UTF-8 character boundary.
std::string_view Quote(std::string_view s) {
  if (s.size() <= kMaxQuotedBytes) return s;
  size_t n = kMaxQuotedBytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

class Resolver {
 public:
  Resolver(const ResolveContext& ctx, InputFormat shape, Decoded* out)
      : ctx_(ctx), c_(ctx.captures), shape_(shape), out_(out), e_(out->event) {}

  void Run();

 private:
  template <typename... Args>
  void Fail(InvalidReason reason, fmt::format_string<Args...> format, Args&&... args) {
    ctx_.error.clear();
    fmt::format_to(std::back_inserter(ctx_.error), "{}: ", InputFormatName(shape_));
    fmt::format_to(std::back_inserter(ctx_.error), format, std::forward<Args>(args)...);
    out_->status = DecodeStatus::kInvalid;
    out_->reason = reason;
  }

  bool Seen(uint8_t node) const { return ((c_.seen >> node) & 1) != 0; }
  const Sources& Src(Role r) const { return ctx_.plan.sources(shape_, r); }

  // Finds the first alternative of `role` that is present and not null (and, when
  // `skip_empty`, not ""). A parent that is present but not an object is a wrong type.
  Lookup Find(Role role, bool skip_empty, uint8_t* node);
  Lookup Find(Role role, uint8_t* node) { return Find(role, false, node); }

  bool WrongType(uint8_t node, std::string_view expected) {
    Fail(InvalidReason::kWrongType, "'{}' must be {}, got {}", ctx_.plan.PathName(node), expected,
         KindName(c_.values[node].kind));
    return false;
  }
  // A string member, or absent (empty view). False on a wrong type.
  bool String(Role role, std::string_view* out, uint8_t* node_out = nullptr);
  bool Number(Role role, std::optional<double>* out);
  bool Id(Role role, bool skip_empty, std::array<char, 24>& buf, std::string_view* out);
  // Parses one time member. False on a wrong type or an unparsable value.
  bool Time(uint8_t node, state::TimeMs* out);

  bool EventName();
  bool SegmentName();
  bool SnowplowName();
  bool CustomerId();
  bool EventTime();
  bool Properties();

  const ResolveContext& ctx_;
  Captures& c_;
  InputFormat shape_;
  Decoded* out_;
  Event& e_;
};

Lookup Resolver::Find(Role role, bool skip_empty, uint8_t* node) {
  const Sources& s = Src(role);
  for (uint8_t a = 0; a < s.count; ++a) {
    const PathRef& p = s.paths[a];
    bool present = true;
    for (uint8_t d = 0; d + 1 < p.depth; ++d) {  // the parents must be objects
      const uint8_t n = p.nodes[d];
      if (!Seen(n) || c_.values[n].kind == ValueKind::kNull) {
        present = false;
        break;
      }
      if (c_.values[n].kind != ValueKind::kObject) {
        WrongType(n, "an object");
        return Lookup::kWrongType;
      }
    }
    if (!present) continue;
    const uint8_t leaf = p.leaf();
    if (!Seen(leaf)) continue;
    const Captured& v = c_.values[leaf];
    if (v.kind == ValueKind::kNull) continue;
    if (skip_empty && v.kind == ValueKind::kString && v.text.empty()) continue;
    *node = leaf;
    return Lookup::kFound;
  }
  return Lookup::kAbsent;
}

bool Resolver::String(Role role, std::string_view* out, uint8_t* node_out) {
  uint8_t node = 0;
  const Lookup l = Find(role, &node);
  if (l == Lookup::kWrongType) return false;
  if (l == Lookup::kAbsent) return true;
  if (c_.values[node].kind != ValueKind::kString) return WrongType(node, "a string");
  *out = c_.values[node].text;
  if (node_out != nullptr) *node_out = node;
  return true;
}

bool Resolver::Number(Role role, std::optional<double>* out) {
  uint8_t node = 0;
  const Lookup l = Find(role, &node);
  if (l == Lookup::kWrongType) return false;
  if (l == Lookup::kAbsent) return true;
  if (!IsNumber(c_.values[node].kind)) return WrongType(node, "a number");
  *out = c_.values[node].number;
  return true;
}

bool Resolver::Id(Role role, bool skip_empty, std::array<char, 24>& buf, std::string_view* out) {
  uint8_t node = 0;
  const Lookup l = Find(role, skip_empty, &node);
  if (l == Lookup::kWrongType) return false;
  if (l == Lookup::kAbsent) return true;
  const Captured& v = c_.values[node];
  std::to_chars_result r{};
  switch (v.kind) {
    case ValueKind::kString:
      *out = v.text;
      return true;
    case ValueKind::kInteger:
      r = std::to_chars(buf.data(), buf.data() + buf.size(), v.integer);
      break;
    case ValueKind::kUnsigned:
      r = std::to_chars(buf.data(), buf.data() + buf.size(), v.uinteger);
      break;
    default:
      return WrongType(node, "a string or an integer");
  }
  *out = std::string_view(buf.data(), static_cast<size_t>(r.ptr - buf.data()));
  return true;
}

bool Resolver::Time(uint8_t node, state::TimeMs* out) {
  const Captured& v = c_.values[node];
  std::optional<state::TimeMs> t;
  if (v.kind == ValueKind::kString) {
    t = ParseTimeString(v.text);
    if (!t) {
      Fail(InvalidReason::kBadTimestamp, "'{}' is not a time: \"{}\"", ctx_.plan.PathName(node),
           Quote(v.text));
      return false;
    }
  } else if (IsNumber(v.kind)) {
    t = FromEpochNumber(v.number);
    if (!t) {
      Fail(InvalidReason::kBadTimestamp, "'{}' is out of range: {}", ctx_.plan.PathName(node),
           v.number);
      return false;
    }
  } else {
    return WrongType(node, "a string or a number");
  }
  *out = *t;
  return true;
}

bool Resolver::SegmentName() {
  std::string_view call;
  if (!String(Role::kCallType, &call)) return false;
  std::string_view name;
  if (!String(Role::kEventName, &name)) return false;
  if (call.empty()) call = "track";  // warehouse exports often drop `type`
  if (call == "track") {
    if (name.empty()) {
      Fail(InvalidReason::kMissingEventType, "a track call without an event name");
      return false;
    }
    e_.raw_type = name;
    return true;
  }
  if (!IsSegmentCallType(call)) {
    Fail(InvalidReason::kUnknownCallType, "type \"{}\" is not a Segment call type", Quote(call));
    return false;
  }
  e_.raw_type = call;
  return true;
}

bool Resolver::SnowplowName() {
  std::string_view legacy, name, action;
  if (!String(Role::kCallType, &legacy) || !String(Role::kEventName, &name) ||
      !String(Role::kStructAction, &action)) {
    return false;
  }
  // A structured event is named by its action (event_name is just "event").
  e_.raw_type = legacy == "struct" && !action.empty() ? action : name;
  if (e_.raw_type.empty()) {
    Fail(InvalidReason::kMissingEventType, "no event_name or event");
    return false;
  }
  return true;
}

bool Resolver::EventName() {
  bool ok = false;
  switch (shape_) {
    case InputFormat::kSegment:
      ok = SegmentName();
      break;
    case InputFormat::kSnowplow:
      ok = SnowplowName();
      break;
    default:
      ok = String(Role::kEventName, &e_.raw_type);
      if (ok && e_.raw_type.empty()) {
        Fail(InvalidReason::kMissingEventType, "no event name");
        ok = false;
      }
  }
  if (!ok) return false;
  const TaxonomyResult t = ctx_.taxonomy.Lookup(e_.raw_type);
  if (t.match == TaxonomyMatch::kIgnored) {
    ctx_.error.clear();
    fmt::format_to(std::back_inserter(ctx_.error), "{}: \"{}\" is not an engagement event",
                   InputFormatName(shape_), Quote(e_.raw_type));
    out_->status = DecodeStatus::kIgnored;
    return false;
  }
  e_.type = t.type;
  e_.unmapped = t.match == TaxonomyMatch::kUnmapped;
  return true;
}

bool Resolver::CustomerId() {
  if (!Id(Role::kCustomerId, /*skip_empty=*/true, c_.customer_id_text, &e_.customer_id))
    return false;
  if (e_.customer_id.empty()) {
    const Sources& s = Src(Role::kCustomerId);
    std::string names;
    for (uint8_t a = 0; a < s.count; ++a) {
      if (a > 0) names += a + 1 == s.count ? " or " : ", ";
      names += ctx_.plan.PathName(s.paths[a].leaf());
    }
    Fail(InvalidReason::kMissingCustomerId, "no customer id ({})", names);
    return false;
  }
  return true;
}

bool Resolver::EventTime() {
  // Find all candidates first; parse only those the rule uses.
  uint8_t time = 0, orig = 0, sent = 0, recv = 0;
  const Lookup l_time = Find(Role::kTime, &time);
  const Lookup l_orig = Find(Role::kOriginalTimestamp, &orig);
  const Lookup l_sent = Find(Role::kSentAt, &sent);
  const Lookup l_recv = Find(Role::kReceivedAt, &recv);
  for (const Lookup l : {l_time, l_orig, l_sent, l_recv}) {
    if (l == Lookup::kWrongType) return false;
  }
  const auto found = [](Lookup l) { return l == Lookup::kFound; };
  if (found(l_orig) && found(l_sent) && found(l_recv)) {
    // Segment's clock-skew correction: the device clock may be wrong, but the gap
    // between its originalTimestamp and sentAt is right; receivedAt is the server's.
    state::TimeMs o, s, r;
    if (!Time(orig, &o) || !Time(sent, &s) || !Time(recv, &r)) return false;
    e_.time = state::TimeMs(r.value() - (s.value() - o.value()));
    return true;
  }
  if (found(l_time)) return Time(time, &e_.time);
  if (found(l_orig)) return Time(orig, &e_.time);
  if (found(l_recv)) return Time(recv, &e_.time);
  Fail(InvalidReason::kBadTimestamp, "no event time");
  return false;
}

bool Resolver::Properties() {
  std::string_view survey;
  if (!Number(Role::kRevenue, &e_.revenue) || !String(Role::kCurrency, &e_.currency) ||
      !Number(Role::kRating, &e_.rating) || !Number(Role::kScore, &e_.score) ||
      !String(Role::kSurveyType, &survey)) {
    return false;
  }
  const auto is = [&](std::string_view want) {
    if (survey.size() != want.size()) return false;
    for (size_t i = 0; i < want.size(); ++i) {
      if ((survey[i] | 0x20) != want[i]) return false;  // ASCII case-insensitive
    }
    return true;
  };
  e_.survey_type = is("nps")    ? SurveyType::kNps
                   : is("csat") ? SurveyType::kCsat
                   : is("ces")  ? SurveyType::kCes
                                : SurveyType::kNone;
  return true;
}

void Resolver::Run() {
  e_.format = shape_;
  if (!EventName() || !CustomerId() || !EventTime() ||
      !Id(Role::kEventId, /*skip_empty=*/false, c_.event_id_text, &e_.event_id) || !Properties()) {
    return;
  }
  out_->status = DecodeStatus::kOk;
}

}  // namespace

void Resolve(const ResolveContext& ctx, InputFormat shape, Decoded* out) {
  Resolver(ctx, shape, out).Run();
}

}  // namespace processors
