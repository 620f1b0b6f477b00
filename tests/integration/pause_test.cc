// An at-least-once instance that stops (SIGSTOP) for longer than its group session
// loses its partitions to the other instance, which restores them from the changelog
// and processes on. When it resumes, it must not commit the work it did before the
// pause: that commit would land in the changelog after the new owner's, and every later
// restore would read its older states and resume from its older offsets (counting again
// what the new owner had counted). Afterwards every customer's count equals the events
// produced for it, in the instance that ends with all partitions and in a new, empty
// instance that restores everything from the changelog.
//
// The paused instance commits only once a minute, so that it holds uncommitted work
// when it stops, and no commit of its is under way then: at-least-once has no fencing,
// and a commit under way when a pause begins can still land after the new owner's
// (docs/architecture.md, *Partitions lost*). A commit due when it resumes is held
// until librdkafka has noticed the loss (Runner::MayCommit).

#include <gtest/gtest.h>

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
constexpr int kEventsPerBurst = 6000;
// Longer than the harness's session.timeout.ms (6 s), with time for the other instance
// to take the partitions over and restore them.
constexpr auto kPause = std::chrono::seconds(14);
constexpr int kTimeoutMs = 120000;

// Produces `n` events of customers u0 .. u<customers - 1>, counting them in `produced`.
void Produce(const std::string& bootstrap, const std::string& topic, int n, int customers,
             std::map<std::string, int64_t>* produced) {
  testutil::KafkaClient p(bootstrap);
  std::mt19937 rng(static_cast<unsigned>(produced->size() + 5));
  const int64_t t0 = 1700000000000;
  for (int i = 0; i < n; ++i) {
    const std::string id = "u" + std::to_string(rng() % customers);
    const int64_t seq = ++(*produced)[id];
    p.Produce(topic, id, ClickEvent(id, t0 + seq, seq));
  }
  p.Flush();
}

TEST(PauseTest, AnInstancePausedPastItsSessionCommitsNothingAfterItsPartitionsMoved) {
  const std::string bootstrap = testutil::KafkaClient::FixtureBootstrap();
  ASSERT_FALSE(bootstrap.empty()) << "no broker: run through ctest (the kafka fixture)";
  testutil::KafkaClient kafka(bootstrap);
  const Topics topics = CreateTopics(kafka, "pause", kPartitions);
  testutil::TempDir dir;
  const int port_a = FreePort();
  const int port_b = FreePort();
  const int port_c = FreePort();
  std::string config_a = MakeConfig(bootstrap, topics, dir.File("a"), port_a);
  const std::string interval = "commit_interval_ms: 200\n";
  const size_t at = config_a.find(interval);
  ASSERT_NE(at, std::string::npos) << config_a;
  config_a.replace(at, interval.size(), "commit_interval_ms: 60000\n");
  const std::string config_b = MakeConfig(bootstrap, topics, dir.File("b"), port_b);

  auto a = std::make_unique<Engaged>(dir, config_a, "engaged-a");
  ASSERT_TRUE(WaitUntilReady(*a, port_a, 60000)) << a->log();
  auto b = std::make_unique<Engaged>(dir, config_b, "engaged-b");
  ASSERT_TRUE(WaitUntilReady(*b, port_b, 60000)) << b->log();
  ASSERT_TRUE(
      WaitUntil([&] { return MetricValue(port_a, "engaged_assigned_partitions") == 2; }, 60000))
      << "the two instances never shared the partitions\n"
      << a->log();

  // Half the customers; A processes its partitions' events and commits none of them.
  std::map<std::string, int64_t> produced;
  Produce(bootstrap, topics.input, kEventsPerBurst, 150, &produced);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  a->process().Signal(SIGSTOP);
  std::this_thread::sleep_for(kPause);
  // B owns every partition now; all the customers, half of them new.
  Produce(bootstrap, topics.input, kEventsPerBurst, 300, &produced);
  ASSERT_TRUE(WaitForCounts(port_b, produced, kTimeoutMs)) << b->log();
  a->process().Signal(SIGCONT);
  // librdkafka's own line, not "partitions lost", which a rebalance can also cause.
  ASSERT_TRUE(WaitUntil(
      [&] { return a->log().find("Consumer group session timed out") != std::string::npos; },
      30000))
      << "A's session did not time out: the pause proved nothing\n"
      << a->log();
  ASSERT_TRUE(
      WaitUntil([&] { return a->log().find("partitions lost") != std::string::npos; }, 30000))
      << a->log();

  // B leaves; A takes every partition and catches up from the changelog.
  ASSERT_EQ(b->Terminate(), 0) << b->log();
  ASSERT_TRUE(WaitForCounts(port_a, produced, kTimeoutMs)) << a->log();
  ASSERT_EQ(a->Terminate(), 0) << a->log();
  EXPECT_EQ(StoredCounts(dir.File("a")), produced);

  // The changelog alone gives the same counts.
  auto c = std::make_unique<Engaged>(dir, MakeConfig(bootstrap, topics, dir.File("c"), port_c),
                                     "engaged-c");
  ASSERT_TRUE(WaitForCounts(port_c, produced, kTimeoutMs)) << c->log();
  ASSERT_EQ(c->Terminate(), 0) << c->log();
  EXPECT_EQ(StoredCounts(dir.File("c")), produced);
  std::printf("pause: %d events over %zu customers; A paused for %lld s\n", 2 * kEventsPerBurst,
              produced.size(), static_cast<long long>(kPause.count()));
}

}  // namespace
}  // namespace integration
