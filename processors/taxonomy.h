#pragma once

// The event taxonomy: raw event names ("Order Completed", "order_completed",
// "OrderCompleted") map to canonical EventTypes, or to `ignore` for records that are
// not engagement (Segment identify/alias/group, Snowplow page_ping, ...). The defaults
// cover Segment's e-commerce, email, mobile and B2B specs and Snowplow's built-in
// events (docs/input-formats.md lists them); configuration adds or overrides entries.
//
// Names are compared after NormalizeEventName, so case, spaces, '-', '.', and
// camelCase boundaries do not matter.
//
// Built once at start-up; immutable afterwards, so Lookup is thread-safe. Lookup does
// not allocate.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "processors/event.h"

namespace processors {

// Normalized names longer than this are never in the taxonomy (they map to custom).
inline constexpr size_t kMaxEventNameLength = 64;

// Lower snake_case: "Order Completed" -> "order_completed", "OrderCompleted" ->
// "order_completed", "order-completed" -> "order_completed", "  Email  Opened " ->
// "email_opened". Runs of non-alphanumerics become one '_'; leading and trailing
// '_' are dropped. Writes into `buf` and returns a view of it, or nullopt when the
// result would be longer than kMaxEventNameLength or empty. Bytes >= 0x80 are kept as
// they are (UTF-8 names are compared byte-wise).
std::optional<std::string_view> NormalizeEventName(std::string_view raw,
                                                   char (&buf)[kMaxEventNameLength]);

// What a name maps to.
enum class TaxonomyMatch : uint8_t {
  kMapped,    // a canonical type (possibly kCustom, when configured so)
  kIgnored,   // not an engagement event: the record is dropped, not dead-lettered
  kUnmapped,  // the taxonomy does not know the name: type kCustom, counted by the caller
};

struct TaxonomyResult {
  TaxonomyMatch match = TaxonomyMatch::kUnmapped;
  EventType type = EventType::kCustom;  // kCustom unless match == kMapped
};

// The target name that means "drop the record": `ignore`.
inline constexpr std::string_view kIgnoreTarget = "ignore";

class Taxonomy {
 public:
  // A raw name and the canonical type name it maps to, or kIgnoreTarget.
  using Entry = std::pair<std::string, std::string>;

  // The defaults, then `overrides` on top (a later entry wins).
  // REQUIRES: every target is an EventTypeName or kIgnoreTarget (see IsValidTarget);
  // entries that are not, or whose name normalizes to nothing, are skipped.
  explicit Taxonomy(const std::vector<Entry>& overrides = {});

  TaxonomyResult Lookup(std::string_view raw_name) const;

  // True when `target` may appear on the right-hand side of a taxonomy entry.
  static bool IsValidTarget(std::string_view target);
  // The built-in entries (raw name, target), for the docs and tests.
  static const std::vector<std::pair<std::string_view, std::string_view>>& Defaults();

 private:
  struct Slot {
    std::string key;  // normalized; empty = free
    uint64_t hash = 0;
    TaxonomyResult result;
  };
  void Insert(std::string_view raw_name, std::string_view target);
  void Grow();
  const Slot* Find(std::string_view key, uint64_t hash) const;

  std::vector<Slot> slots_;  // open addressing, linear probing; size a power of two
  size_t used_ = 0;
};

}  // namespace processors
