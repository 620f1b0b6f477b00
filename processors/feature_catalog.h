#pragma once

// Every per-customer feature under a stable rule-language name (docs/features.md lists
// them with meaning, unit and formula). The rule compiler resolves names to ids once at
// start-up; Value(id, ...) then does no string work and no allocation.
//
// Built once from the config; immutable afterwards; thread-safe.

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "processors/feature_options.h"
#include "processors/scores.h"
#include "state/customer_state.h"
#include "state/types.h"

namespace processors {

// A feature's position in its catalogue; stable for a given config.
using FeatureId = uint16_t;

class FeatureCatalog {
 public:
  // REQUIRES: `options` passed the config validation.
  explicit FeatureCatalog(const FeatureOptions& options);

  size_t size() const { return entries_.size(); }
  // The id of the feature called `name`, or nullopt.
  std::optional<FeatureId> Find(std::string_view name) const;
  // REQUIRES: id < size().
  std::string_view Name(FeatureId id) const { return entries_[id].name; }

  // The value of feature `id` for `s` at `now`. Time-dependent features are taken as
  // of max(now, s.last_seen). NaN means "not defined" (no purchase yet, no survey, ...):
  // every comparison with it is false. REQUIRES: id < size().
  double Value(FeatureId id, const state::CustomerState& s, state::TimeMs now) const {
    const Entry& e = entries_[id];
    return e.get(env_, e, s, std::max(now, s.last_seen));
  }

  // What the getters need besides the state.
  struct Env {
    ScoreModel score;
    CutPoints recency_days;
    int64_t session_gap_ms;
  };
  // One feature: a getter and its arguments.
  struct Entry;
  using Getter = double (*)(const Env& env, const Entry& e, const state::CustomerState& s,
                            state::TimeMs now);
  struct Entry {
    std::string name;
    Getter get;
    uint32_t series = 0;       // bit i: series i (event type i, or sessions) is counted
    uint32_t denominator = 0;  // the same, for ratios
    int32_t arg = 0;           // window length or half-life, days
  };

 private:
  void Add(std::string name, Getter get, uint32_t series = 0, uint32_t denominator = 0,
           int32_t arg = 0);
  void AddCounts(const std::string& stem, uint32_t series, const FeatureOptions& o);
  void AddRatios(const std::string& stem, uint32_t num, uint32_t den, const FeatureOptions& o);
  void AddSessionsAndMoney(const FeatureOptions& o);
  void AddFeedbackRfmScores();

  Env env_;
  std::vector<Entry> entries_;
};

// The exact rolling windows the catalogue offers, days.
inline constexpr std::array<int, 4> kWindowLengths = {1, 7, 14, 28};

// The plural stem of a type's features: "page_views", "purchases", "searches", ...
std::string_view EventTypePlural(EventType t);

}  // namespace processors
