// An at-least-once instance that stops (SIGSTOP) for longer than its group session
// loses its partitions to the other instance, which restores them from the changelog
// and processes on. When it resumes, it must not commit the work it did before the
// pause: that commit would land in the changelog after the new owner's, and every later
// restore would read its older states. Afterwards every customer's count equals the
// events produced for it, in the instance that ends with all partitions and in a new,
// empty instance that restores everything from the changelog.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <random>
#include <thread>

#include "tests/integration/harness.h"

namespace integration {
namespace {

constexpr int kPartitions = 4;
constexpr int kCustomers = 300;
constexpr int kEvents = 30000;
// Longer than the harness's session.timeout.ms (6 s), with time for the other instance
// to take the partitions over, restore them and commit.
constexpr auto kPause = std::chrono::seconds(14);
constexpr int kCountsTimeoutMs = 120000;

TEST(PauseTest, AnInstancePausedPastItsSessionCommitsNothingAfterItsPartitionsMoved) {
  const std::string bootstrap = testutil::KafkaClient::FixtureBootstrap();
  ASSERT_FALSE(bootstrap.empty()) << "no broker: run through ctest (the kafka fixture)";
  testutil::KafkaClient kafka(bootstrap);
  const Topics topics = CreateTopics(kafka, "pause", kPartitions);
  testutil::TempDir dir;
  const int port_a = FreePort();
  const int port_b = FreePort();
  const int port_c = FreePort();
  const std::string config_a = MakeConfig(bootstrap, topics, dir.File("a"), port_a);
  const std::string config_b = MakeConfig(bootstrap, topics, dir.File("b"), port_b);

  // Produced over about 20 s, before, during and after the pause.
  std::map<std::string, int64_t> produced;
  std::thread producer([&] {
    testutil::KafkaClient p(bootstrap);
    std::mt19937 rng(5);
    const int64_t t0 = 1700000000000;
    for (int i = 0; i < kEvents; ++i) {
      const std::string id = "u" + std::to_string(rng() % kCustomers);
      const int64_t seq = ++produced[id];
      p.Produce(topics.input, id, ClickEvent(id, t0 + i, seq));
      if (i % 40 == 39) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    p.Flush();
  });

  auto a = std::make_unique<Engaged>(dir, config_a, "engaged-a");
  auto b = std::make_unique<Engaged>(dir, config_b, "engaged-b");
  ASSERT_TRUE(WaitUntilReady(*a, port_a, 60000)) << a->log();
  ASSERT_TRUE(WaitUntilReady(*b, port_b, 60000)) << b->log();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  a->process().Signal(SIGSTOP);
  std::this_thread::sleep_for(kPause);
  a->process().Signal(SIGCONT);
  producer.join();

  // B leaves; A takes every partition and catches up from the changelog.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ASSERT_EQ(b->Terminate(), 0) << b->log();
  ASSERT_TRUE(WaitForCounts(port_a, produced, kCountsTimeoutMs)) << a->log();
  ASSERT_EQ(a->Terminate(), 0) << a->log();
  EXPECT_NE(a->log().find("partitions lost"), std::string::npos)
      << "A's session did not time out: the pause proved nothing\n"
      << a->log();
  EXPECT_EQ(StoredCounts(dir.File("a")), produced);

  // The changelog alone gives the same counts.
  auto c = std::make_unique<Engaged>(dir, MakeConfig(bootstrap, topics, dir.File("c"), port_c),
                                     "engaged-c");
  ASSERT_TRUE(WaitForCounts(port_c, produced, kCountsTimeoutMs)) << c->log();
  ASSERT_EQ(c->Terminate(), 0) << c->log();
  EXPECT_EQ(StoredCounts(dir.File("c")), produced);
  std::printf("pause: %d events over %zu customers; A paused for %lld s\n", kEvents,
              produced.size(), static_cast<long long>(kPause.count()));
}

}  // namespace
}  // namespace integration
