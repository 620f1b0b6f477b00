#pragma once

// Event-time parsing. Pure functions; thread-safe; no allocation.

#include <optional>
#include <string>
#include <string_view>

#include "state/types.h"

namespace processors {

// Parses ISO-8601 / RFC 3339 date-times:
//   2024-03-05T14:07:09Z, 2024-03-05T14:07:09.123456+01:00, 2024-03-05 14:07:09-0500,
//   2024-03-05T14:07Z, and a bare date 2024-03-05 (midnight UTC).
// A missing offset means UTC; offsets are Z, +hh:mm, +hhmm or +hh (either sign).
// Fractions of any length (either '.' or ','); digits beyond milliseconds are truncated.
// Second 60 (a leap second) is accepted and lands on the next minute's second 0.
std::optional<state::TimeMs> ParseIso8601(std::string_view text);

// Epoch seconds or milliseconds: a magnitude below 1e11 is taken as seconds (that is
// any time before the year 5138), anything larger as milliseconds. Fractions are
// rounded to the nearest millisecond. Negative, non-finite or absurd (> 1e15 ms)
// values are nullopt.
std::optional<state::TimeMs> FromEpochNumber(double value);

// Parses a string holding an epoch number ("1700000000", "1700000000123") or an
// ISO-8601 date-time.
std::optional<state::TimeMs> ParseTimeString(std::string_view text);

// Days since 1970-01-01 of the proleptic Gregorian date y-m-d.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

// "2024-03-05T14:07:09.123Z".
std::string FormatIso8601(state::TimeMs t);

}  // namespace processors
