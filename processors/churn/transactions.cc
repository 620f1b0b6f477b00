#include "processors/churn/transactions.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <string>

#include "fmt/format.h"
#include "processors/timestamp.h"

namespace processors::churn {
namespace {

constexpr double kDaysPerWeek = 7.0;
constexpr size_t kCalendarDateLength = 10;  // YYYY-MM-DD
constexpr size_t kCdnowDateLength = 8;      // YYYYMMDD
// Columns of a CDNOW line: id, date, quantity, amount; the sample adds a master id.
constexpr size_t kCdnowColumns = 4;
constexpr size_t kCdnowSampleColumns = 5;
constexpr std::string_view kPurchaseType = "purchase";

// One purchase read from a line.
struct Purchase {
  std::string customer_id;
  int64_t day = 0;  // days since 1970-01-01, UTC
};

// A parsed line: a purchase, or nothing (a header, a blank line, another event type).
using LineResult = ops::Result<std::optional<Purchase>>;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

bool ParseNumber(std::string_view s, double* v) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && ptr == s.data() + s.size();
}

int64_t DayOf(state::TimeMs t) {
  const int64_t ms = t.value();
  return ms >= 0 ? ms / state::kMsPerDay : (ms - state::kMsPerDay + 1) / state::kMsPerDay;
}

std::vector<std::string_view> SplitWhitespace(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v'; };
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    const size_t begin = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > begin) fields.push_back(line.substr(begin, i - begin));
  }
  return fields;
}

std::string_view StripLeadingZeros(std::string_view digits) {
  const size_t first = digits.find_first_not_of('0');
  return first == std::string_view::npos ? digits.substr(digits.size() - 1) : digits.substr(first);
}

ops::Status LineError(std::string message) {
  return ops::Status::InvalidArgument(std::move(message));
}

LineResult ParseCdnowLine(std::string_view line, bool first_line) {
  auto parsed = ParseCdnowPurchase(line, first_line);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->has_value()) return std::optional<Purchase>();
  return std::optional<Purchase>(Purchase{std::move((*parsed)->customer_id), (*parsed)->day});
}

ops::Result<std::string> JsonCustomerId(simdjson::dom::element e) {
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    if (s.empty()) return LineError("customer_id is empty");
    return std::string(s);
  }
  int64_t i = 0;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return std::to_string(i);
  return LineError("customer_id is neither a string nor an integer");
}

ops::Result<int64_t> JsonDay(simdjson::dom::element e) {
  std::optional<state::TimeMs> t;
  std::string_view s;
  double v = 0;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    t = ParseTimeString(s);
  } else if (e.get_double().get(v) == simdjson::SUCCESS) {
    t = FromEpochNumber(v);
  }
  if (!t) return LineError("ts is not an ISO-8601 time or epoch seconds / milliseconds");
  return DayOf(*t);
}

// Parses NDJSON lines with simdjson's DOM API, which validates the whole line.
// Owned by ReadSummaries; not thread-safe.
class NdjsonLineParser {
 public:
  LineResult Parse(std::string_view line) {
    if (SplitWhitespace(line).empty()) return std::optional<Purchase>();
    simdjson::dom::element doc;
    if (parser_.parse(line.data(), line.size()).get(doc) != simdjson::SUCCESS) {
      return LineError("invalid JSON");
    }
    simdjson::dom::object obj;
    if (doc.get_object().get(obj) != simdjson::SUCCESS) return LineError("not a JSON object");
    simdjson::dom::element type;
    if (obj["type"].get(type) != simdjson::SUCCESS) return std::optional<Purchase>();
    std::string_view type_name;
    if (type.get_string().get(type_name) != simdjson::SUCCESS) {
      return LineError("type is not a string");
    }
    if (type_name != kPurchaseType) return std::optional<Purchase>();
    return ReadPurchase(obj);
  }

 private:
  static LineResult ReadPurchase(simdjson::dom::object obj) {
    simdjson::dom::element id_field;
    simdjson::dom::element ts_field;
    if (obj["customer_id"].get(id_field) != simdjson::SUCCESS) {
      return LineError("purchase without customer_id");
    }
    if (obj["ts"].get(ts_field) != simdjson::SUCCESS) return LineError("purchase without ts");
    auto id = JsonCustomerId(id_field);
    if (!id.ok()) return id.status();
    auto day = JsonDay(ts_field);
    if (!day.ok()) return day.status();
    return std::optional<Purchase>(Purchase{std::move(id).value(), *day});
  }

  simdjson::dom::parser parser_;
};

// Python's str(round(v, 2)): two decimals, trailing zeros dropped but one kept.
std::string PythonRounded(double v) {
  std::string s = fmt::format("{:.2f}", v);
  while (s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

}  // namespace

ops::Result<std::optional<CdnowPurchase>> ParseCdnowPurchase(std::string_view line,
                                                             bool first_line) {
  const std::vector<std::string_view> f = SplitWhitespace(line);
  if (f.empty()) return std::optional<CdnowPurchase>();
  if (first_line && !IsDigit(f[0].front())) return std::optional<CdnowPurchase>();  // a header
  if (f.size() != kCdnowColumns && f.size() != kCdnowSampleColumns) {
    return LineError(fmt::format("expected {} or {} whitespace-separated fields, found {}",
                                 kCdnowColumns, kCdnowSampleColumns, f.size()));
  }
  const size_t id_at = f.size() - kCdnowColumns;
  const std::string_view id = f[id_at];
  const std::string_view date = f[id_at + 1];
  if (!AllDigits(id)) return LineError(fmt::format("customer id '{}' is not a number", id));
  std::optional<int64_t> day;
  if (date.size() == kCdnowDateLength && AllDigits(date)) {
    day = ParseCalendarDate(
        fmt::format("{}-{}-{}", date.substr(0, 4), date.substr(4, 2), date.substr(6, 2)));
  }
  if (!day) return LineError(fmt::format("date '{}' is not a valid YYYYMMDD date", date));
  CdnowPurchase p{std::string(StripLeadingZeros(id)), *day, 0, 0};
  if (!ParseNumber(f[id_at + 2], &p.quantity) || !ParseNumber(f[id_at + 3], &p.amount)) {
    return LineError(
        fmt::format("quantity '{}' or amount '{}' is not a number", f[id_at + 2], f[id_at + 3]));
  }
  return std::optional<CdnowPurchase>(std::move(p));
}

std::optional<TransactionFormat> ParseTransactionFormat(std::string_view name) {
  if (name == "ndjson") return TransactionFormat::kNdjson;
  if (name == "cdnow") return TransactionFormat::kCdnow;
  return std::nullopt;
}

std::optional<TimeUnit> ParseTimeUnit(std::string_view name) {
  if (name == "days") return TimeUnit::kDays;
  if (name == "weeks") return TimeUnit::kWeeks;
  return std::nullopt;
}

std::string_view TimeUnitName(TimeUnit unit) { return unit == TimeUnit::kDays ? "days" : "weeks"; }

double DaysPerUnit(TimeUnit unit) { return unit == TimeUnit::kDays ? 1.0 : kDaysPerWeek; }

std::optional<int64_t> ParseCalendarDate(std::string_view text) {
  if (text.size() != kCalendarDateLength) return std::nullopt;
  auto t = ParseIso8601(text);
  if (!t) return std::nullopt;
  return DayOf(*t);
}

std::string FormatCalendarDate(int64_t day) {
  return FormatIso8601(state::TimeMs(day * state::kMsPerDay)).substr(0, kCalendarDateLength);
}

void SummaryBuilder::Add(std::string_view customer_id, int64_t day) {
  auto [it, inserted] = index_.try_emplace(std::string(customer_id), ids_.size());
  if (inserted) {
    ids_.emplace_back(customer_id);
    days_.emplace_back();
  }
  if (day <= calibration_end_day_) days_[it->second].push_back(day);
}

std::vector<CustomerRecord> SummaryBuilder::Finish() const {
  const double per_unit = DaysPerUnit(unit_);
  std::vector<CustomerRecord> out;
  for (size_t i = 0; i < ids_.size(); ++i) {
    std::vector<int64_t> days = days_[i];
    if (days.empty()) continue;  // born after the calibration period
    std::sort(days.begin(), days.end());
    days.erase(std::unique(days.begin(), days.end()), days.end());
    const int64_t birth = days.front();
    CustomerSummary s;
    s.x = static_cast<int64_t>(days.size()) - 1;
    s.t_x = static_cast<double>(days.back() - birth) / per_unit;
    s.T = static_cast<double>(calibration_end_day_ - birth) / per_unit;
    out.push_back({ids_[i], s});
  }
  return out;
}

ops::Result<std::vector<CustomerRecord>> ReadSummaries(std::istream& in,
                                                       const SummaryOptions& options) {
  SummaryBuilder builder(options.calibration_end_day, options.unit);
  NdjsonLineParser ndjson;
  std::string line;
  int64_t line_number = 0;
  bool seen_content = false;
  while (std::getline(in, line)) {
    ++line_number;
    LineResult parsed = options.format == TransactionFormat::kCdnow
                            ? ParseCdnowLine(line, !seen_content)
                            : ndjson.Parse(line);
    if (!parsed.ok()) {
      return ops::Status::InvalidArgument(
          fmt::format("line {}: {}", line_number, parsed.status().message()));
    }
    seen_content = seen_content || !SplitWhitespace(line).empty();
    if (parsed.value()) builder.Add(parsed.value()->customer_id, parsed.value()->day);
  }
  if (in.bad()) return ops::Status::IoError(fmt::format("read failed after line {}", line_number));
  return builder.Finish();
}

std::string SummaryCsv(std::span<const CustomerRecord> records) {
  std::string out = "ID,frequency,recency,T\n";
  for (const auto& r : records) {
    fmt::format_to(std::back_inserter(out), "{},{},{},{}\n", r.id, r.summary.x,
                   PythonRounded(r.summary.t_x), PythonRounded(r.summary.T));
  }
  return out;
}

}  // namespace processors::churn
