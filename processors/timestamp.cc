#include "processors/timestamp.h"

#include <charconv>
#include <cmath>

#include "fmt/format.h"

namespace processors {
namespace {

// Below this magnitude an epoch number is seconds; above, milliseconds.
constexpr double kEpochSecondsLimit = 1e11;
// Epoch numbers are rejected beyond this many milliseconds (about the year 33658).
constexpr double kMaxEpochMs = 1e15;
constexpr double kMsPerSecondF = 1000.0;
// The length of "yyyy": a string whose fifth character is '-' is a date.
constexpr size_t kYearDigits = 4;

// Reads exactly `n` digits from the front of `s`.
// Inlined: it is on the decoder's hot path, up to four times per Segment record.
[[gnu::always_inline]] inline std::optional<int> Digits(std::string_view& s, size_t n) {
  if (s.size() < n) return std::nullopt;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  s.remove_prefix(n);
  return v;
}

[[gnu::always_inline]] inline bool Consume(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Parses "Z", "+hh:mm", "+hhmm", "+hh" or nothing; returns the offset in minutes.
std::optional<int> ParseOffsetMinutes(std::string_view& s) {
  if (s.empty()) return 0;
  if (s.front() == 'Z' || s.front() == 'z') {
    s.remove_prefix(1);
    return 0;
  }
  const char sign = s.front();
  if (sign != '+' && sign != '-') return std::nullopt;
  s.remove_prefix(1);
  auto hh = Digits(s, 2);
  if (!hh || *hh > 23) return std::nullopt;
  int mm = 0;
  if (!s.empty()) {
    Consume(s, ':');
    auto m = Digits(s, 2);
    if (!m || *m > 59) return std::nullopt;
    mm = *m;
  }
  const int minutes = *hh * 60 + mm;
  return sign == '-' ? -minutes : minutes;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's days_from_civil.
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<state::TimeMs> ParseIso8601(std::string_view s) {
  auto year = Digits(s, kYearDigits);
  if (!year || !Consume(s, '-')) return std::nullopt;
  auto month = Digits(s, 2);
  if (!month || *month < 1 || *month > 12 || !Consume(s, '-')) return std::nullopt;
  auto day = Digits(s, 2);
  if (!day || *day < 1 || static_cast<unsigned>(*day) > DaysInMonth(*year, *month)) {
    return std::nullopt;
  }
  int hour = 0, minute = 0, second = 0, millis = 0;
  if (!s.empty()) {
    if (s.front() != 'T' && s.front() != 't' && s.front() != ' ') return std::nullopt;
    s.remove_prefix(1);
    auto h = Digits(s, 2);
    if (!h || *h > 23 || !Consume(s, ':')) return std::nullopt;
    auto mi = Digits(s, 2);
    if (!mi || *mi > 59) return std::nullopt;
    hour = *h;
    minute = *mi;
    if (Consume(s, ':')) {
      auto sec = Digits(s, 2);
      if (!sec || *sec > 60) return std::nullopt;  // 60: a leap second
      second = *sec;
      if (Consume(s, '.') || Consume(s, ',')) {
        int scale = 100;
        size_t n = 0;
        while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
          millis += (s.front() - '0') * scale;
          scale /= 10;
          s.remove_prefix(1);
          ++n;
        }
        if (n == 0) return std::nullopt;
      }
    }
  }
  auto offset = ParseOffsetMinutes(s);
  if (!offset || !s.empty()) return std::nullopt;
  const int64_t days = DaysFromCivil(*year, *month, *day);
  const int64_t secs =
      days * 86400 + int64_t{hour} * 3600 + int64_t{minute} * 60 + second - int64_t{*offset} * 60;
  return state::TimeMs(secs * state::kMsPerSecond + millis);
}

std::optional<state::TimeMs> FromEpochNumber(double value) {
  if (!std::isfinite(value) || value < 0) return std::nullopt;
  const double ms = value < kEpochSecondsLimit ? value * kMsPerSecondF : value;
  if (ms > kMaxEpochMs) return std::nullopt;
  // Rounded, not truncated: 1700000000.001 s is 1700000000000.9998 ms in binary.
  return state::TimeMs(std::llround(ms));
}

std::optional<state::TimeMs> ParseTimeString(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.size() <= kYearDigits || text[kYearDigits] != '-') {  // not a date: an epoch number
    double v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
    return FromEpochNumber(v);
  }
  return ParseIso8601(text);
}

std::string FormatIso8601(state::TimeMs t) {
  const int64_t ms = t.value();
  int64_t days = ms >= 0 ? ms / state::kMsPerDay : (ms - state::kMsPerDay + 1) / state::kMsPerDay;
  const int64_t ms_of_day = ms - days * state::kMsPerDay;
  // Howard Hinnant's civil_from_days.
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", y, m, d,
                     ms_of_day / state::kMsPerHour, ms_of_day / state::kMsPerMinute % 60,
                     ms_of_day / state::kMsPerSecond % 60, ms_of_day % 1000);
}

}  // namespace processors
