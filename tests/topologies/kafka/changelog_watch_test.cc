// ChangelogWatch's bad paths, without a broker: checks that get no answer are counted
// and leave the compacted gauge unset, and the watch stops promptly when destroyed.
// Its good paths run against the real broker (MigrationTest.
// AChangelogAlteredWhileRunningIsReported).

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "ops/metrics.h"
#include "tests/testutil/metrics_text.h"
#include "topologies/kafka/kafka_io.h"
#include "topologies/kafka/kafka_probe.h"

namespace topologies::kafka {
namespace {

// The value of the unlabelled series `name` in the registry; -1 when absent.
double Sample(const ops::MetricsRegistry& registry, const std::string& name) {
  return testutil::MetricSample(registry.Serialize(), name).value_or(-1);
}

TEST(ChangelogWatchTest, ChecksWithoutABrokerAreCountedAndLeaveTheGaugeUnset) {
  ops::MetricsRegistry registry;
  KafkaProbe probe(&registry);
  int callbacks = 0;
  auto watch =
      StartChangelogWatch({.properties = {{"bootstrap.servers", "127.0.0.1:1"}, {"log_level", "0"}},
                           .topic = "engaged-changelog",
                           .interval_ms = 50,
                           .timeout_ms = 200,
                           .probe = &probe,
                           .on_delete_retention = [&](std::optional<int64_t>) { ++callbacks; }});
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (Sample(registry, "engaged_changelog_topic_check_failures_total") < 2 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto stopping = std::chrono::steady_clock::now();
  watch->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(2))
      << "waits for at most the check in flight";
  EXPECT_GE(Sample(registry, "engaged_changelog_topic_check_failures_total"), 2);
  EXPECT_EQ(Sample(registry, "engaged_changelog_topic_compacted"), -1)
      << "no answer says nothing about the topic";
  EXPECT_EQ(callbacks, 0) << "no delete.retention.ms was read";
}

TEST(ChangelogWatchTest, RefusesNoTopicOrNoInterval) {
  ChangelogWatchOptions options;
  options.interval_ms = 1000;
  EXPECT_FALSE(StartChangelogWatch(options).ok()) << "no topic";
  options.topic = "t";
  options.interval_ms = 0;
  EXPECT_FALSE(StartChangelogWatch(options).ok()) << "no interval";
}

}  // namespace
}  // namespace topologies::kafka
