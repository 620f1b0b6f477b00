#include "processors/churn/transactions.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace processors::churn {
namespace {

const std::string kCdnowDir = ENGAGED_SOURCE_DIR "/../shared/data/cdnow";
constexpr double kHalfCent = 0.005;  // the summary CSV has two decimals

// Fails the calling test (never skips) when the file is missing.
std::string ReadDataFile(const std::string& name) {
  std::ifstream in(kCdnowDir + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.is_open()) << "missing test data: " << kCdnowDir << "/" << name;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

SummaryOptions Options(TransactionFormat format, const char* end, TimeUnit unit) {
  return {.format = format, .calibration_end_day = *ParseCalendarDate(end), .unit = unit};
}

ops::Result<std::vector<CustomerRecord>> Summarise(const std::string& text,
                                                   const SummaryOptions& options) {
  std::istringstream in(text);
  return ReadSummaries(in, options);
}

std::vector<CustomerRecord> MustSummarise(const std::string& text, const SummaryOptions& options) {
  auto r = Summarise(text, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : std::vector<CustomerRecord>{};
}

int64_t TotalRepeats(const std::vector<CustomerRecord>& records) {
  int64_t total = 0;
  for (const auto& r : records) total += r.summary.x;
  return total;
}

const SummaryOptions kPaper = Options(TransactionFormat::kCdnow, "1997-09-30", TimeUnit::kWeeks);

// ---- CDNOW ---------------------------------------------------------------------------

// Every customer's (x, t_x, T) equals lifetimes' cdnow_customers_summary.csv, as
// numbers (to its two decimals) and as the very same CSV text.
TEST(TransactionsTest, CdnowSampleMatchesTheReferenceSummary) {
  const std::vector<CustomerRecord> records =
      MustSummarise(ReadDataFile("CDNOW_sample.txt"), kPaper);
  ASSERT_EQ(records.size(), 2357u);
  std::istringstream reference(ReadDataFile("cdnow_customers_summary.csv"));
  std::string line;
  ASSERT_TRUE(std::getline(reference, line));
  EXPECT_EQ(line, "ID,frequency,recency,T");
  size_t i = 0;
  for (; std::getline(reference, line); ++i) {
    ASSERT_LT(i, records.size());
    std::string id;
    int64_t x = 0;
    double t_x = 0, age = 0;
    std::istringstream fields(line);
    std::getline(fields, id, ',');
    char comma = 0;
    fields >> x >> comma >> t_x >> comma >> age;
    SCOPED_TRACE(line);
    EXPECT_EQ(records[i].id, id);
    EXPECT_EQ(records[i].summary.x, x);
    EXPECT_NEAR(records[i].summary.t_x, t_x, kHalfCent);
    EXPECT_NEAR(records[i].summary.T, age, kHalfCent);
  }
  EXPECT_EQ(i, records.size());
  EXPECT_EQ(SummaryCsv(records), ReadDataFile("cdnow_customers_summary.csv"));
}

// The README: 2,457 repeat purchases in weeks 1-39 and 1,882 in the 39 weeks after.
TEST(TransactionsTest, CdnowSampleRepeatCountsMatchTheReadme) {
  const std::string sample = ReadDataFile("CDNOW_sample.txt");
  EXPECT_EQ(TotalRepeats(MustSummarise(sample, kPaper)), 2457);
  const auto whole =
      MustSummarise(sample, Options(TransactionFormat::kCdnow, "1998-06-30", TimeUnit::kWeeks));
  EXPECT_EQ(TotalRepeats(whole) - 2457, 1882);
}

// The master file has four columns and a header line.
TEST(TransactionsTest, ReadsTheCdnowMasterFile) {
  const auto records = MustSummarise(ReadDataFile("CDNOW_master.txt"), kPaper);
  EXPECT_EQ(records.size(), 23570u);
  EXPECT_EQ(records.front().id, "1");
}

TEST(TransactionsTest, MergesSameDayPurchasesAndStartsAtBirth) {
  const std::string log =
      "00007 19970103 1 10.00\n"
      "00007 19970103 2 20.00\n"  // same day: one transaction
      "00007 19970110 1 5.00\n"   // a week later
      "00007 19970930 1 5.00\n"   // the calibration end day counts
      "00007 19971001 1 5.00\n";  // the day after does not
  const auto weeks = MustSummarise(log, kPaper);
  ASSERT_EQ(weeks.size(), 1u);
  EXPECT_EQ(weeks[0].id, "7");
  EXPECT_EQ(weeks[0].summary.x, 2);
  EXPECT_DOUBLE_EQ(weeks[0].summary.t_x, 270.0 / 7);  // 1997-01-03 to 1997-09-30
  EXPECT_DOUBLE_EQ(weeks[0].summary.T, 270.0 / 7);
  const auto days =
      MustSummarise(log, Options(TransactionFormat::kCdnow, "1997-09-30", TimeUnit::kDays));
  EXPECT_DOUBLE_EQ(days[0].summary.t_x, 270);
  EXPECT_DOUBLE_EQ(days[0].summary.T, 270);
}

TEST(TransactionsTest, LeavesOutCustomersBornAfterCalibration) {
  const std::string log =
      "2 19971005 1 1\n"  // first seen after the end
      "1 19970101 1 1\n"
      "2 19971006 1 1\n";
  const auto records = MustSummarise(log, kPaper);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].id, "1");
  EXPECT_EQ(records[0].summary.x, 0);
  EXPECT_EQ(records[0].summary.t_x, 0);
}

TEST(TransactionsTest, KeepsOrderOfFirstAppearanceAndAcceptsUnsortedInput) {
  const std::string log =
      "30 19970301 1 1\n"
      "4 19970201 1 1\n"
      "30 19970101 1 1\n";  // earlier than the first line: it is the birth
  const auto records = MustSummarise(log, kPaper);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].id, "30");
  EXPECT_EQ(records[0].summary.x, 1);
  EXPECT_DOUBLE_EQ(records[0].summary.t_x, 59.0 / 7);
  EXPECT_EQ(records[1].id, "4");
}

TEST(TransactionsTest, ReportsCdnowErrorsWithTheLineNumber) {
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"1 19970101 1 1\n1 19971332 1 1\n", "line 2: date '19971332'"},
      {"1 19970101 1 1\n\n1 19970102 1\n", "line 3: expected 4 or 5"},
      {"1 19970101 1 1\nx1 19970101 1 1\n", "line 2: customer id 'x1'"},
      {"1 19970101 one 1\n", "line 1: quantity 'one'"},
      {"1 1997011 1 1\n", "line 1: date '1997011'"},
      {"1 19970229 1 1\n", "line 1: date '19970229'"},  // 1997 is not a leap year
  };
  for (const auto& c : cases) {
    auto r = Summarise(c.text, kPaper);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), ops::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().message();
  }
}

// ---- NDJSON --------------------------------------------------------------------------

const SummaryOptions kNdjsonDays =
    Options(TransactionFormat::kNdjson, "2024-01-31", TimeUnit::kDays);

TEST(TransactionsTest, ReadsNdjsonPurchasesOnly) {
  const std::string log =
      R"({"customer_id":"c1","ts":"2024-01-01T10:00:00Z","type":"purchase"})"
      "\n"
      R"({"customer_id":"c1","ts":"2024-01-01T23:59:59Z","type":"purchase"})"  // same day
      "\n"
      R"({"customer_id":"c1","ts":"2024-01-05T00:00:00Z","type":"page_view"})"  // not counted
      "\n\n"
      R"({"type":"purchase","ts":1704412800,"customer_id":"c2"})"  // 2024-01-05, epoch s
      "\n"
      R"({"customer_id":"c1","ts":"2024-01-11T01:30:00+02:00","type":"purchase"})"  // Jan 10 UTC
      "\n"
      R"({"customer_id":42,"ts":1704844800000,"type":"purchase","revenue":9.5})"  // epoch ms
      "\n"
      R"({"customer_id":"c2","ts":"1706659200","type":"purchase"})"  // 2024-01-31, a string
      "\n"
      R"({"customer_id":"c3","type":"signup"})"
      "\n";
  const auto records = MustSummarise(log, kNdjsonDays);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].id, "c1");
  EXPECT_EQ(records[0].summary.x, 1);
  EXPECT_DOUBLE_EQ(records[0].summary.t_x, 9);
  EXPECT_DOUBLE_EQ(records[0].summary.T, 30);
  EXPECT_EQ(records[1].id, "c2");
  EXPECT_EQ(records[1].summary.x, 1);
  EXPECT_DOUBLE_EQ(records[1].summary.t_x, 26);
  EXPECT_DOUBLE_EQ(records[1].summary.T, 26);
  EXPECT_EQ(records[2].id, "42");
  EXPECT_EQ(records[2].summary.x, 0);
  EXPECT_DOUBLE_EQ(records[2].summary.T, 21);
}

TEST(TransactionsTest, ReportsNdjsonErrorsWithTheLineNumber) {
  const std::string good = R"({"customer_id":"c1","ts":"2024-01-01","type":"purchase"})"
                           "\n";
  struct Case {
    std::string bad_line;
    std::string message;
  };
  const Case cases[] = {
      {R"({"customer_id":"c1","ts":"2024-01-01",)", "line 2: invalid JSON"},
      {R"(["purchase"])", "line 2: not a JSON object"},
      {R"({"ts":"2024-01-01","type":"purchase"})", "line 2: purchase without customer_id"},
      {R"({"customer_id":"c1","type":"purchase"})", "line 2: purchase without ts"},
      {R"({"customer_id":"c1","ts":"yesterday","type":"purchase"})", "line 2: ts is not"},
      {R"({"customer_id":"","ts":"2024-01-01","type":"purchase"})", "line 2: customer_id is empty"},
      {R"({"customer_id":true,"ts":"2024-01-01","type":"purchase"})", "line 2: customer_id is"},
      {R"({"customer_id":"c1","ts":"2024-01-01","type":7})", "line 2: type is not a string"},
  };
  for (const auto& c : cases) {
    std::string text = good;
    text.append(c.bad_line).append("\n").append(good);
    auto r = Summarise(text, kNdjsonDays);
    ASSERT_FALSE(r.ok()) << c.bad_line;
    EXPECT_EQ(r.status().code(), ops::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().message();
  }
}

// The CDNOW sample rewritten as NDJSON purchases summarises identically.
TEST(TransactionsTest, NdjsonAndCdnowAgreeOnTheSample) {
  std::istringstream sample(ReadDataFile("CDNOW_sample.txt"));
  std::string ndjson;
  std::string master, id, date, quantity, amount;
  while (sample >> master >> id >> date >> quantity >> amount) {
    ndjson += R"({"customer_id":")" + std::to_string(std::stoi(id)) + R"(","ts":")" +
              date.substr(0, 4) + "-" + date.substr(4, 2) + "-" + date.substr(6, 2) +
              R"(T12:00:00Z","type":"purchase","revenue":)" + amount + "}\n";
  }
  const auto from_cdnow = MustSummarise(ReadDataFile("CDNOW_sample.txt"), kPaper);
  SummaryOptions options = kPaper;
  options.format = TransactionFormat::kNdjson;
  const auto from_ndjson = MustSummarise(ndjson, options);
  EXPECT_EQ(SummaryCsv(from_ndjson), SummaryCsv(from_cdnow));
  ASSERT_EQ(from_ndjson.size(), 2357u);
}

// ---- Helpers -------------------------------------------------------------------------

TEST(TransactionsTest, ParsesAndFormatsCalendarDates) {
  auto day = ParseCalendarDate("1997-09-30");
  ASSERT_TRUE(day.has_value());
  EXPECT_EQ(*day, 10134);
  EXPECT_EQ(FormatCalendarDate(*day), "1997-09-30");
  EXPECT_EQ(FormatCalendarDate(-1), "1969-12-31");
  EXPECT_FALSE(ParseCalendarDate("1997-9-30").has_value());
  EXPECT_FALSE(ParseCalendarDate("1997-09-31").has_value());
  EXPECT_FALSE(ParseCalendarDate("1997-09-30T00:00Z").has_value());
  EXPECT_FALSE(ParseCalendarDate("").has_value());
}

TEST(TransactionsTest, ParsesFlagNames) {
  EXPECT_EQ(ParseTransactionFormat("cdnow"), TransactionFormat::kCdnow);
  EXPECT_EQ(ParseTransactionFormat("ndjson"), TransactionFormat::kNdjson);
  EXPECT_FALSE(ParseTransactionFormat("csv").has_value());
  EXPECT_EQ(ParseTimeUnit("weeks"), TimeUnit::kWeeks);
  EXPECT_EQ(ParseTimeUnit("days"), TimeUnit::kDays);
  EXPECT_FALSE(ParseTimeUnit("months").has_value());
  EXPECT_EQ(DaysPerUnit(TimeUnit::kWeeks), 7.0);
  EXPECT_EQ(TimeUnitName(TimeUnit::kDays), "days");
}

TEST(TransactionsTest, FormatsTheSummaryCsvLikePython) {
  const std::vector<CustomerRecord> records = {
      {"1", {2, 30.428571428571427, 38.857142857142854}},
      {"2", {0, 0, 27}},
      {"3", {1, 4.1, 39.996}},
  };
  EXPECT_EQ(SummaryCsv(records),
            "ID,frequency,recency,T\n"
            "1,2,30.43,38.86\n"
            "2,0,0.0,27.0\n"
            "3,1,4.1,40.0\n");
}

}  // namespace
}  // namespace processors::churn
