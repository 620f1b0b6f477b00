#pragma once

// Compiles a segment expression (docs/segments.md) into a Program, checking types: the
// whole expression, and the operands of and/or/not, must be conditions; the operands of
// arithmetic and comparisons must be numbers. Precedence, loosest first: or, and, not,
// comparisons (which do not chain), + -, * /, unary -.
//
// Stateless functions; thread-safe.

#include <optional>
#include <string_view>

#include "processors/feature_catalog.h"
#include "processors/rules/expr_lexer.h"
#include "processors/rules/expr_program.h"

namespace processors::rules {

// Parentheses, `not` and unary minus nest at most this deep.
inline constexpr int kMaxNesting = 32;

struct Compiled {
  Program program;
  std::optional<ExprError> error;  // set when compilation failed; `program` is then empty
  bool ok() const { return !error.has_value(); }
};

// Compiles `text`, resolving feature names through `catalog`. `days_since(t)` takes a
// time (see DaysSinceFeature) and reads the matching days_since_* feature.
Compiled Compile(std::string_view text, const FeatureCatalog& catalog);

// The catalogue feature behind days_since(`time`): last_seen -> days_since_last_event,
// first_seen -> days_since_first_seen, segment_entered_at -> days_in_segment,
// first_purchase / last_purchase -> days_since_first/last_purchase. nullptr otherwise.
const char* DaysSinceFeature(std::string_view time);

}  // namespace processors::rules
