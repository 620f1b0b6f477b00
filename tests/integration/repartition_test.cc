// Input keyed by something other than the customer (here: a random key per record, so a
// customer's events land on every partition) with input.keyed_by_customer false: engaged
// re-keys it through its repartition topic, and each customer ends with one state
// holding every one of its events.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>

#include "tests/integration/harness.h"

namespace integration {
namespace {

TEST(RepartitionTest, UnkeyedInputEndsInOneStatePerCustomer) {
  const std::string bootstrap = testutil::KafkaClient::FixtureBootstrap();
  ASSERT_FALSE(bootstrap.empty()) << "no broker: run through ctest (the kafka fixture)";
  testutil::KafkaClient kafka(bootstrap);
  const Topics topics = CreateTopics(kafka, "repartition", 4);
  testutil::TempDir dir;
  const int port = FreePort();
  // An environment override, as an operator would set it (the config has an input: map).
  setenv("ENGAGED_INPUT__KEYED_BY_CUSTOMER", "false", 1);
  Engaged engaged(dir, MakeConfig(bootstrap, topics, dir.File("state"), port), "engaged");
  unsetenv("ENGAGED_INPUT__KEYED_BY_CUSTOMER");
  std::map<std::string, int64_t> produced;
  std::mt19937 rng(3);
  constexpr int kEvents = 3000;
  for (int i = 0; i < kEvents; ++i) {
    const std::string id = "u" + std::to_string(rng() % 60);
    ++produced[id];
    kafka.Produce(topics.input, "k" + std::to_string(rng()),
                  R"({"customer_id":")" + id + R"(","type":"click","ts":)" +
                      std::to_string(1700000000000LL + i) + "}");
  }
  kafka.Produce(topics.input, "k-bad", "{not json");
  kafka.Flush();
  ASSERT_TRUE(WaitForCounts(port, produced, 90000)) << engaged.log();
  // Each customer's state is in exactly one partition.
  for (const auto& [id, n] : produced) {
    std::string body;
    ASSERT_EQ(HttpGet(port, "/customers/" + id, &body), 200);
    EXPECT_EQ(std::count(body.begin(), body.end(), '\n'), 1) << id << ": " << body;
  }
  const auto dead = kafka.ConsumeAll(topics.dead_letters, 1, 30000);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].headers.at("error.code"), "invalid_json");
  EXPECT_EQ(dead[0].headers.at("source.topic"), topics.input) << "dead-lettered before re-keying";
  ASSERT_EQ(engaged.Terminate(), 0) << engaged.log();
}

}  // namespace
}  // namespace integration
