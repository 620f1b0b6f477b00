#include "state/codec.h"

#include <gtest/gtest.h>

#include <cmath>

#include "fmt/format.h"

namespace state {
namespace {

CustomerState Sample() {
  CustomerState s;
  s.first_seen = TimeMs(1700000000000);
  s.last_seen = TimeMs(1700000123456);
  s.events_total = 42;
  s.segment = "engaged";
  s.segment_entered_at = TimeMs(1700000100000);
  return s;
}

// A customer with every version-2 section in use. Its encoding is checked in below.
CustomerState SampleV2() {
  CustomerState s = Sample();
  s.recent_ids.size = 2;
  s.recent_ids.entries[0] = {0x0123456789abcdefULL, TimeMs(1700000123000)};
  s.recent_ids.entries[1] = {0xfedcba9876543210ULL, TimeMs(1700000123456)};
  s.type_counts[0] = 30;  // page_view
  s.type_counts[14] = 2;  // purchase
  s.type_counts[19] = 1;  // survey
  s.active_days = 3;
  s.decayed.landmark = TimeMs(1699920000000);
  s.decayed.half_life_days = {7, 30, 0, 0};
  s.decayed.sums[0][0] = 31.25;
  s.decayed.sums[0][14] = 2.0000001;
  s.decayed.sums[0][kSessionSeries] = 1.0 / 3;
  s.decayed.sums[1][0] = 30.5;
  s.decayed.revenue[0] = 59.97;
  s.decayed.revenue[1] = 59.98;
  s.days.head_day = 19676;
  s.days.counts[19676 % kWindowDays][0] = 20;
  s.days.counts[19676 % kWindowDays][kSessionSeries] = 2;
  s.days.counts[19675 % kWindowDays][0] = 10;
  s.days.counts[19675 % kWindowDays][14] = 2;
  s.days.revenue[19675 % kWindowDays] = 59.98;
  s.sessions = {TimeMs(1700000100000), TimeMs(1700000123456), 3, 5400000, 1, false};
  s.purchases = {59.98, 2, TimeMs(1700000010000), TimeMs(1700000020000), 1, 2, 3};
  s.feedback.rating_sum = 9.5;
  s.feedback.rating_count = 2;
  s.feedback.nps = {9, TimeMs(1700000050000), true};
  s.feedback.ces = {-0.0, TimeMs(1700000060000), true};
  return s;
}

std::string Hex(const std::string& bytes) {
  std::string out;
  for (const char c : bytes) out += fmt::format("\\x{:02x}", static_cast<uint8_t>(c));
  return out;
}

TEST(CodecTest, RoundTrips) {
  std::string bytes;
  EncodeCustomer(Sample(), &bytes);
  auto decoded = DecodeCustomer(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, Sample());
}

TEST(CodecTest, ReadsTheCheckedInVersion1Blob) {
  // Written by version 1 of the codec; a newer binary must keep reading it.
  const std::string v1(
      "\x01\x80\xa0\xab\xfe\xf9\x62\x80\x89\x0f\x2a\x07\x65\x6e\x67\x61\x67\x65\x64"
      "\xc0\xba\xb7\xfe\xf9\x62",
      25);
  auto decoded = DecodeCustomer(v1);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, Sample());
}

TEST(CodecTest, RejectsTruncatedInput) {
  std::string bytes;
  EncodeCustomer(Sample(), &bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeCustomer(bytes.substr(0, n)).ok()) << "length " << n;
  }
}

TEST(CodecTest, RejectsTrailingBytesAndUnknownVersions) {
  std::string bytes;
  EncodeCustomer(Sample(), &bytes);
  EXPECT_FALSE(DecodeCustomer(bytes + "x").ok());
  bytes[0] = static_cast<char>(kCustomerCodecVersion + 1);
  auto r = DecodeCustomer(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ops::StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find("newer"), std::string::npos);
}

TEST(CodecTest, RoundTripsEverySection) {
  std::string bytes;
  EncodeCustomer(SampleV2(), &bytes);
  auto decoded = DecodeCustomer(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, SampleV2());
  EXPECT_TRUE(std::signbit(decoded->feedback.ces.value));  // -0.0 survives
}

TEST(CodecTest, ReadsAndWritesTheCheckedInVersion2Blob) {
  // Written by version 2 of the codec. Decoding it must keep working in every later
  // version; encoding SampleV2 must keep giving it while the version is 2.
  const std::string v2(
      "\x02\x80\xa0\xab\xfe\xf9\x62\x80\x89\x0f\x2a\x07\x65\x6e\x67\x61\x67\x65\x64\xc0"
      "\xba\xb7\xfe\xf9\x62\xff\x01\x02\xef\xcd\xab\x89\x67\x45\x23\x01\x8f\x07\x10\x32"
      "\x54\x76\x98\xba\xdc\xfe\x00\xc1\x80\x80\x01\x1e\x02\x01\x03\x00\x02\x07\xc3\x80"
      "\x80\x08\x00\x00\x00\x00\x00\x40\x3f\x40\x55\x55\x55\x55\x55\x55\xd5\x3f\x4d\xf9"
      "\x6b\x0d\x00\x00\x00\x40\x5c\x8f\xc2\xf5\x28\xfc\x4d\x40\x1e\x81\x80\x80\x08\x00"
      "\x00\x00\x00\x00\x80\x3e\x40\x3d\x0a\xd7\xa3\x70\xfd\x4d\x40\x02\x03\x03\x14\x02"
      "\x41\x0a\x02\x02\x02\x3d\x0a\xd7\xa3\x70\xfd\x4d\x40\xbf\xee\x02\x00\x03\xc0\xcb"
      "\xc9\x02\x01\x00\x02\x3d\x0a\xd7\xa3\x70\xfd\x4d\x40\x02\xa0\x9c\x01\xa0\x9c\x01"
      "\x01\x02\x03\x01\x00\x00\x18\x41\x02\x05\x48\xdf\xfb\x08\x01\x00\x00\x00\x80\xbf"
      "\xdf\x07",
      182);
  std::string bytes;
  EncodeCustomer(SampleV2(), &bytes);
  EXPECT_EQ(bytes, v2) << "now encodes as \"" << Hex(bytes) << "\"";
  auto decoded = DecodeCustomer(v2);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, SampleV2());
}

TEST(CodecTest, TheChurnSectionRoundTripsAndRejectsUnknownBands) {
  CustomerState s = SampleV2();
  s.churn = {ChurnBand::kMedium, 0.6180339887498949, TimeMs(1700000123000)};
  std::string bytes;
  EncodeCustomer(s, &bytes);
  auto decoded = DecodeCustomer(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, s);

  CustomerState only = Sample();
  only.churn = {ChurnBand::kHigh, 0.5, only.last_seen};
  std::string churn;
  EncodeCustomer(only, &churn);
  // Mask (two varint bytes for bit 8), then the band byte.
  ASSERT_EQ(static_cast<uint8_t>(churn[25]), 0x80);
  ASSERT_EQ(churn[26], '\x02');
  ASSERT_EQ(churn[27], static_cast<char>(ChurnBand::kHigh));
  churn[27] = 4;  // no such band
  EXPECT_FALSE(DecodeCustomer(churn).ok());
}

TEST(CodecTest, RejectsEveryTruncationOfAFullState) {
  std::string bytes;
  EncodeCustomer(SampleV2(), &bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeCustomer(bytes.substr(0, n)).ok()) << "length " << n;
  }
  EXPECT_FALSE(DecodeCustomer(bytes + '\0').ok());
}

TEST(CodecTest, AnEmptyCustomerIsTheHeaderAndAnEmptySectionMask) {
  std::string v1_equivalent, bytes;
  EncodeCustomer(Sample(), &bytes);
  // Version byte, the 24 bytes of the v1 body, and a zero section mask.
  EXPECT_EQ(bytes.size(), 26u);
  EXPECT_EQ(bytes.back(), '\0');
}

TEST(CodecTest, RejectsUnknownSectionsAndOutOfRangeCounts) {
  std::string bytes;
  EncodeCustomer(Sample(), &bytes);
  bytes.back() = static_cast<char>(1 << 7 | 1);  // a mask varint naming bit 0 and more
  bytes.push_back('\x40');                       // bit 6 of byte 2: section 13
  EXPECT_FALSE(DecodeCustomer(bytes).ok());

  CustomerState s = Sample();
  s.recent_ids.size = 1;
  std::string ids;
  EncodeCustomer(s, &ids);
  // The recent-ids count byte follows the mask byte; make it exceed the capacity.
  ids[26] = static_cast<char>(RecentIds::kCapacity + 1);
  EXPECT_FALSE(DecodeCustomer(ids).ok());
}

TEST(CodecTest, NumbersRoundTripExactlyAndCompactly) {
  for (const double v : {0.0, 1.0, -7.0, 19.99, 0.1, 4.5, 1e300, -1e-300, 9007199254740993.0}) {
    CustomerState s = Sample();
    s.feedback.rating_sum = v;
    s.feedback.rating_count = 1;
    std::string bytes;
    EncodeCustomer(s, &bytes);
    auto decoded = DecodeCustomer(bytes);
    ASSERT_TRUE(decoded.ok()) << v;
    EXPECT_EQ(decoded->feedback.rating_sum, v);
  }
  // An integral rating sum takes one byte, 4.5 five (a float), 19.99 nine (a double).
  const auto size_with = [](double v) {
    CustomerState s = Sample();
    s.feedback.rating_sum = v;
    std::string bytes;
    EncodeCustomer(s, &bytes);
    return bytes.size();
  };
  EXPECT_EQ(size_with(4.5) - size_with(9), 4u);
  EXPECT_EQ(size_with(19.99) - size_with(9), 8u);
}

}  // namespace
}  // namespace state

namespace state {
namespace {

TEST(CodecLastSeenTest, ReadsLastSeenOfEveryVersionWithoutDecodingTheRest) {
  CustomerState s;
  s.first_seen = TimeMs(1700000000000);
  s.last_seen = TimeMs(1700000123456);
  s.events_total = 3;
  std::string bytes;
  EncodeCustomer(s, &bytes);
  auto last_seen = DecodeLastSeen(bytes);
  ASSERT_TRUE(last_seen.ok());
  EXPECT_EQ(*last_seen, s.last_seen);
  // Version 1: the same header.
  std::string v1 = bytes.substr(0, 1 + 6 + 4);
  v1[0] = 1;
  EXPECT_EQ(DecodeLastSeen(v1).value(), s.last_seen);
  EXPECT_FALSE(DecodeLastSeen("").ok());
  EXPECT_FALSE(DecodeLastSeen(std::string(1, '\x09')).ok()) << "unknown version";
  EXPECT_FALSE(DecodeLastSeen(bytes.substr(0, 3)).ok()) << "truncated";
}

}  // namespace
}  // namespace state
