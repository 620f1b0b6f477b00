// Stops (SIGTERM) and kills (SIGKILL) engaged mid-stream and restarts it; afterwards
// every customer's count equals the events produced for it: nothing lost, nothing
// counted twice. Outputs may repeat after a kill, always with the same event id.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "tests/integration/harness.h"

namespace integration {
namespace {

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

// Sizes: by default those issue #5 asks for (at least 200,000 events over 10,000
// customers, 5 kills; about 25 s, under ASan too); ENGAGED_CRASH_EVENTS / _CUSTOMERS /
// _KILLS change them. Each kill comes 0-500 ms later than its base time, drawn from
// ENGAGED_CRASH_SEED (random unless set, and printed: a failing run's kill times can be
// repeated).
struct Plan {
  int events = EnvInt("ENGAGED_CRASH_EVENTS", 200000);
  int customers = EnvInt("ENGAGED_CRASH_CUSTOMERS", 10000);
  int kills = EnvInt("ENGAGED_CRASH_KILLS", 5);
  unsigned seed = Seed();

  static unsigned Seed() {
    const char* v = std::getenv("ENGAGED_CRASH_SEED");
    return v != nullptr && *v != '\0' ? static_cast<unsigned>(std::strtoul(v, nullptr, 10))
                                      : std::random_device()();
  }
};

TEST(RestartTest, NothingLostNothingCountedTwiceAcrossStopsAndKills) {
  const std::string bootstrap = testutil::KafkaClient::FixtureBootstrap();
  ASSERT_FALSE(bootstrap.empty()) << "no broker: run through ctest (the kafka fixture)";
  const Plan plan;
  std::printf("restart: ENGAGED_CRASH_SEED=%u\n", plan.seed);
  std::mt19937 jitter(plan.seed);
  testutil::KafkaClient kafka(bootstrap);
  const Topics topics = CreateTopics(kafka, "restart", 4);
  testutil::TempDir dir;
  const int port = FreePort();
  const std::string config = MakeConfig(bootstrap, topics, dir.File("state"), port);

  // The producer runs in the background while engaged is stopped and killed.
  std::map<std::string, int64_t> produced;
  std::atomic<bool> producing{true};
  std::thread producer([&] {
    testutil::KafkaClient p(bootstrap);
    std::mt19937 rng(42);
    for (int i = 0; i < plan.events; ++i) {
      const std::string id = "u" + std::to_string(rng() % plan.customers);
      ++produced[id];
      p.Produce(topics.input, id,
                R"({"customer_id":")" + id + R"(","type":"click","ts":)" +
                    std::to_string(1700000000000LL + i) + "}");
      if (i % 500 == 499) std::this_thread::sleep_for(std::chrono::milliseconds(40));
    }
    p.Flush();
    producing = false;
  });

  int generation = 0;
  auto start = [&] {
    return std::make_unique<Engaged>(dir, config, "engaged-" + std::to_string(generation++));
  };
  auto engaged = start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(engaged->Terminate(), 0) << engaged->log();
  engaged = start();
  for (int k = 0; k < plan.kills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(700 + 300 * k + jitter() % 500));
    engaged->process().Signal(SIGKILL);
    ASSERT_EQ(engaged->process().Wait(10000), 128 + SIGKILL);
    engaged = start();
  }
  producer.join();
  // Generous: each kill leaves a group member that holds its partitions until its
  // session times out, and the machine may be busy.
  ASSERT_TRUE(WaitForCounts(port, produced, 120000 + plan.events / 2)) << engaged->log();
  ASSERT_EQ(engaged->Terminate(), 0) << engaged->log();

  const auto stored = StoredCounts(dir.File("state"));
  EXPECT_EQ(stored, produced) << "every customer's count equals what was produced for it";
  EXPECT_EQ(InspectEventsTotal(dir.File("state"), produced.begin()->first),
            produced.begin()->second)
      << "engaged inspect agrees";

  // At-least-once outputs: repeats are allowed, but each event id always names the
  // same change, and every expected transition is there.
  int expected_changes = 0;
  for (const auto& [id, n] : produced) expected_changes += (n >= 3) + (n >= 6);
  const auto changes = kafka.ConsumeAll(topics.segment_changes, expected_changes, 60000);
  std::map<std::string, std::string> by_id;
  for (const auto& m : changes) {
    const std::string event_id = JsonString(m.value, "event_id");
    const std::string what = m.key + "|" + JsonString(m.value, "segment") + "|" +
                             std::to_string(JsonInt(m.value, "events_total"));
    auto [it, inserted] = by_id.emplace(event_id, what);
    EXPECT_EQ(it->second, what) << "event id " << event_id << " names two different changes";
  }
  EXPECT_EQ(static_cast<int>(by_id.size()), expected_changes);
  std::printf(
      "restart: %d events over %zu customers, 1 SIGTERM and %d SIGKILLs (seed %u), %zu "
      "customers checked, %zu change records read for %d distinct changes\n",
      plan.events, produced.size(), plan.kills, plan.seed, stored.size(), changes.size(),
      expected_changes);
}

}  // namespace
}  // namespace integration
