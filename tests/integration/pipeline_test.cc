// End to end through the real broker: events in, the exact segment changes and dead
// letters out.

#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <set>
#include <thread>

#include "tests/integration/harness.h"
#include "tests/testutil/files.h"

namespace integration {
namespace {

std::string Event(const std::string& customer, int i) {
  return R"({"customer_id":")" + customer + R"(","type":"page_view","ts":)" +
         std::to_string(1700000000 + i) + "}";
}

TEST(PipelineTest, ProducesExactSegmentChangesAndDeadLetters) {
  const std::string bootstrap = testutil::KafkaClient::FixtureBootstrap();
  ASSERT_FALSE(bootstrap.empty()) << "no broker: run through ctest (the kafka fixture)";
  testutil::KafkaClient kafka(bootstrap);
  const Topics topics = CreateTopics(kafka, "pipeline", 3);
  testutil::TempDir dir;
  const int port = FreePort();

  // Customer cN sends N+1 events: 3 reach "active" (c2..c9), 6 reach "engaged" (c5..c9).
  std::set<std::tuple<std::string, std::string, std::string, int64_t>> expected;
  for (int c = 0; c < 10; ++c) {
    const std::string id = "c" + std::to_string(c);
    for (int i = 0; i <= c; ++i) kafka.Produce(topics.input, id, Event(id, i));
    if (c + 1 >= 3) expected.insert({id, "", "active", 3});
    if (c + 1 >= 6) expected.insert({id, "active", "engaged", 6});
  }
  kafka.Produce(topics.input, "bad1", "not json");
  kafka.Produce(topics.input, "bad2", R"({"type":"page_view","ts":1700000000})");
  kafka.Produce(topics.input, "bad3", R"({"customer_id":"x","type":"click","ts":"yesterday"})");
  kafka.Flush();

  Engaged engaged(dir, MakeConfig(bootstrap, topics, dir.File("state"), port), "engaged");
  const auto changes = kafka.ConsumeAll(topics.segment_changes, expected.size(), 60000);
  const auto dead = kafka.ConsumeAll(topics.dead_letters, 3, 30000);

  // Ready while running, not ready after SIGTERM (the process is gone then).
  std::string body;
  EXPECT_EQ(HttpGet(port, "/readyz", &body), 200) << body;
  EXPECT_EQ(HttpGet(port, "/metrics", &body), 200);
  EXPECT_NE(body.find("engaged_records_consumed_total"), std::string::npos);
  EXPECT_NE(body.find(R"(engaged_records_invalid_total{reason="invalid_json"} 1)"),
            std::string::npos)
      << body;
  EXPECT_EQ(engaged.Terminate(), 0) << engaged.log();

  std::set<std::tuple<std::string, std::string, std::string, int64_t>> got;
  std::set<std::string> ids;
  for (const auto& m : changes) {
    EXPECT_EQ(m.key, JsonString(m.value, "customer_id")) << "outputs are keyed by customer";
    got.insert({m.key, JsonString(m.value, "previous_segment"), JsonString(m.value, "segment"),
                JsonInt(m.value, "events_total")});
    ids.insert(JsonString(m.value, "event_id"));
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(changes.size(), expected.size()) << "no duplicates in a run without failures";
  EXPECT_EQ(ids.size(), changes.size()) << "event ids are unique";

  std::map<std::string, std::string> reasons;
  for (const auto& m : dead) {
    reasons[m.key] = m.headers.count("error.code") ? m.headers.at("error.code") : "";
    EXPECT_EQ(m.headers.at("source.topic"), topics.input);
    EXPECT_FALSE(m.headers.at("source.offset").empty());
    EXPECT_FALSE(m.headers.at("error.message").empty());
  }
  EXPECT_EQ(reasons, (std::map<std::string, std::string>{{"bad1", "invalid_json"},
                                                         {"bad2", "missing_customer_id"},
                                                         {"bad3", "bad_timestamp"}}));
  EXPECT_EQ(InspectEventsTotal(dir.File("state"), "c9"), 10);
}

TEST(PipelineTest, RefusesToStartWhenAnInputTopicIsMissing) {
  const std::string bootstrap = testutil::KafkaClient::FixtureBootstrap();
  ASSERT_FALSE(bootstrap.empty());
  testutil::KafkaClient kafka(bootstrap);
  Topics topics = CreateTopics(kafka, "missing", 1);
  topics.input = "does-not-exist-" + topics.input;
  testutil::TempDir dir;
  Engaged engaged(dir, MakeConfig(bootstrap, topics, dir.File("state"), FreePort()), "engaged");
  EXPECT_EQ(engaged.process().Wait(60000), 1);
  EXPECT_NE(engaged.log().find("does not exist"), std::string::npos) << engaged.log();
}

TEST(PipelineTest, ChurnRiskEventsReachTheirTopicKeyedByCustomer) {
  const std::string bootstrap = testutil::KafkaClient::FixtureBootstrap();
  ASSERT_FALSE(bootstrap.empty()) << "no broker: run through ctest (the kafka fixture)";
  testutil::KafkaClient kafka(bootstrap);
  const Topics topics = CreateTopics(kafka, "churn", 1);
  testutil::TempDir dir;
  testutil::WriteFile(dir.File("model.json"),
                      R"({"model":"bgnbd","r":0.2426,"alpha":4.4136,"a":0.7929,"b":2.4259,)"
                      R"("time_unit":"weeks","fitted_at":"2026-11-24T00:00:00Z"})");
  // buyer purchases weekly for four weeks; then only `clock` moves stream time, 120
  // days on, so buyer's band rises through the daily wake timers alone.
  const int64_t t0 = 1700000000000;
  const int64_t day = 86400000;
  for (int w = 0; w < 4; ++w) {
    kafka.Produce(topics.input, "buyer",
                  R"({"customer_id":"buyer","type":"purchase","revenue":10,"ts":)" +
                      std::to_string(t0 + w * 7 * day) + "}");
  }
  kafka.Produce(
      topics.input, "clock",
      R"({"customer_id":"clock","type":"page_view","ts":)" + std::to_string(t0 + 120 * day) + "}");
  kafka.Flush();
  Engaged engaged(dir,
                  MakeConfig(bootstrap, topics, dir.File("state"), FreePort(),
                             "churn:\n  model_file: " + dir.File("model.json") + "\n"),
                  "engaged");
  const auto risk = kafka.ConsumeAll(topics.churn_risk, 2, 60000);
  EXPECT_EQ(engaged.Terminate(), 0) << engaged.log();
  ASSERT_EQ(risk.size(), 2u) << engaged.log();
  EXPECT_EQ(risk[0].key, "buyer");
  EXPECT_EQ(JsonString(risk[0].value, "band"), "medium") << risk[0].value;
  EXPECT_EQ(JsonString(risk[0].value, "basis"), "purchases");
  EXPECT_EQ(risk[1].key, "buyer");
  EXPECT_EQ(JsonString(risk[1].value, "band"), "high") << risk[1].value;
  EXPECT_EQ(JsonString(risk[1].value, "previous_band"), "medium");
  // Wake timers fire at UTC midnights.
  EXPECT_NE(risk[1].value.find(R"(T00:00:00.000Z","detected_at")"), std::string::npos)
      << risk[1].value;
}

TEST(PipelineTest, FailsClearlyWhenTheBrokerIsDown) {
  testutil::TempDir dir;
  const Topics topics{"in", "out", "dlq", "churn"};
  const std::string dead_broker = "127.0.0.1:" + std::to_string(FreePort());
  Engaged engaged(dir, MakeConfig(dead_broker, topics, dir.File("state"), FreePort()) + "",
                  "engaged");
  EXPECT_EQ(engaged.process().Wait(60000), 1);
  EXPECT_NE(engaged.log().find("cannot reach the Kafka cluster"), std::string::npos)
      << engaged.log();
}

}  // namespace
}  // namespace integration
