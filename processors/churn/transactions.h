#pragma once

// Turns a transaction log into the per-customer BG/NBD summaries (x, t_x, T).
// Reads from a std::istream it does not own; otherwise pure. Parse errors come back as
// InvalidArgument statuses that name the line. Not thread-safe per builder; the free
// functions are thread-safe.
//
// Input formats:
//  - CDNOW text (Fader & Hardie's CDNOW files): whitespace-separated
//    `customer_id date(YYYYMMDD) quantity amount`, or with five columns (the 1/10
//    sample) `master_id sample_id date quantity amount`, where sample_id is the id.
//    Numeric ids lose their leading zeros ("0001" is customer "1"). A first line that
//    does not start with a digit is a header and is skipped.
//  - NDJSON: one object per line with "customer_id" (string or integer), "ts" (ISO-8601,
//    or epoch seconds / milliseconds as a number or a string) and "type". Only
//    "type": "purchase" counts; other records are skipped. Blank lines are skipped.
//
// The summary rule (Fader, Hardie & Lee 2005; the CDNOW README):
//  - Purchases on the same calendar day (UTC) are one transaction.
//  - Only days up to the calibration end (inclusive) count; a customer whose first
//    purchase is later is left out.
//  - The first purchase is the customer's birth: x counts the purchase days after it,
//    t_x is the time from it to the last one, T from it to the calibration end.
//  - Times are days, or weeks = days / 7.

#include <cstdint>
#include <istream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ops/status.h"
#include "processors/churn/bgnbd.h"

namespace processors::churn {

enum class TransactionFormat : uint8_t {
  kNdjson,  // one JSON object per line
  kCdnow,   // the CDNOW whitespace-separated text
};

enum class TimeUnit : uint8_t {
  kDays,
  kWeeks,  // 7 days
};

// "ndjson" / "cdnow"; nullopt for anything else.
std::optional<TransactionFormat> ParseTransactionFormat(std::string_view name);
// "days" / "weeks"; nullopt for anything else.
std::optional<TimeUnit> ParseTimeUnit(std::string_view name);
std::string_view TimeUnitName(TimeUnit unit);
// Days in one unit: 1 or 7.
double DaysPerUnit(TimeUnit unit);

// "YYYY-MM-DD" to days since 1970-01-01; nullopt unless exactly a valid date.
std::optional<int64_t> ParseCalendarDate(std::string_view text);
// Days since 1970-01-01 to "YYYY-MM-DD".
std::string FormatCalendarDate(int64_t day);

// One line of CDNOW text: `customer_id date quantity amount`, or the sample's
// `master_id customer_id date quantity amount`. Ids lose their leading zeros.
struct CdnowPurchase {
  std::string customer_id;
  int64_t day = 0;      // days since 1970-01-01 (UTC)
  double quantity = 0;  // CDs bought
  double amount = 0;    // dollars
};
// nullopt for a blank line, or a header on the first line. Errors: InvalidArgument
// saying what is wrong (without the line number).
ops::Result<std::optional<CdnowPurchase>> ParseCdnowPurchase(std::string_view line,
                                                             bool first_line);

// One customer's summary, with their id.
struct CustomerRecord {
  std::string id;
  CustomerSummary summary;
};

struct SummaryOptions {
  TransactionFormat format = TransactionFormat::kNdjson;
  int64_t calibration_end_day = 0;  // days since 1970-01-01; the last day that counts
  TimeUnit unit = TimeUnit::kWeeks;
};

// Collects purchase days per customer and summarises them.
// Owned by its caller; not thread-safe.
class SummaryBuilder {
 public:
  SummaryBuilder(int64_t calibration_end_day, TimeUnit unit)
      : calibration_end_day_(calibration_end_day), unit_(unit) {}

  // Records a purchase by `customer_id` on `day` (days since 1970-01-01).
  void Add(std::string_view customer_id, int64_t day);
  // The summaries of customers with a purchase on or before the calibration end, in
  // the order their ids first appeared.
  std::vector<CustomerRecord> Finish() const;

 private:
  int64_t calibration_end_day_;
  TimeUnit unit_;
  std::unordered_map<std::string, size_t> index_;  // id -> position in ids_ / days_
  std::vector<std::string> ids_;
  std::vector<std::vector<int64_t>> days_;  // calibration-period purchase days, unsorted
};

// Reads a whole transaction log and summarises it. Errors: InvalidArgument
// "line N: ..." for the first line that cannot be parsed; IoError if the stream fails.
ops::Result<std::vector<CustomerRecord>> ReadSummaries(std::istream& in,
                                                       const SummaryOptions& options);

// The summaries as CSV in the layout of lifetimes' cdnow_customers_summary.csv:
// "ID,frequency,recency,T", times rounded to 2 decimals and printed like Python floats
// ("0.0", "30.43", "27.0"). One line per record, in order.
std::string SummaryCsv(std::span<const CustomerRecord> records);

}  // namespace processors::churn
