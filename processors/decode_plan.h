#pragma once

// Internal to the decoder. DecodePlan: the decoder's options compiled into a trie of
// object keys (the paths it reads) and, for each shape and role, the ordered
// alternative paths. Captures: what one record held at those paths. Resolve: turns
// Captures into an Event for one shape (processors/decode_resolve.cc).
//
// A DecodePlan is immutable after Compile, and may be shared by readers. Captures
// belong to one Decoder.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "processors/decoder.h"
#include "processors/event.h"
#include "processors/invalid_reason.h"
#include "processors/taxonomy.h"

namespace processors {

// Distinct paths (trie nodes, the root included) one plan may read: the auto
// defaults use about 40. One bit each in a uint64_t mask.
inline constexpr size_t kMaxNodes = 64;
// Alternative paths for one role, e.g. revenue, total, value.
inline constexpr size_t kMaxAlternatives = 8;
inline constexpr uint8_t kRootNode = 0;
// The concrete shapes, indexing per-shape tables.
inline constexpr size_t kShapeCount = 3;

// What the decoder reads, independent of the shape's own field names.
enum class Role : uint8_t {
  kCustomerId,
  kEventId,
  kEventName,     // Segment track `event`; Snowplow `event_name`, `event`; flat `type`
  kCallType,      // Segment `type`; Snowplow `event` (struct / unstruct / page_view ...)
  kStructAction,  // Snowplow `se_action`: the name of a structured event
  kTime,          // Segment `timestamp`; Snowplow derived, collector; flat `ts`
  kOriginalTimestamp,
  kSentAt,
  kReceivedAt,
  kRevenue,
  kCurrency,
  kRating,
  kScore,
  kSurveyType,
};
inline constexpr size_t kRoleCount = static_cast<size_t>(Role::kSurveyType) + 1;

// One dotted path: its nodes from the first key to the leaf.
struct PathRef {
  std::array<uint8_t, kMaxPathDepth> nodes{};
  uint8_t depth = 0;
  uint8_t leaf() const { return nodes[depth - 1]; }
};

// The alternatives for one role, tried in order.
struct Sources {
  std::array<PathRef, kMaxAlternatives> paths{};
  uint8_t count = 0;
};

// The JSON type of a captured value.
enum class ValueKind : uint8_t {
  kNull,
  kString,
  kInteger,
  kUnsigned,
  kDouble,
  kBool,
  kObject,
  kArray
};

struct Captured {
  ValueKind kind = ValueKind::kNull;
  std::string_view text;  // kString: the unescaped string (in the parser's buffers)
  double number = 0;      // kInteger, kUnsigned, kDouble
  int64_t integer = 0;    // kInteger
  uint64_t uinteger = 0;  // kUnsigned (integers above INT64_MAX)
};

// Values of one record, by node id. Bit i of `seen` says values[i] is set.
struct Captures {
  std::array<Captured, kMaxNodes> values{};
  uint64_t seen = 0;
  // Integer ids rendered as text ("42"): one buffer per id role.
  std::array<char, 24> customer_id_text{};
  std::array<char, 24> event_id_text{};
};

// A key's first and last 8 bytes, length and parent: hashed and compared by FindChild.
struct KeyWords {
  uint64_t head = 0;
  uint64_t tail = 0;
  uint64_t meta = 0;  // parent << 32 | length
  bool operator==(const KeyWords&) const = default;
};

class DecodePlan {
 public:
  // Compiles `options`; nullopt and `*error` set when they are invalid.
  static std::optional<DecodePlan> Compile(const DecoderOptions& options, std::string* error);

  // The child of `parent` named `key`, or -1. No allocation.
  int FindChild(uint8_t parent, std::string_view key) const;
  bool IsInterior(uint8_t node) const { return (interior_ >> node) & 1; }
  // The dotted path of `node`, for error messages.
  const std::string& PathName(uint8_t node) const { return nodes_[node].path; }

  InputFormat format() const { return format_; }
  const Sources& sources(InputFormat shape, Role role) const {
    return sources_[ShapeIndex(shape)][static_cast<size_t>(role)];
  }
  // The shape of a record in auto mode, from the members it had.
  InputFormat Detect(const Captures& c) const;
  // True when `time` was overridden: no clock-skew correction then.
  bool time_overridden() const { return time_overridden_; }

  static size_t ShapeIndex(InputFormat shape) { return static_cast<size_t>(shape) - 1; }

 private:
  struct Node {
    std::string key;
    std::string path;
    uint8_t parent = 0;
    KeyWords words;
  };
  // Hash table over (parent, key); a power of two, at most half full.
  static constexpr size_t kIndexSlots = 256;

  int AddPath(std::string_view path, std::string* error);
  bool AddSources(InputFormat shape, Role role, const std::vector<std::string_view>& paths,
                  std::string* error);
  uint64_t Signature(const std::vector<std::string_view>& paths, std::string* error);

  std::vector<Node> nodes_;
  std::array<uint8_t, kIndexSlots> index_{};  // node id + 1; 0 = empty
  uint64_t interior_ = 0;
  uint64_t leaves_ = 0;
  std::array<std::array<Sources, kRoleCount>, kShapeCount> sources_{};
  uint64_t snowplow_signature_ = 0;
  uint64_t segment_signature_ = 0;
  uint64_t flat_signature_ = 0;
  uint64_t segment_ids_ = 0;
  int type_node_ = -1;  // the top-level "type" member, when read
  InputFormat format_ = InputFormat::kAuto;
  bool time_overridden_ = false;
};

// track, page, screen, identify, alias or group.
bool IsSegmentCallType(std::string_view type);

// Per-record scratch that Resolve writes error messages into.
struct ResolveContext {
  const DecodePlan& plan;
  const Taxonomy& taxonomy;
  Captures& captures;
  std::string& error;
};

// Fills `out->event` from the captures for `shape` (a concrete shape, not kAuto) and
// sets out->status / out->reason.
void Resolve(const ResolveContext& ctx, InputFormat shape, Decoded* out);

}  // namespace processors
