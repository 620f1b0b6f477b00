#include "state/codec.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace state
