#include "processors/decoder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <deque>
#include <new>
#include <string>
#include <vector>

#include "processors/timestamp.h"
#include "tests/testutil/files.h"
#include "topologies/config.h"

// Counts heap allocations, to show that Decode allocates nothing after warm-up. GCC
// mistakes the free() in these replacements for a mismatched deallocation.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
std::atomic<int64_t> g_allocations{0};
}  // namespace

namespace {
void* CountedAlloc(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

// Every non-aligned form, so that ASan sees matching malloc/free pairs.
void* operator new(size_t size) {
  if (void* p = CountedAlloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) {
  if (void* p = CountedAlloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t size, const std::nothrow_t&) noexcept { return CountedAlloc(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return CountedAlloc(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace processors {
namespace {

std::string Fixture(const std::string& name) {
  std::string text =
      testutil::ReadFile(std::string(ENGAGED_SOURCE_DIR) + "/tests/processors/fixtures/" + name);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

int64_t Ms(std::string_view iso) {
  const auto t = ParseIso8601(iso);
  EXPECT_TRUE(t.has_value()) << iso;
  return t ? t->value() : 0;
}

// Event views may point into the payload: keep every payload a test decodes alive.
const std::string& Keep(std::string json) {
  static std::deque<std::string> payloads;
  return payloads.emplace_back(std::move(json));
}

// Decodes `json` and expects kOk; failures print the decoder's message.
Event DecodeOk(Decoder& d, std::string json) {
  const Decoded r = d.Decode(Keep(std::move(json)));
  EXPECT_EQ(r.status, DecodeStatus::kOk) << d.error_message() << "\n" << json;
  return r.event;
}

// Decodes `json` and returns the reason it was rejected.
InvalidReason DecodeBad(Decoder& d, const std::string& json) {
  const Decoded r = d.Decode(json);
  EXPECT_EQ(r.status, DecodeStatus::kInvalid) << json;
  EXPECT_FALSE(d.error_message().empty());
  return r.reason;
}

DecoderOptions WithFormat(InputFormat f) {
  DecoderOptions o;
  o.format = f;
  return o;
}

// ---- Segment ------------------------------------------------------------------------

TEST(DecoderSegmentTest, OrderCompletedWithSkewCorrection) {
  Decoder d{DecoderOptions{}};
  const Event e = DecodeOk(d, Fixture("segment_order_completed.json"));
  EXPECT_EQ(e.format, InputFormat::kSegment);
  EXPECT_EQ(e.customer_id, "u-1842");  // userId wins over anonymousId
  EXPECT_EQ(e.event_id, "ajs-next-1709647629123-9d6c1b0e");
  EXPECT_EQ(e.raw_type, "Order Completed");
  EXPECT_EQ(e.type, EventType::kPurchase);
  EXPECT_FALSE(e.unmapped);
  // receivedAt - (sentAt - originalTimestamp) = 11.480 - (9.330 - 9.123) = 11.273
  EXPECT_EQ(e.time.value(), Ms("2024-03-05T14:07:11.273Z"));
  ASSERT_TRUE(e.revenue.has_value());
  EXPECT_DOUBLE_EQ(*e.revenue, 25.0);  // revenue before total
  EXPECT_EQ(e.currency, "USD");
  EXPECT_FALSE(e.rating.has_value());
  EXPECT_FALSE(e.score.has_value());
}

TEST(DecoderSegmentTest, PageFallsBackToAnonymousIdAndHonoursOffset) {
  Decoder d{DecoderOptions{}};
  const Event e = DecodeOk(d, Fixture("segment_page.json"));
  EXPECT_EQ(e.customer_id, "a3b1f5e2-2c7d-4d5f-9a1e-8f2b6c4d1e90");  // userId is null
  EXPECT_EQ(e.raw_type, "page");
  EXPECT_EQ(e.type, EventType::kPageView);
  EXPECT_EQ(e.time.value(), Ms("2024-03-05T14:07:10Z"));  // +01:00
}

TEST(DecoderSegmentTest, ScreenIsAPageViewAndSkewCorrected) {
  Decoder d{DecoderOptions{}};
  const Event e = DecodeOk(d, Fixture("segment_screen.json"));
  EXPECT_EQ(e.type, EventType::kPageView);
  EXPECT_EQ(e.customer_id, "u-77");
  // The device clock is 5 s fast relative to sending: 13:59:58.500 - 5 s.
  EXPECT_EQ(e.time.value(), Ms("2024-03-05T13:59:53.500Z"));
}

TEST(DecoderSegmentTest, IdentifyIsIgnoredNotInvalid) {
  Decoder d{DecoderOptions{}};
  const std::string payload = Fixture("segment_identify.json");
  const Decoded r = d.Decode(payload);
  EXPECT_EQ(r.status, DecodeStatus::kIgnored);
  EXPECT_EQ(r.event.raw_type, "identify");
  EXPECT_NE(d.error_message().find("identify"), std::string::npos);
}

TEST(DecoderSegmentTest, SurveyScoreAndType) {
  Decoder d{DecoderOptions{}};
  const Event e = DecodeOk(d, Fixture("segment_survey.json"));
  EXPECT_EQ(e.type, EventType::kSurvey);
  ASSERT_TRUE(e.score.has_value());
  EXPECT_DOUBLE_EQ(*e.score, 9);
  EXPECT_EQ(e.survey_type, SurveyType::kNps);  // "NPS", case-insensitive
  EXPECT_EQ(e.time.value(), 1709647629000);    // epoch seconds as a number
}

TEST(DecoderSegmentTest, ReviewRatingAndEpochMillisString) {
  Decoder d{DecoderOptions{}};
  const Event e = DecodeOk(d, Fixture("segment_review.json"));
  EXPECT_EQ(e.type, EventType::kReview);
  EXPECT_EQ(e.customer_id, "anon-55");
  ASSERT_TRUE(e.rating.has_value());
  EXPECT_DOUBLE_EQ(*e.rating, 5);
  EXPECT_EQ(e.time.value(), 1709647629123);
}

TEST(DecoderSegmentTest, TrackWithoutTypeAndUnknownEventIsCustom) {
  Decoder d{DecoderOptions{}};
  const Event e = DecodeOk(
      d, R"({"userId":"u1","event":"Rocket Launched","timestamp":"2024-03-05T14:07:09Z"})");
  EXPECT_EQ(e.type, EventType::kCustom);
  EXPECT_TRUE(e.unmapped);
  EXPECT_EQ(e.raw_type, "Rocket Launched");
}

TEST(DecoderSegmentTest, EscapedKeysAndValuesAreUnescaped) {
  Decoder d{DecoderOptions{}};
  const Event e = DecodeOk(
      d,
      R"({"us\u0065rId":"u\"1","type":"track","event":"Order\u0020Completed","timestamp":"2024-03-05"})");
  EXPECT_EQ(e.customer_id, "u\"1");
  EXPECT_EQ(e.type, EventType::kPurchase);
}

TEST(DecoderSegmentTest, RevenueFallsBackToTotalThenValue) {
  Decoder d{DecoderOptions{}};
  Event e = DecodeOk(d, R"({"userId":"u","event":"Order Completed","timestamp":"2024-03-05",)"
                        R"("properties":{"total":30,"value":5}})");
  EXPECT_DOUBLE_EQ(e.revenue.value_or(-1), 30);
  e = DecodeOk(d, R"({"userId":"u","event":"Order Completed","timestamp":"2024-03-05",)"
                  R"("properties":{"value":5,"revenue":null}})");
  EXPECT_DOUBLE_EQ(e.revenue.value_or(-1), 5);
}

// ---- Clock skew and time fallbacks ----------------------------------------------------

TEST(DecoderTimeTest, SegmentTimeFallbacks) {
  Decoder d{DecoderOptions{}};
  const std::string head = R"({"userId":"u","type":"track","event":"x",)";
  // All three: skew correction, even when `timestamp` says otherwise.
  EXPECT_EQ(DecodeOk(d, head + R"("timestamp":"2030-01-01T00:00:00Z",)"
                               R"("originalTimestamp":"2024-03-05T10:00:00Z",)"
                               R"("sentAt":"2024-03-05T10:00:10Z",)"
                               R"("receivedAt":"2024-03-05T09:00:30Z"})")
                .time.value(),
            Ms("2024-03-05T09:00:20Z"));
  // Without sentAt: timestamp first.
  EXPECT_EQ(DecodeOk(d, head + R"("timestamp":"2024-03-05T11:00:00Z",)"
                               R"("originalTimestamp":"2024-03-05T10:00:00Z",)"
                               R"("receivedAt":"2024-03-05T09:00:30Z"})")
                .time.value(),
            Ms("2024-03-05T11:00:00Z"));
  // Then originalTimestamp, then receivedAt.
  EXPECT_EQ(DecodeOk(d, head + R"("originalTimestamp":"2024-03-05T10:00:00Z",)"
                               R"("receivedAt":"2024-03-05T09:00:30Z"})")
                .time.value(),
            Ms("2024-03-05T10:00:00Z"));
  EXPECT_EQ(
      DecodeOk(d, head + R"("receivedAt":"2024-03-05T09:00:30Z","sentAt":null})").time.value(),
      Ms("2024-03-05T09:00:30Z"));
  // Mixed representations: epoch ms number, epoch seconds string, ISO with offset.
  EXPECT_EQ(DecodeOk(d, head + R"("originalTimestamp":1709632800000,)"
                               R"("sentAt":"1709632810",)"
                               R"("receivedAt":"2024-03-05T11:00:30+02:00"})")
                .time.value(),
            Ms("2024-03-05T09:00:20Z"));
}

TEST(DecoderTimeTest, EveryAcceptedFormatThroughTheDecoder) {
  Decoder d{DecoderOptions{}};
  const auto at = [&](const std::string& ts) {
    return DecodeOk(d, R"({"customer_id":"c","type":"click","ts":)" + ts + "}").time.value();
  };
  const int64_t base = Ms("2024-03-05T14:07:09Z");
  EXPECT_EQ(at(R"("2024-03-05T14:07:09Z")"), base);
  EXPECT_EQ(at(R"("2024-03-05T14:07:09.123Z")"), base + 123);
  EXPECT_EQ(at(R"("2024-03-05T14:07:09.123456789Z")"), base + 123);
  EXPECT_EQ(at(R"("2024-03-05T16:07:09.5+02:00")"), base + 500);
  EXPECT_EQ(at(R"("2024-03-05T09:07:09-05:00")"), base);
  EXPECT_EQ(at(R"("2024-03-05T19:37:09+0530")"), base);
  EXPECT_EQ(at(R"("2024-03-05 14:07:09")"), base);
  EXPECT_EQ(at("1709647629"), base);
  EXPECT_EQ(at("1709647629123"), base + 123);
  EXPECT_EQ(at("1709647629.25"), base + 250);
  EXPECT_EQ(at(R"("1709647629")"), base);
  EXPECT_EQ(at(R"("1709647629123")"), base + 123);
}

// ---- Snowplow ---------------------------------------------------------------------------

TEST(DecoderSnowplowTest, PageViewUsesDomainUseridAndDerivedTstamp) {
  Decoder d{DecoderOptions{}};
  const Event e = DecodeOk(d, Fixture("snowplow_page_view.json"));
  EXPECT_EQ(e.format, InputFormat::kSnowplow);
  EXPECT_EQ(e.customer_id, "8ec4d3f1-6f2b-4a7c-9d15-5e2c8b0a4f11");
  EXPECT_EQ(e.event_id, "c6ef3124-b53a-4b13-a233-0088f79dcbcb");
  EXPECT_EQ(e.type, EventType::kPageView);
  EXPECT_EQ(e.time.value(), Ms("2024-03-05T14:07:09.339Z"));
}

TEST(DecoderSnowplowTest, TransactionRevenueAndSpaceSeparatedTime) {
  Decoder d{DecoderOptions{}};
  const Event e = DecodeOk(d, Fixture("snowplow_transaction.json"));
  EXPECT_EQ(e.customer_id, "u-1842");
  EXPECT_EQ(e.type, EventType::kPurchase);
  EXPECT_DOUBLE_EQ(e.revenue.value_or(-1), 49.99);
  EXPECT_EQ(e.currency, "EUR");
  EXPECT_EQ(e.time.value(), Ms("2024-03-05T14:08:59.950Z"));
}

TEST(DecoderSnowplowTest, StructEventIsNamedByItsAction) {
  Decoder d{DecoderOptions{}};
  const Event e = DecodeOk(d, Fixture("snowplow_struct.json"));
  EXPECT_EQ(e.raw_type, "Newsletter Subscribed");
  EXPECT_EQ(e.type, EventType::kSubscribe);
  EXPECT_EQ(e.customer_id, "0d8f2c1e-5a6b-4c7d-8e9f-a0b1c2d3e4f5");  // user_id is ""
  EXPECT_EQ(e.time.value(), Ms("2024-03-05T14:10:00Z"));             // collector_tstamp
}

TEST(DecoderSnowplowTest, UnstructEventName) {
  Decoder d{DecoderOptions{}};
  const Event e = DecodeOk(d, Fixture("snowplow_link_click.json"));
  EXPECT_EQ(e.raw_type, "link_click");
  EXPECT_EQ(e.type, EventType::kClick);
  EXPECT_EQ(e.time.value(), 1709647859000);
}

// ---- Flat ---------------------------------------------------------------------------

TEST(DecoderFlatTest, Purchase) {
  Decoder d{DecoderOptions{}};
  const Event e = DecodeOk(d, Fixture("flat_purchase.json"));
  EXPECT_EQ(e.format, InputFormat::kFlat);
  EXPECT_EQ(e.customer_id, "c-1001");
  EXPECT_EQ(e.event_id, "evt-1");
  EXPECT_EQ(e.type, EventType::kPurchase);
  EXPECT_EQ(e.time.value(), Ms("2024-03-05T12:07:09Z"));
  EXPECT_DOUBLE_EQ(e.revenue.value_or(-1), 19.99);
  EXPECT_EQ(e.currency, "EUR");
}

TEST(DecoderFlatTest, IntegerCustomerIdAndTitleCaseName) {
  Decoder d{DecoderOptions{}};
  const Event e = DecodeOk(d, Fixture("flat_email_open.json"));
  EXPECT_EQ(e.customer_id, "4711");
  EXPECT_EQ(e.type, EventType::kEmailOpen);
  EXPECT_EQ(e.time.value(), 1709647629123);
}

TEST(DecoderFlatTest, FlatRecordWithPropertiesMemberIsStillFlat) {
  Decoder d{DecoderOptions{}};
  const Event e = DecodeOk(
      d,
      R"({"customer_id":"c","type":"click","ts":1709647629,"properties":{"a":1},"context":"x"})");
  EXPECT_EQ(e.format, InputFormat::kFlat);
}

TEST(DecoderFormatTest, FixedFormatDoesNotDetect) {
  Decoder segment{WithFormat(InputFormat::kSegment)};
  EXPECT_EQ(DecodeBad(segment, Fixture("flat_purchase.json")), InvalidReason::kUnknownCallType);
  Decoder flat{WithFormat(InputFormat::kFlat)};
  // As flat, "track" is the event name and there is no customer_id.
  EXPECT_EQ(DecodeBad(flat, Fixture("segment_order_completed.json")),
            InvalidReason::kMissingCustomerId);
  Decoder snowplow{WithFormat(InputFormat::kSnowplow)};
  EXPECT_EQ(DecodeOk(snowplow, Fixture("snowplow_transaction.json")).format,
            InputFormat::kSnowplow);
}

// ---- Field mapping, identity order, taxonomy overrides ----------------------------------

TEST(DecoderMappingTest, CustomerIdFromADottedPath) {
  DecoderOptions o;
  o.fields = {{"customer_id", "properties.account_id"}};
  Decoder d{o};
  const Event e = DecodeOk(d, R"({"userId":"u1","type":"track","event":"Signed Up",)"
                              R"("timestamp":"2024-03-05","properties":{"account_id":987}})");
  EXPECT_EQ(e.customer_id, "987");
  EXPECT_EQ(e.type, EventType::kSignup);
  EXPECT_EQ(DecodeBad(d, R"({"userId":"u1","type":"track","event":"x","timestamp":"2024-03-05"})"),
            InvalidReason::kMissingCustomerId);
}

TEST(DecoderMappingTest, IdentityOrderIsConfigurable) {
  DecoderOptions o;
  o.identity = {"anonymousId", "userId"};
  Decoder d{o};
  EXPECT_EQ(DecodeOk(d, Fixture("segment_order_completed.json")).customer_id,
            "507f191e810c19729de860ea");
}

TEST(DecoderMappingTest, RevenueAndTimeOverrides) {
  DecoderOptions o;
  o.fields = {{"revenue", "properties.order.amount"}, {"time", "properties.when"}};
  Decoder d{o};
  const Event e = DecodeOk(
      d,
      R"({"userId":"u","event":"Order Completed","originalTimestamp":"2024-01-01T00:00:00Z",)"
      R"("sentAt":"2024-01-01T00:00:00Z","receivedAt":"2024-01-01T00:00:00Z",)"
      R"("properties":{"revenue":1,"order":{"amount":12.5},"when":"2024-03-05T14:07:09-05:00"}})");
  EXPECT_DOUBLE_EQ(e.revenue.value_or(-1), 12.5);
  EXPECT_EQ(e.time.value(), Ms("2024-03-05T19:07:09Z"));  // no skew correction
}

TEST(DecoderMappingTest, TaxonomyOverrides) {
  DecoderOptions o;
  o.taxonomy = {{"Trial Started", "signup"}, {"order_completed", "checkout"}, {"page", "ignore"}};
  Decoder d{o};
  const std::string tail = R"(,"userId":"u","timestamp":"2024-03-05"})";
  EXPECT_EQ(DecodeOk(d, R"({"event":"trial_started")" + tail).type, EventType::kSignup);
  EXPECT_EQ(DecodeOk(d, R"({"event":"Order Completed")" + tail).type, EventType::kCheckout);
  EXPECT_EQ(d.Decode(R"({"type":"page")" + tail).status, DecodeStatus::kIgnored);
}

TEST(DecoderMappingTest, InvalidOptionsFallBackAndSayWhy) {
  DecoderOptions o;
  o.identity = {"properties"};  // conflicts with properties.revenue
  Decoder d{o};
  EXPECT_NE(d.options_error().find("properties"), std::string::npos);
  EXPECT_EQ(DecodeOk(d, Fixture("segment_order_completed.json")).customer_id, "u-1842");
  EXPECT_TRUE(CheckDecoderOptions(o).has_value());
  EXPECT_FALSE(CheckDecoderOptions(DecoderOptions{}).has_value());
}

// ---- Bad input: one test per reason ---------------------------------------------------

TEST(DecoderBadInputTest, InvalidJson) {
  Decoder d{DecoderOptions{}};
  EXPECT_EQ(DecodeBad(d, "not json at all"), InvalidReason::kInvalidJson);
  EXPECT_EQ(DecodeBad(d, R"({"customer_id":"c","type":"click")"), InvalidReason::kInvalidJson);
  EXPECT_EQ(DecodeBad(d, R"({"customer_id":"c","type":"click","ts":1} x)"),
            InvalidReason::kInvalidJson);
  EXPECT_EQ(DecodeBad(d, R"({"customer_id":"c\q","type":"click","ts":1})"),
            InvalidReason::kInvalidJson);
  EXPECT_EQ(DecodeBad(d, ""), InvalidReason::kInvalidJson);
  EXPECT_EQ(DecodeBad(d, std::string(2000, '[')), InvalidReason::kInvalidJson);
}

// What On-Demand checks in members the decoder skips (docs/dead-letters.md).
TEST(DecoderBadInputTest, SkippedMembersAreCheckedForStructureOnly) {
  Decoder d{DecoderOptions{}};
  const std::string head = R"({"customer_id":"c","type":"click","ts":1,"context":)";
  EXPECT_EQ(DecodeBad(d, head + R"({"x":[1,2}})"), InvalidReason::kInvalidJson);     // mismatched
  EXPECT_EQ(DecodeBad(d, head + "{\"x\":\"a\tb\"}}"), InvalidReason::kInvalidJson);  // raw tab
  EXPECT_EQ(DecodeBad(d, head + "{\"x\":\"\xc3\x28\"}}"), InvalidReason::kInvalidUtf8);
  // Not checked: scalar syntax inside a skipped member.
  EXPECT_EQ(DecodeOk(d, head + R"({"x":tru}})").customer_id, "c");
}

TEST(DecoderBadInputTest, NotObject) {
  Decoder d{DecoderOptions{}};
  EXPECT_EQ(DecodeBad(d, "[1,2]"), InvalidReason::kNotObject);
  EXPECT_EQ(DecodeBad(d, R"("a string")"), InvalidReason::kNotObject);
  EXPECT_EQ(DecodeBad(d, "42"), InvalidReason::kNotObject);
  EXPECT_EQ(DecodeBad(d, "null"), InvalidReason::kNotObject);
}

TEST(DecoderBadInputTest, InvalidUtf8) {
  Decoder d{DecoderOptions{}};
  EXPECT_EQ(DecodeBad(d, "{\"customer_id\":\"\xff\",\"type\":\"click\",\"ts\":1}"),
            InvalidReason::kInvalidUtf8);
  // Invalid UTF-8 inside a member the decoder skips is found too.
  EXPECT_EQ(DecodeBad(d, "{\"customer_id\":\"c\",\"type\":\"click\",\"ts\":1,\"x\":\"\xc3\x28\"}"),
            InvalidReason::kInvalidUtf8);
}

TEST(DecoderBadInputTest, MissingCustomerId) {
  Decoder d{DecoderOptions{}};
  EXPECT_EQ(
      DecodeBad(d, R"({"type":"track","event":"x","userId":"","anonymousId":null,"timestamp":1})"),
      InvalidReason::kMissingCustomerId);
  EXPECT_EQ(DecodeBad(d, R"({"customer_id":"","type":"click","ts":1709647629})"),
            InvalidReason::kMissingCustomerId);
  EXPECT_NE(d.error_message().find("customer_id"), std::string::npos);
}

TEST(DecoderBadInputTest, MissingEventType) {
  Decoder d{DecoderOptions{}};
  EXPECT_EQ(DecodeBad(d, R"({"type":"track","userId":"u","timestamp":1709647629})"),
            InvalidReason::kMissingEventType);
  EXPECT_EQ(DecodeBad(d, R"({"customer_id":"c","ts":1709647629})"),
            InvalidReason::kMissingEventType);
  EXPECT_EQ(DecodeBad(d, R"({"customer_id":"c","type":"","ts":1709647629})"),
            InvalidReason::kMissingEventType);
}

TEST(DecoderBadInputTest, BadTimestamp) {
  Decoder d{DecoderOptions{}};
  EXPECT_EQ(DecodeBad(d, R"({"customer_id":"c","type":"click","ts":"yesterday"})"),
            InvalidReason::kBadTimestamp);
  EXPECT_EQ(DecodeBad(d, R"({"customer_id":"c","type":"click","ts":"2024-02-30T00:00:00Z"})"),
            InvalidReason::kBadTimestamp);
  EXPECT_EQ(DecodeBad(d, R"({"customer_id":"c","type":"click","ts":-5})"),
            InvalidReason::kBadTimestamp);
  EXPECT_EQ(DecodeBad(d, R"({"customer_id":"c","type":"click"})"), InvalidReason::kBadTimestamp);
  // An unparsable time member that the time rule uses is an error...
  EXPECT_EQ(DecodeBad(d, R"({"userId":"u","event":"x","originalTimestamp":"2024-03-05",)"
                         R"("receivedAt":"2024-03-05","sentAt":"soon"})"),
            InvalidReason::kBadTimestamp);
  // ...one it does not use is not parsed (sentAt matters only with the other two).
  EXPECT_EQ(DecodeOk(d, R"({"userId":"u","event":"x","timestamp":"2024-03-05","sentAt":"soon"})")
                .time.value(),
            Ms("2024-03-05T00:00:00Z"));
}

TEST(DecoderBadInputTest, Oversize) {
  DecoderOptions o;
  o.max_message_bytes = 64;
  Decoder d{o};
  EXPECT_EQ(DecodeBad(d, R"({"customer_id":"c","type":"click","ts":1709647629,"pad":")" +
                             std::string(64, 'x') + "\"}"),
            InvalidReason::kOversize);
  EXPECT_EQ(DecodeOk(d, R"({"customer_id":"c","type":"click","ts":1709647629})").customer_id, "c");
}

TEST(DecoderBadInputTest, WrongType) {
  Decoder d{DecoderOptions{}};
  const std::string ok_head =
      R"({"userId":"u","type":"track","event":"Order Completed","timestamp":"2024-03-05")";
  EXPECT_EQ(DecodeBad(d, ok_head + R"(,"properties":"none"})"), InvalidReason::kWrongType);
  EXPECT_NE(d.error_message().find("'properties' must be an object"), std::string::npos);
  EXPECT_EQ(DecodeBad(d, ok_head + R"(,"properties":{"revenue":"19.99"}})"),
            InvalidReason::kWrongType);
  EXPECT_EQ(DecodeBad(d, ok_head + R"(,"properties":{"currency":978}})"),
            InvalidReason::kWrongType);
  EXPECT_EQ(DecodeBad(d, R"({"userId":{"id":1},"event":"x","timestamp":1})"),
            InvalidReason::kWrongType);
  EXPECT_EQ(DecodeBad(d, R"({"userId":"u","event":["x"],"timestamp":1})"),
            InvalidReason::kWrongType);
  EXPECT_EQ(DecodeBad(d, R"({"userId":"u","event":"x","timestamp":true})"),
            InvalidReason::kWrongType);
  EXPECT_EQ(DecodeBad(d, R"({"customer_id":1.5,"type":"click","ts":1})"),
            InvalidReason::kWrongType);
  EXPECT_EQ(DecodeBad(d, R"({"customer_id":"c","type":"click","ts":1,"event_id":{}})"),
            InvalidReason::kWrongType);
}

TEST(DecoderBadInputTest, UnknownCallType) {
  Decoder d{DecoderOptions{}};
  EXPECT_EQ(DecodeBad(d, R"({"type":"purchase","userId":"u","timestamp":"2024-03-05"})"),
            InvalidReason::kUnknownCallType);
}

TEST(DecoderBadInputTest, HostileNestingAndNumbersNeverCrash) {
  Decoder d{DecoderOptions{}};
  // Deep but balanced nesting in a member the decoder skips is valid JSON: accepted.
  std::string deep = R"({"customer_id":"c","type":"click","ts":1,"x":)";
  deep += std::string(5000, '[') + std::string(5000, ']') + "}";
  EXPECT_EQ(DecodeOk(d, deep).customer_id, "c");
  // Unbalanced nesting is not.
  EXPECT_EQ(DecodeBad(d, R"({"customer_id":"c","type":"click","ts":1,"x":)" +
                             std::string(5000, '[') + "}"),
            InvalidReason::kInvalidJson);
  EXPECT_EQ(DecodeBad(d, R"({"customer_id":"c","type":"click","ts":1e999})"),
            InvalidReason::kInvalidJson);
  EXPECT_EQ(
      DecodeOk(d, R"({"customer_id":18446744073709551615,"type":"click","ts":1})").customer_id,
      "18446744073709551615");
}

// ---- Allocation -------------------------------------------------------------------------

TEST(DecoderAllocationTest, NoHeapAllocationPerRecordAfterWarmUp) {
  Decoder d{DecoderOptions{}};
  std::vector<std::string> records;
  for (const char* f : {"segment_order_completed.json", "segment_page.json", "segment_screen.json",
                        "segment_survey.json", "segment_review.json", "snowplow_page_view.json",
                        "snowplow_transaction.json", "snowplow_struct.json", "flat_purchase.json",
                        "flat_email_open.json"}) {
    records.push_back(Fixture(f));
  }
  for (const auto& r : records)
    ASSERT_EQ(d.Decode(r).status, DecodeStatus::kOk) << d.error_message();
  const int64_t before = g_allocations.load();
  int ok = 0;
  for (int round = 0; round < 100; ++round) {
    for (const auto& r : records) ok += d.Decode(r).status == DecodeStatus::kOk ? 1 : 0;
  }
  EXPECT_EQ(ok, 100 * static_cast<int>(records.size()));
  EXPECT_EQ(g_allocations.load() - before, 0);
  // The counter works: a std::string of this size allocates.
  const std::string big(1000, 'x');
  EXPECT_GT(g_allocations.load() - before, 0);
}

// ---- Configuration ---------------------------------------------------------------------

TEST(DecoderConfigTest, LoadsTheInputKeys) {
  const topologies::ConfigLoad load = topologies::LoadConfigText(R"(
input:
  format: segment
  identity: [anonymousId, userId]
  fields:
    revenue: properties.amount
  taxonomy:
    Trial Started: signup
    Heartbeat: ignore
  dedup_horizon_ms: 3600000
)");
  ASSERT_TRUE(load.ok()) << load.errors[0].message;
  const auto& in = load.config.input;
  EXPECT_EQ(in.format, InputFormat::kSegment);
  EXPECT_EQ(in.identity, (std::vector<std::string>{"anonymousId", "userId"}));
  EXPECT_EQ(in.dedup_horizon_ms, 3600000);
  const DecoderOptions o = topologies::ToDecoderOptions(in);
  EXPECT_EQ(o.format, InputFormat::kSegment);
  ASSERT_EQ(o.fields.size(), 1u);
  EXPECT_EQ(o.fields[0].second, "properties.amount");
  EXPECT_EQ(o.taxonomy.size(), 2u);
  Decoder d{o};
  EXPECT_EQ(DecodeOk(d, R"({"userId":"u","event":"trial started","timestamp":1})").type,
            EventType::kSignup);
}

// Loads `yaml` and expects exactly one error at line:col containing `text`.
void ExpectConfigError(const std::string& yaml, int line, int column, const std::string& text) {
  const topologies::ConfigLoad load = topologies::LoadConfigText(yaml);
  ASSERT_EQ(load.errors.size(), 1u) << yaml;
  EXPECT_EQ(load.errors[0].line, line) << load.errors[0].message;
  EXPECT_EQ(load.errors[0].column, column) << load.errors[0].message;
  EXPECT_NE(load.errors[0].message.find(text), std::string::npos) << load.errors[0].message;
}

TEST(DecoderConfigTest, ErrorsCarryLineAndColumn) {
  ExpectConfigError("input:\n  format: avro\n", 2, 11, "input.format must be auto");
  ExpectConfigError("input:\n  format: [segment]\n", 2, 11, "expected a single value");
  ExpectConfigError("input:\n  identity: userId\n", 2, 13, "must be a non-empty list");
  ExpectConfigError("input:\n  identity: [userId, \"a..b\"]\n", 2, 22, "not a dotted path");
  ExpectConfigError("input:\n  fields:\n    user: userId\n", 3, 5,
                    "unknown field 'input.fields.user'");
  ExpectConfigError("input:\n  fields: [a]\n", 2, 11, "must be a map");
  ExpectConfigError("input:\n  taxonomy:\n    Foo: purchased\n", 3, 10,
                    "not a canonical event type");
  ExpectConfigError("input:\n  dedup_horizon_ms: -1\n", 2, 21, "at least 0");
  ExpectConfigError("input:\n  dedup_horizon_ms: soon\n", 2, 21, "expected an integer");
  ExpectConfigError("input:\n  formats: auto\n", 2, 3, "unknown key 'input.formats'");
  ExpectConfigError("input:\n  identity: [userId]\n  fields:\n    customer_id: x\n", 2, 3,
                    "not both");
}

}  // namespace
}  // namespace processors
