#pragma once

// One customer's state as JSON, every feature of the catalogue under its rule-language
// name (undefined features, NaN, as null). Used by `engaged inspect` and
// GET /customers/{id}. Pure; thread-safe.

#include <string>
#include <string_view>

#include "processors/feature_catalog.h"
#include "state/customer_state.h"
#include "state/types.h"

namespace processors {

// Features as of `now` (time-dependent ones as of max(now, last event)), named by
// `catalog`.
void WriteCustomerStateJson(const FeatureCatalog& catalog, state::TimeMs now,
                            std::string_view customer_id, state::Partition partition,
                            const state::CustomerState& s, std::string* out);

// The same with the default feature options, as of the customer's last event (so the
// output depends on the state alone).
void WriteCustomerStateJson(std::string_view customer_id, state::Partition partition,
                            const state::CustomerState& s, std::string* out);

}  // namespace processors
