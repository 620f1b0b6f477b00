#pragma once

// Deterministic output event ids: the same inputs give the same id in every run, so
// replays and retries of an output carry the id of the original. Pure; thread-safe.

#include <initializer_list>
#include <string>
#include <string_view>

namespace processors {

// 32 lowercase hex digits (128 bits) derived from `parts`. Parts are length-delimited,
// so ("ab","c") and ("a","bc") differ.
std::string DeterministicId(std::initializer_list<std::string_view> parts);

}  // namespace processors
