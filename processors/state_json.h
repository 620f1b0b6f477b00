#pragma once

// One customer's state as JSON, every feature under its rule-language name. Used by
// `engaged inspect` and GET /customers/{id}. Pure; thread-safe.

#include <string>
#include <string_view>

#include "state/customer_state.h"
#include "state/types.h"

namespace processors {

void WriteCustomerStateJson(std::string_view customer_id, state::Partition partition,
                            const state::CustomerState& s, std::string* out);

}  // namespace processors
