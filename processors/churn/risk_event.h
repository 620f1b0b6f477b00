#pragma once

// The churn-risk event of SPEC §5 (schemas/churn-risk.v1.json): emitted, keyed by
// customer id, when a customer's churn-risk band changes. Pure; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "processors/churn/risk.h"
#include "state/customer_state.h"
#include "state/types.h"

namespace processors::churn {

inline constexpr std::string_view kChurnRiskSchema = "engaged.churn_risk";
inline constexpr int64_t kChurnRiskSchemaVersion = 1;

struct ChurnRiskChange {
  std::string_view customer_id;
  state::ChurnBand previous_band = state::ChurnBand::kNone;
  state::ChurnBand band = state::ChurnBand::kNone;
  const ChurnScore* score = nullptr;  // REQUIRES: not null
  double expected_purchases_30d = 0;  // NaN: no purchase model applies (written as null)
  state::TimeMs changed_at;           // event time of the change
  state::TimeMs detected_at;          // processing (wall-clock) time
  int64_t events_total = 0;           // part of the event id (identifies the state)
};

// A function of the customer, the transition, its event time and the state it saw.
std::string ChurnRiskEventId(const ChurnRiskChange& c);

// Appends the event as one JSON object (no newline).
void WriteChurnRiskJson(const ChurnRiskChange& c, std::string* out);

}  // namespace processors::churn
