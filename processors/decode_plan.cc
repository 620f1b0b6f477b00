#include "processors/decode_plan.h"

#include <array>
#include <cstring>

#include "fmt/format.h"

namespace processors {
namespace {

// Odd multipliers (from SplitMix64 and MurmurHash3) and a final shift for HashWords.
constexpr uint64_t kMulHead = 0x9e3779b97f4a7c15ULL;
constexpr uint64_t kMulTail = 0xff51afd7ed558ccdULL;
constexpr uint64_t kMulMeta = 0xc4ceb9fe1a85ec53ULL;
constexpr int kHashShift = 29;
// Keys up to this long are compared by their KeyWords alone.
constexpr size_t kWordComparedLength = 16;

using Paths = std::vector<std::string_view>;

// The default paths of each shape, by role. Empty: the shape has no such field.
struct ShapeDefaults {
  InputFormat shape;
  std::array<Paths, kRoleCount> paths;
};

const std::array<ShapeDefaults, kShapeCount>& Defaults() {
  static const std::array<ShapeDefaults, kShapeCount> kDefaults = {{
      {InputFormat::kSegment,
       {{
           {"userId", "anonymousId"},                                       // kCustomerId
           {"messageId"},                                                   // kEventId
           {"event"},                                                       // kEventName
           {"type"},                                                        // kCallType
           {},                                                              // kStructAction
           {"timestamp"},                                                   // kTime
           {"originalTimestamp"},                                           // kOriginalTimestamp
           {"sentAt"},                                                      // kSentAt
           {"receivedAt"},                                                  // kReceivedAt
           {"properties.revenue", "properties.total", "properties.value"},  // kRevenue
           {"properties.currency"},                                         // kCurrency
           {"properties.rating"},                                           // kRating
           {"properties.score"},                                            // kScore
           {"properties.survey_type"},                                      // kSurveyType
       }}},
      {InputFormat::kSnowplow,
       {{
           {"user_id", "domain_userid", "network_userid"},  // kCustomerId
           {"event_id"},                                    // kEventId
           {"event_name", "event"},                         // kEventName
           {"event"},                                       // kCallType
           {"se_action"},                                   // kStructAction
           {"derived_tstamp", "collector_tstamp"},          // kTime
           {},
           {},
           {},               // no skew fields
           {"tr_total"},     // kRevenue
           {"tr_currency"},  // kCurrency
           {},
           {},
           {},  // rating, score, survey_type
       }}},
      {InputFormat::kFlat,
       {{
           {"customer_id"},  // kCustomerId
           {"event_id"},     // kEventId
           {"type"},         // kEventName
           {},               // kCallType
           {},               // kStructAction
           {"ts"},           // kTime
           {},
           {},
           {},                             // no skew fields
           {"revenue", "total", "value"},  // kRevenue
           {"currency"},                   // kCurrency
           {"rating"},                     // kRating
           {"score"},                      // kScore
           {"survey_type"},                // kSurveyType
       }}},
  }};
  return kDefaults;
}

// Members whose presence identifies a shape in auto mode (docs/input-formats.md).
const Paths kSnowplowSignature = {"collector_tstamp", "derived_tstamp", "domain_userid",
                                  "network_userid", "event_name"};
const Paths kSegmentSignature = {"userId", "anonymousId", "messageId",  "originalTimestamp",
                                 "sentAt", "receivedAt",  "properties", "context"};
const Paths kFlatSignature = {"customer_id", "ts"};
// Segment members a flat record would not have.
const Paths kSegmentIds = {"userId", "anonymousId", "messageId"};

constexpr std::array<std::string_view, kMappableFieldCount> kMappableNames = {
    "customer_id", "event_id", "event", "time",       "revenue",
    "currency",    "rating",   "score", "survey_type"};

Role RoleOf(MappableField f) {
  switch (f) {
    case MappableField::kCustomerId:
      return Role::kCustomerId;
    case MappableField::kEventId:
      return Role::kEventId;
    case MappableField::kEvent:
      return Role::kEventName;
    case MappableField::kTime:
      return Role::kTime;
    case MappableField::kRevenue:
      return Role::kRevenue;
    case MappableField::kCurrency:
      return Role::kCurrency;
    case MappableField::kRating:
      return Role::kRating;
    case MappableField::kScore:
      return Role::kScore;
    case MappableField::kSurveyType:
      return Role::kSurveyType;
  }
  return Role::kCustomerId;
}

// The first and the last 8 bytes of a key (zero-filled when shorter), its length and
// its parent: enough to tell keys of up to 16 bytes apart exactly.
KeyWords Words(uint8_t parent, std::string_view key) {
  KeyWords w;
  const size_t n = key.size();
  if (n >= sizeof(uint64_t)) {
    std::memcpy(&w.head, key.data(), sizeof(uint64_t));
    std::memcpy(&w.tail, key.data() + n - sizeof(uint64_t), sizeof(uint64_t));
  } else {
    for (size_t i = 0; i < n; ++i)
      w.head |= uint64_t{static_cast<unsigned char>(key[i])} << (8 * i);
  }
  w.meta = (uint64_t{parent} << 32) | n;
  return w;
}

uint64_t HashWords(const KeyWords& w) {
  uint64_t h = (w.head * kMulHead) ^ (w.tail * kMulTail) ^ (w.meta * kMulMeta);
  return h ^ (h >> kHashShift);
}

}  // namespace

bool IsSegmentCallType(std::string_view t) {
  return t == "track" || t == "page" || t == "screen" || t == "identify" || t == "alias" ||
         t == "group";
}

std::string_view MappableFieldName(MappableField f) {
  return kMappableNames[static_cast<size_t>(f)];
}

std::optional<MappableField> MappableFieldFromName(std::string_view name) {
  for (size_t i = 0; i < kMappableNames.size(); ++i) {
    if (kMappableNames[i] == name) return static_cast<MappableField>(i);
  }
  return std::nullopt;
}

bool IsValidFieldPath(std::string_view path) {
  size_t depth = 0;
  while (true) {
    const size_t dot = path.find('.');
    const std::string_view key = path.substr(0, dot);
    if (key.empty() || ++depth > kMaxPathDepth) return false;
    if (dot == std::string_view::npos) return true;
    path.remove_prefix(dot + 1);
  }
}

std::optional<std::string> CheckDecoderOptions(const DecoderOptions& options) {
  std::string error;
  if (DecodePlan::Compile(options, &error)) return std::nullopt;
  return error;
}

int DecodePlan::FindChild(uint8_t parent, std::string_view key) const {
  const KeyWords w = Words(parent, key);
  const uint64_t h = HashWords(w);
  for (size_t i = (h >> kHashShift) & (kIndexSlots - 1);; i = (i + 1) & (kIndexSlots - 1)) {
    const uint8_t slot = index_[i];
    if (slot == 0) return -1;
    const Node& n = nodes_[slot - 1];
    if (n.words == w && (key.size() <= kWordComparedLength || n.key == key)) return slot - 1;
  }
}

int DecodePlan::AddPath(std::string_view path, std::string* error) {
  if (!IsValidFieldPath(path)) {
    *error = fmt::format("'{}' is not a dotted path of 1 to {} keys", path, kMaxPathDepth);
    return -1;
  }
  uint8_t parent = kRootNode;
  std::string_view rest = path;
  while (true) {
    const size_t dot = rest.find('.');
    const std::string_view key = rest.substr(0, dot);
    int id = FindChild(parent, key);
    if (id < 0) {
      if (nodes_.size() >= kMaxNodes) {
        *error = fmt::format("too many distinct field paths (at most {})", kMaxNodes - 1);
        return -1;
      }
      id = static_cast<int>(nodes_.size());
      const KeyWords w = Words(parent, key);
      std::string full =
          parent == kRootNode ? std::string(key) : nodes_[parent].path + "." + std::string(key);
      nodes_.push_back({std::string(key), std::move(full), parent, w});
      size_t i = (HashWords(w) >> kHashShift) & (kIndexSlots - 1);
      while (index_[i] != 0) i = (i + 1) & (kIndexSlots - 1);
      index_[i] = static_cast<uint8_t>(id + 1);
    }
    if (dot == std::string_view::npos) return id;
    interior_ |= uint64_t{1} << id;
    parent = static_cast<uint8_t>(id);
    rest.remove_prefix(dot + 1);
  }
}

bool DecodePlan::AddSources(InputFormat shape, Role role, const Paths& paths, std::string* error) {
  Sources& s = sources_[ShapeIndex(shape)][static_cast<size_t>(role)];
  if (paths.size() > kMaxAlternatives) {
    *error = fmt::format("at most {} alternative paths per field", kMaxAlternatives);
    return false;
  }
  for (const std::string_view path : paths) {
    const int leaf = AddPath(path, error);
    if (leaf < 0) return false;
    leaves_ |= uint64_t{1} << leaf;
    PathRef ref;
    for (int n = leaf; n != kRootNode; n = nodes_[n].parent) ++ref.depth;
    int n = leaf;
    for (int d = ref.depth - 1; d >= 0; --d, n = nodes_[n].parent) {
      ref.nodes[d] = static_cast<uint8_t>(n);
    }
    s.paths[s.count++] = ref;
  }
  return true;
}

uint64_t DecodePlan::Signature(const Paths& paths, std::string* error) {
  uint64_t mask = 0;
  for (const std::string_view path : paths) {
    const int id = AddPath(path, error);
    if (id < 0) return 0;
    mask |= uint64_t{1} << id;
  }
  return mask;
}

std::optional<DecodePlan> DecodePlan::Compile(const DecoderOptions& options, std::string* error) {
  error->clear();
  DecodePlan plan;
  plan.format_ = options.format;
  plan.nodes_.push_back({"", "", kRootNode, KeyWords{}});  // the root: never in the index

  std::array<std::optional<std::string_view>, kRoleCount> field_override;
  for (const auto& [name, path] : options.fields) {
    const auto field = MappableFieldFromName(name);
    if (!field) {
      *error = fmt::format("unknown field '{}' in input.fields", name);
      return std::nullopt;
    }
    field_override[static_cast<size_t>(RoleOf(*field))] = path;
    if (*field == MappableField::kTime) plan.time_overridden_ = true;
  }
  if (field_override[static_cast<size_t>(Role::kCustomerId)] && !options.identity.empty()) {
    *error = "set either input.identity or input.fields.customer_id, not both";
    return std::nullopt;
  }

  for (const ShapeDefaults& d : Defaults()) {
    if (options.format != InputFormat::kAuto && options.format != d.shape) continue;
    for (size_t r = 0; r < kRoleCount; ++r) {
      Paths paths = d.paths[r];
      const auto role = static_cast<Role>(r);
      if (field_override[r]) {
        paths = {*field_override[r]};
      } else if (role == Role::kCustomerId && !options.identity.empty()) {
        paths.assign(options.identity.begin(), options.identity.end());
      }
      if (plan.time_overridden_ && (role == Role::kOriginalTimestamp || role == Role::kSentAt ||
                                    role == Role::kReceivedAt)) {
        paths.clear();
      }
      if (!plan.AddSources(d.shape, role, paths, error)) return std::nullopt;
    }
  }
  if (options.format == InputFormat::kAuto) {
    plan.snowplow_signature_ = plan.Signature(kSnowplowSignature, error);
    plan.segment_signature_ = plan.Signature(kSegmentSignature, error);
    plan.flat_signature_ = plan.Signature(kFlatSignature, error);
    plan.segment_ids_ = plan.Signature(kSegmentIds, error);
    plan.type_node_ = plan.FindChild(kRootNode, "type");
    if (!error->empty()) return std::nullopt;
  }
  if (const uint64_t both = plan.interior_ & plan.leaves_; both != 0) {
    const int id = __builtin_ctzll(both);
    *error = fmt::format("'{}' is read both as a field and as an object holding other fields",
                         plan.nodes_[id].path);
    return std::nullopt;
  }
  return plan;
}

InputFormat DecodePlan::Detect(const Captures& c) const {
  if (c.seen & snowplow_signature_) return InputFormat::kSnowplow;
  // A flat record may carry any property, even "properties" or "context": its own keys
  // win unless Segment's id members are there too.
  if ((c.seen & flat_signature_) != 0 && (c.seen & segment_ids_) == 0) return InputFormat::kFlat;
  if ((c.seen & segment_signature_) != 0) return InputFormat::kSegment;
  if (type_node_ >= 0 && ((c.seen >> type_node_) & 1) != 0) {
    const Captured& t = c.values[type_node_];
    if (t.kind == ValueKind::kString && IsSegmentCallType(t.text)) return InputFormat::kSegment;
  }
  return InputFormat::kFlat;
}

}  // namespace processors
