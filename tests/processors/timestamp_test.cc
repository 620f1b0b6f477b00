#include "processors/timestamp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace processors {
namespace {

// 2024-03-05T14:07:09Z in ms since the epoch (date -d @1709647629 -u).
constexpr int64_t kBase = 1709647629000;

int64_t Iso(std::string_view s) {
  const auto t = ParseIso8601(s);
  EXPECT_TRUE(t.has_value()) << s;
  return t ? t->value() : -1;
}

TEST(TimestampTest, Iso8601Forms) {
  EXPECT_EQ(Iso("2024-03-05T14:07:09Z"), kBase);
  EXPECT_EQ(Iso("2024-03-05t14:07:09z"), kBase);
  EXPECT_EQ(Iso("2024-03-05 14:07:09"), kBase);  // no offset: UTC
  EXPECT_EQ(Iso("2024-03-05T14:07:09.1Z"), kBase + 100);
  EXPECT_EQ(Iso("2024-03-05T14:07:09.12Z"), kBase + 120);
  EXPECT_EQ(Iso("2024-03-05T14:07:09.123Z"), kBase + 123);
  EXPECT_EQ(Iso("2024-03-05T14:07:09.123456Z"), kBase + 123);
  EXPECT_EQ(Iso("2024-03-05T14:07:09.999999999Z"), kBase + 999);
  EXPECT_EQ(Iso("2024-03-05T14:07:09,5Z"), kBase + 500);
  EXPECT_EQ(Iso("2024-03-05T15:07:09+01:00"), kBase);
  EXPECT_EQ(Iso("2024-03-05T09:07:09-05:00"), kBase);
  EXPECT_EQ(Iso("2024-03-05T19:37:09.250+05:30"), kBase + 250);
  EXPECT_EQ(Iso("2024-03-05T19:37:09+0530"), kBase);
  EXPECT_EQ(Iso("2024-03-05T16:07:09+02"), kBase);
  EXPECT_EQ(Iso("2024-03-05T14:07:09-00:00"), kBase);
  EXPECT_EQ(Iso("2024-03-05T14:07Z"), kBase - 9000);
  EXPECT_EQ(Iso("2024-03-05"), kBase - (14 * 3600 + 7 * 60 + 9) * 1000LL);
  EXPECT_EQ(Iso("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Iso("2024-02-29T00:00:00Z"), 1709164800000);  // leap day
  EXPECT_EQ(Iso("2000-02-29T00:00:00Z"), 951782400000);   // leap century
}

TEST(TimestampTest, Iso8601Rejects) {
  for (const char* bad : {"",
                          "2024",
                          "2024-03",
                          "2024-3-05",
                          "2024-13-01",
                          "2024-00-10",
                          "2024-02-30",
                          "2023-02-29",
                          "1900-02-29",
                          "2024-03-05T24:00:00Z",
                          "2024-03-05T14:60:00Z",
                          "2024-03-05T14:07:61Z",
                          "2024-03-05T14:07:09.Z",
                          "2024-03-05T14:07:09+24:00",
                          "2024-03-05T14:07:09+01:60",
                          "2024-03-05T14:07:09+01:",
                          "2024-03-05T14:07:09 UTC",
                          "2024-03-05T14:07:09Zjunk",
                          "2024-03-05X14:07:09",
                          "2024-03-05T14",
                          "yesterday"}) {
    EXPECT_FALSE(ParseIso8601(bad).has_value()) << bad;
  }
}

TEST(TimestampTest, EpochNumbers) {
  EXPECT_EQ(FromEpochNumber(1709647629)->value(), kBase);
  EXPECT_EQ(FromEpochNumber(1709647629123.0)->value(), kBase + 123);
  EXPECT_EQ(FromEpochNumber(1709647629.5)->value(), kBase + 500);
  EXPECT_EQ(FromEpochNumber(1709647629.001)->value(), kBase + 1);  // rounded, not truncated
  EXPECT_EQ(FromEpochNumber(0)->value(), 0);
  EXPECT_EQ(FromEpochNumber(99999999999.0)->value(), 99999999999000);  // just below 1e11: seconds
  EXPECT_EQ(FromEpochNumber(100000000000.0)->value(), 100000000000);   // 1e11: milliseconds
  EXPECT_FALSE(FromEpochNumber(-1).has_value());
  EXPECT_FALSE(FromEpochNumber(2e15).has_value());
  EXPECT_FALSE(FromEpochNumber(std::nan("")).has_value());
  EXPECT_FALSE(FromEpochNumber(std::numeric_limits<double>::infinity()).has_value());
}

TEST(TimestampTest, TimeStrings) {
  EXPECT_EQ(ParseTimeString("1709647629")->value(), kBase);
  EXPECT_EQ(ParseTimeString("1709647629123")->value(), kBase + 123);
  EXPECT_EQ(ParseTimeString("1709647629.25")->value(), kBase + 250);
  EXPECT_EQ(ParseTimeString("2024-03-05T14:07:09Z")->value(), kBase);
  for (const char* bad : {"", "abc", "17096x", "1709647629 ", " 1709647629", "-1709647629", "inf",
                          "nan", "1e400", "0x10"}) {
    EXPECT_FALSE(ParseTimeString(bad).has_value()) << bad;
  }
}

TEST(TimestampTest, FormatRoundTrips) {
  EXPECT_EQ(FormatIso8601(state::TimeMs(kBase + 7)), "2024-03-05T14:07:09.007Z");
  EXPECT_EQ(FormatIso8601(state::TimeMs(0)), "1970-01-01T00:00:00.000Z");
  for (const int64_t t :
       {int64_t{0}, kBase, kBase + 999, int64_t{951782400000}, int64_t{253402300799999}}) {
    EXPECT_EQ(ParseIso8601(FormatIso8601(state::TimeMs(t)))->value(), t);
  }
}

}  // namespace
}  // namespace processors
