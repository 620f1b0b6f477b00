// State moves through the changelog. Instance A (exactly_once) processes the first part
// of a stream and is stopped; instance B of the same application, with an empty state
// directory, restores from the changelog and finishes the stream. A+B's segment changes
// and B's final state equal those of one uninterrupted run C over the same input (an
// application of its own, at_least_once), byte for byte.
//
// And an existing changelog topic whose partition count differs from the input's, or
// that is not compacted, makes `engaged run` refuse to start; and a record another
// writer puts in engaged's changelog is counted at engaged's next commit; and a changelog
// altered while engaged runs is reported.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "state/codec.h"
#include "state/store.h"
#include "tests/integration/harness.h"

namespace integration {
namespace {

using Produced = std::map<std::string, int64_t>;  // customer id -> events produced so far

constexpr int kPartitions = 4;
constexpr int kCustomers = 300;
constexpr int kEventsPerHalf = 6000;
constexpr int kEvents = 2 * kEventsPerHalf;
constexpr int kCountsTimeoutMs = 120000;

// The input: kEvents events of customers of a sliding window (SlidingCustomer: a
// quarter of them have events both before and after the middle, where A hands over to
// B), with per-customer sequence numbers in their event ids; event times 1 ms apart from
// a minute before the first event.
class Stream {
 public:
  Stream(const std::string& bootstrap, std::string topic)
      : client_(bootstrap), topic_(std::move(topic)), t0_(NowMs() - 60000) {}

  // Produces `n` more events, pausing 20 ms every 200 so that they arrive over time.
  void Produce(int n) {
    for (int k = 0; k < n; ++k, ++i_) {
      const std::string id = SlidingCustomer(i_, kEvents, kCustomers, kCustomers / 4, rng_);
      const int64_t seq = ++produced_[id];
      client_.Produce(topic_, id, ClickEvent(id, t0_ + i_, seq));
      if (k % 200 == 199) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    client_.Flush();
  }
  const Produced& produced() const { return produced_; }

 private:
  testutil::KafkaClient client_;
  std::string topic_;
  int64_t t0_;
  int64_t i_ = 0;
  std::mt19937 rng_{11};
  Produced produced_;
};

// (event_id, customer, segment, events_total) of one segment change.
using Change = std::tuple<std::string, std::string, std::string, int64_t>;

std::vector<Change> ReadChanges(testutil::KafkaClient& kafka, const std::string& topic,
                                size_t expected) {
  std::vector<Change> out;
  for (const auto& m : kafka.ConsumeAll(topic, expected, 60000, 3000)) {
    out.emplace_back(JsonString(m.value, "event_id"), m.key, JsonString(m.value, "segment"),
                     JsonInt(m.value, "events_total"));
  }
  return out;
}

size_t ExpectedChangeCount(const Produced& produced) {
  size_t n = 0;
  for (const auto& [id, events] : produced) n += (events >= 3) + (events >= 6);
  return n;
}

// Every customer's state in a stopped instance's state directory, encoded.
std::map<std::string, std::string> EncodedStates(const std::string& state_dir) {
  std::map<std::string, std::string> encoded;
  auto store = state::Store::Open({.dir = state_dir, .read_only = true});
  EXPECT_TRUE(store.ok()) << state_dir << ": " << store.status().ToString();
  if (!store.ok()) return encoded;
  const ops::Status s = (*store)->ForEachCustomer(
      [&](state::Partition, std::string_view id, const state::CustomerState& c) {
        std::string bytes;
        state::EncodeCustomer(c, &bytes);
        EXPECT_TRUE(encoded.emplace(std::string(id), std::move(bytes)).second)
            << id << " is in two partitions";
        return true;
      });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return encoded;
}

// Customers whose state differs between `a` and `b`, or that only one has.
std::vector<std::string> StateDifferences(const std::map<std::string, std::string>& a,
                                          const std::map<std::string, std::string>& b) {
  std::vector<std::string> differ;
  for (const auto& [id, bytes] : a) {
    const auto it = b.find(id);
    if (it == b.end() || it->second != bytes) differ.push_back(id);
  }
  for (const auto& [id, bytes] : b) {
    if (a.count(id) == 0) differ.push_back(id);
  }
  return differ;
}

TEST(MigrationTest, EmptyInstanceRestoresFromChangelogAndMatchesAnUninterruptedRun) {
  const std::string bootstrap = testutil::KafkaClient::FixtureBootstrap();
  ASSERT_FALSE(bootstrap.empty()) << "no broker: run through ctest (the kafka fixture)";
  testutil::KafkaClient kafka(bootstrap);
  const Topics topics = CreateTopics(kafka, "migrate", kPartitions);
  // C: the same input, its own application and outputs.
  Topics c_topics = CreateTopics(kafka, "migrate-c", kPartitions);
  c_topics.input = topics.input;
  testutil::TempDir dir;
  const int port_a = FreePort();
  const int port_b = FreePort();
  const int port_c = FreePort();
  const std::string c_config =
      WithApplicationId(MakeConfig(bootstrap, c_topics, dir.File("state-c"), port_c),
                        topics.input + "-uninterrupted");
  Engaged c(dir, c_config, "c");

  Stream stream(bootstrap, topics.input);
  stream.Produce(kEventsPerHalf);
  Produced first_part = stream.produced();
  Engaged a(dir, MakeExactlyOnceConfig(bootstrap, topics, dir.File("state-a"), port_a, "a"), "a");
  ASSERT_TRUE(WaitUntilReady(a, port_a, kCountsTimeoutMs)) << a.log();
  ASSERT_TRUE(WaitForCounts(port_a, first_part, kCountsTimeoutMs)) << a.log();
  // A stops while the second part arrives, B (empty state) takes over.
  std::thread second_part([&] { stream.Produce(kEventsPerHalf); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(a.Terminate(), 0) << a.log();
  Engaged b(dir, MakeExactlyOnceConfig(bootstrap, topics, dir.File("state-b"), port_b, "b"), "b");
  second_part.join();
  ASSERT_TRUE(WaitUntilReady(b, port_b, kCountsTimeoutMs)) << b.log();
  const Produced& all = stream.produced();
  ASSERT_TRUE(WaitForCounts(port_b, all, kCountsTimeoutMs)) << b.log();
  ASSERT_TRUE(WaitForCounts(port_c, all, kCountsTimeoutMs)) << c.log();
  ASSERT_EQ(b.Terminate(), 0) << b.log();
  ASSERT_EQ(c.Terminate(), 0) << c.log();

  int spanning = 0;  // customers with events both before and after the hand-over
  for (const auto& [id, n] : first_part) spanning += all.at(id) > n;
  EXPECT_GT(spanning, 0);
  const auto [restored_lines, restored_records] = RestoresInLog(b.log());
  EXPECT_GE(restored_lines, kPartitions) << "B restored every partition\n" << b.log();
  EXPECT_GE(restored_records, static_cast<int64_t>(first_part.size()))
      << "at least one changelog record per customer A had seen";

  const size_t expected = ExpectedChangeCount(all);
  const std::vector<Change> ab = ReadChanges(kafka, topics.segment_changes, expected);
  const std::vector<Change> uninterrupted = ReadChanges(kafka, c_topics.segment_changes, expected);
  const std::set<Change> ab_set(ab.begin(), ab.end());
  EXPECT_EQ(ab.size(), ab_set.size()) << "exactly once: no change twice";
  EXPECT_EQ(ab_set.size(), expected);
  EXPECT_EQ(ab_set, std::set<Change>(uninterrupted.begin(), uninterrupted.end()))
      << "A+B's changes equal C's";

  const auto b_states = EncodedStates(dir.File("state-b"));
  const auto c_states = EncodedStates(dir.File("state-c"));
  EXPECT_EQ(b_states.size(), all.size());
  const auto differ = StateDifferences(b_states, c_states);
  EXPECT_TRUE(differ.empty()) << differ.size() << " customers' state differs, e.g. "
                              << (differ.empty() ? "" : differ.front());
  std::printf(
      "migration: %d + %d events over %zu customers; A saw %zu customers (%d of them also "
      "had events after it), B restored %lld changelog records in %d partitions; %zu changes "
      "of A+B equal C's; %zu customers' state compared byte for byte, %zu differ\n",
      kEventsPerHalf, kEventsPerHalf, all.size(), first_part.size(), spanning,
      static_cast<long long>(restored_records), restored_lines, ab_set.size(), b_states.size(),
      differ.size());
}

// `engaged run` with an existing changelog of the wrong partition count: exit 1, a log
// line naming the topic. Checked under both guarantees (the changelog is on in both).
TEST(MigrationTest, ChangelogWithWrongPartitionCountRefusesToStart) {
  const std::string bootstrap = testutil::KafkaClient::FixtureBootstrap();
  ASSERT_FALSE(bootstrap.empty()) << "no broker: run through ctest (the kafka fixture)";
  testutil::KafkaClient kafka(bootstrap);
  const Topics topics = CreateTopics(kafka, "badlog", kPartitions);
  const std::string changelog = testutil::KafkaClient::UniqueTopic("badlog-changelog");
  kafka.CreateTopic(changelog, kPartitions - 2, /*compact=*/true);
  testutil::TempDir dir;
  for (const std::string guarantee : {"exactly_once", "at_least_once"}) {
    std::string config = MakeConfig(bootstrap, topics, dir.File("state-" + guarantee), FreePort());
    config = AddToSection(config, "state",
                          std::string("  changelog_topic: ").append(changelog).append("\n"));
    config = AddToSection(config, "processing",
                          std::string("  guarantee: ").append(guarantee).append("\n"));
    Engaged engaged(dir, config, guarantee);
    EXPECT_EQ(engaged.process().Wait(60000), 1) << guarantee << "\n" << engaged.log();
    EXPECT_NE(engaged.log().find(changelog), std::string::npos)
        << guarantee << ": the error names the topic\n"
        << engaged.log();
  }
}

// `engaged run` with an existing changelog that the broker deletes by age
// (cleanup.policy=delete, the broker's default): exit 1, a log line naming the topic and
// the policy.
TEST(MigrationTest, ChangelogThatIsNotCompactedRefusesToStart) {
  const std::string bootstrap = testutil::KafkaClient::FixtureBootstrap();
  ASSERT_FALSE(bootstrap.empty()) << "no broker: run through ctest (the kafka fixture)";
  testutil::KafkaClient kafka(bootstrap);
  const Topics topics = CreateTopics(kafka, "deletelog", kPartitions);
  const std::string changelog = testutil::KafkaClient::UniqueTopic("deletelog-changelog");
  kafka.CreateTopic(changelog, kPartitions, /*compact=*/false);
  testutil::TempDir dir;
  std::string config = MakeConfig(bootstrap, topics, dir.File("state"), FreePort());
  config = AddToSection(config, "state",
                        std::string("  changelog_topic: ").append(changelog).append("\n"));
  Engaged engaged(dir, config, "engaged");
  EXPECT_EQ(engaged.process().Wait(60000), 1) << engaged.log();
  EXPECT_NE(engaged.log().find("'" + changelog + "' has cleanup.policy=delete"), std::string::npos)
      << engaged.log();
}

// At-least-once: a record another writer appends to a changelog partition engaged owns
// (as a paused instance's late commit would) is counted at engaged's next commit to
// that partition, once; engaged's own commits count nothing.
TEST(MigrationTest, ARecordAnotherWriterPutsInTheChangelogIsCounted) {
  constexpr char kForeign[] = "engaged_changelog_foreign_records_total";
  const std::string bootstrap = testutil::KafkaClient::FixtureBootstrap();
  ASSERT_FALSE(bootstrap.empty()) << "no broker: run through ctest (the kafka fixture)";
  testutil::KafkaClient kafka(bootstrap);
  const Topics topics = CreateTopics(kafka, "foreign", kPartitions);
  testutil::TempDir dir;
  const int port = FreePort();
  Engaged engaged(dir, MakeConfig(bootstrap, topics, dir.File("state"), port), "engaged");
  const int64_t t0 = NowMs() - 60000;
  Produced produced;
  const auto produce_round = [&] {
    for (int k = 0; k < kCustomers; ++k) {
      const std::string id = "c" + std::to_string(k);
      const int64_t seq = ++produced[id];
      kafka.Produce(topics.input, id, ClickEvent(id, t0 + seq, seq));
    }
    kafka.Flush();
  };
  produce_round();
  ASSERT_TRUE(WaitForCounts(port, produced, kCountsTimeoutMs)) << engaged.log();
  ASSERT_TRUE(WaitUntil([&] { return MetricValue(port, kForeign) == 0; }, kCountsTimeoutMs))
      << "engaged's own commits count as foreign: " << MetricValue(port, kForeign) << "\n"
      << engaged.log();
  // One record in each changelog partition, as from another instance; never restored.
  const std::string changelog = topics.input + "-app-changelog";
  for (int p = 0; p < kPartitions; ++p) {
    kafka.Produce(changelog, "cforeign-" + std::to_string(p), "", p);
  }
  kafka.Flush();
  produce_round();  // every partition commits again
  ASSERT_TRUE(WaitForCounts(port, produced, kCountsTimeoutMs)) << engaged.log();
  EXPECT_TRUE(
      WaitUntil([&] { return MetricValue(port, kForeign) == kPartitions; }, kCountsTimeoutMs))
      << MetricValue(port, kForeign) << "\n"
      << engaged.log();
  produce_round();
  ASSERT_TRUE(WaitForCounts(port, produced, kCountsTimeoutMs)) << engaged.log();
  EXPECT_EQ(MetricValue(port, kForeign), kPartitions) << "counted once";
  EXPECT_NE(engaged.log().find("another writer appended to this partition's changelog"),
            std::string::npos)
      << engaged.log();
  EXPECT_EQ(engaged.Terminate(), 0) << engaged.log();
}

// A changelog topic altered while engaged runs, which checks it every
// state.changelog_check_interval_ms: a cleanup.policy that is no longer `compact` sets
// engaged_changelog_topic_compacted to 0 with an error naming the policy, a lower
// delete.retention.ms bounds the local copy's age from then on, and both are undone
// when the topic is set back; processing goes on meanwhile.
TEST(MigrationTest, AChangelogAlteredWhileRunningIsReported) {
  constexpr char kCompacted[] = "engaged_changelog_topic_compacted";
  const std::string bootstrap = testutil::KafkaClient::FixtureBootstrap();
  ASSERT_FALSE(bootstrap.empty()) << "no broker: run through ctest (the kafka fixture)";
  testutil::KafkaClient kafka(bootstrap);
  const Topics topics = CreateTopics(kafka, "altered", kPartitions);
  testutil::TempDir dir;
  const int port = FreePort();
  const std::string config = AddToSection(MakeConfig(bootstrap, topics, dir.File("state"), port),
                                          "state", "  changelog_check_interval_ms: 300\n");
  Engaged engaged(dir, config, "engaged");
  const std::string changelog = topics.input + "-app-changelog";
  Produced produced;
  int64_t seq = 0;
  const auto produce_round = [&] {
    ++seq;
    for (int k = 0; k < kCustomers; ++k) {
      const std::string id = "c" + std::to_string(k);
      ++produced[id];
      kafka.Produce(topics.input, id, ClickEvent(id, NowMs() - 60000 + seq, seq));
    }
    kafka.Flush();
  };
  produce_round();
  ASSERT_TRUE(WaitForCounts(port, produced, kCountsTimeoutMs)) << engaged.log();
  EXPECT_EQ(MetricValue(port, kCompacted), 1) << engaged.log();

  // AlterConfigs replaces the topic's configs: both are set at once.
  kafka.SetTopicConfigs(changelog,
                        {{"cleanup.policy", "compact,delete"}, {"delete.retention.ms", "1000"}});
  EXPECT_TRUE(WaitUntil([&] { return MetricValue(port, kCompacted) == 0; }, 30000))
      << engaged.log();
  EXPECT_TRUE(WaitUntil(
      [&] {
        return engaged.log().find("'" + changelog + "' has cleanup.policy=compact,delete") !=
               std::string::npos;
      },
      30000))
      << engaged.log();
  EXPECT_TRUE(WaitUntil(
      [&] {
        return engaged.log().find("delete.retention.ms is below state.local_copy_max_age_ms") !=
               std::string::npos;
      },
      30000))
      << engaged.log();
  EXPECT_NE(engaged.log().find("\"using_ms\":1000"), std::string::npos) << engaged.log();
  produce_round();
  ASSERT_TRUE(WaitForCounts(port, produced, kCountsTimeoutMs)) << "processing goes on\n"
                                                               << engaged.log();

  kafka.SetTopicConfigs(changelog, {{"cleanup.policy", "compact"}});
  EXPECT_TRUE(WaitUntil([&] { return MetricValue(port, kCompacted) == 1; }, 30000))
      << engaged.log();
  EXPECT_TRUE(WaitUntil(
      [&] {
        return engaged.log().find("delete.retention.ms no longer bounds") != std::string::npos;
      },
      30000))
      << engaged.log();
  EXPECT_EQ(MetricValue(port, "engaged_changelog_topic_check_failures_total"), -1)
      << "no check failed (the counter appears with the first failure)";
  EXPECT_EQ(engaged.Terminate(), 0) << engaged.log();
}

}  // namespace
}  // namespace integration
