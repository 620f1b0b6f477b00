#include "topologies/config.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "state/store.h"

namespace topologies {
namespace {

TEST(ConfigTest, ParsesEveryKey) {
  ::setenv("ENGAGED_TEST_BROKER", "kafka-1:9092", 1);
  const ConfigLoad load = LoadConfigText(R"(
application_id: shop
kafka:
  bootstrap.servers: ${ENGAGED_TEST_BROKER}
  security.protocol: ${ENGAGED_TEST_UNSET:-PLAINTEXT}
input:
  topics: [a, b]
  max_message_bytes: 2048
output:
  segment_changes_topic: seg
  dead_letters_topic: dlq
state:
  dir: /tmp/x
  memory_budget_bytes: 67108864
  cache_share: 0.5
  cache_read_blocks: false
  compression: zstd
  retention_ms: 86400000
  sync_commits: true
  local_copy_max_age_ms: 3600000
  changelog_check_interval_ms: 60000
processing:
  commit_interval_ms: 50
  allowed_lateness_ms: 1000
  max_future_ms: 2000
  shutdown_grace_ms: 3000
  idle_timer_ms: 0
http:
  enabled: false
  host: 127.0.0.1
  port: 0
log:
  level: debug
segments:
  - name: active
    min_events: 3
)");
  ASSERT_TRUE(load.ok()) << load.errors[0].message;
  const Config& c = load.config;
  EXPECT_EQ(c.application_id, "shop");
  EXPECT_EQ(c.kafka.at("bootstrap.servers"), "kafka-1:9092");
  EXPECT_EQ(c.kafka.at("security.protocol"), "PLAINTEXT");
  EXPECT_EQ(c.input.topics, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.input.max_message_bytes, 2048);
  EXPECT_EQ(c.output.segment_changes_topic, "seg");
  EXPECT_EQ(c.state.memory_budget_bytes, 67108864);
  EXPECT_EQ(c.state.cache_share, 0.5);
  EXPECT_FALSE(c.state.cache_read_blocks);
  EXPECT_EQ(c.state.compression, state::Compression::kZstd);
  EXPECT_EQ(c.state.retention_ms, 86400000);
  EXPECT_TRUE(c.state.sync_commits);
  EXPECT_EQ(c.state.local_copy_max_age_ms, 3600000);
  EXPECT_EQ(c.state.changelog_check_interval_ms, 60000);
  EXPECT_EQ(c.processing.commit_interval_ms, 50);
  EXPECT_EQ(c.processing.shutdown_grace_ms, 3000);
  EXPECT_EQ(c.processing.idle_timer_ms, 0);
  EXPECT_FALSE(c.http.enabled);
  EXPECT_EQ(c.http.port, 0);
  EXPECT_EQ(c.log_level, ops::LogLevel::kDebug);
  ASSERT_EQ(c.segments.size(), 1u);
  EXPECT_EQ(c.segments[0].min_events, 3);
}

TEST(ConfigTest, DefaultsAreSane) {
  const ConfigLoad load = LoadConfigText("application_id: x\n");
  ASSERT_TRUE(load.ok());
  EXPECT_EQ(load.config.processing.commit_interval_ms, 1000);
  EXPECT_EQ(load.config.http.port, 9464);
  EXPECT_EQ(load.config.output.dead_letters_topic, "engaged.dead-letters");
  EXPECT_EQ(load.config.state.local_copy_max_age_ms, 12 * 3600 * 1000);
  EXPECT_EQ(load.config.state.changelog_check_interval_ms, 5 * 60 * 1000);
}

TEST(ConfigTest, ANegativeLocalCopyMaxAgeIsAnError) {
  const ConfigLoad load = LoadConfigText("state:\n  local_copy_max_age_ms: -1\n");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].line, 2);
  EXPECT_EQ(load.errors[0].column, 26);
  EXPECT_NE(load.errors[0].message.find("must be at least 0, got -1"), std::string::npos)
      << load.errors[0].message;
}

TEST(ConfigTest, AnUnknownCompressionIsAnError) {
  EXPECT_EQ(LoadConfigText("state:\n  compression: lz4\n").config.state.compression,
            state::Compression::kLz4);
  EXPECT_EQ(StateConfig().compression, state::Compression::kNone) << "the default";
  const ConfigLoad load = LoadConfigText("state:\n  compression: snappy\n");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].line, 2);
  EXPECT_NE(load.errors[0].message.find("state.compression must be none, lz4 or zstd, got "
                                        "'snappy'"),
            std::string::npos)
      << load.errors[0].message;
}

TEST(ConfigTest, ANegativeChangelogCheckIntervalIsAnError) {
  const ConfigLoad load = LoadConfigText("state:\n  changelog_check_interval_ms: -5\n");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].line, 2);
  EXPECT_NE(load.errors[0].message.find("must be at least 0, got -5"), std::string::npos)
      << load.errors[0].message;
}

TEST(ConfigTest, AMisspeltKeyIsAnErrorWithLineAndColumn) {
  const ConfigLoad load = LoadConfigText("application_id: x\nstate:\n  dirr: /tmp\n");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].line, 3);
  EXPECT_EQ(load.errors[0].column, 3);
  EXPECT_NE(load.errors[0].message.find("unknown key 'state.dirr'"), std::string::npos);
  EXPECT_EQ(FormatConfigError("c.yaml", load.errors[0]).rfind("c.yaml:3:3: ", 0), 0u);
}

TEST(ConfigTest, AWrongTypeIsAnError) {
  const ConfigLoad load = LoadConfigText("processing:\n  commit_interval_ms: soon\n");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].line, 2);
  EXPECT_NE(load.errors[0].message.find("expected an integer"), std::string::npos);
}

TEST(ConfigTest, ReportsEveryErrorAtOnce) {
  const ConfigLoad load = LoadConfigText(
      "bogus: 1\nhttp:\n  port: 99999\nsegments:\n  - name: a\n    min_events: 0\n  - name: a\n");
  EXPECT_EQ(load.errors.size(), 4u);
}

TEST(ConfigTest, AnUnsetVariableWithoutDefaultIsAnError) {
  ::unsetenv("ENGAGED_TEST_NOT_SET");
  const ConfigLoad load = LoadConfigText("kafka:\n  sasl.password: ${ENGAGED_TEST_NOT_SET}\n");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_NE(load.errors[0].message.find("ENGAGED_TEST_NOT_SET"), std::string::npos);
  EXPECT_EQ(load.errors[0].line, 2);
}

TEST(ConfigTest, MalformedYamlIsAnErrorWithPosition) {
  const ConfigLoad load = LoadConfigText("input:\n  topics: [a, b\n");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_GT(load.errors[0].line, 0);
}

TEST(ConfigTest, AMissingFileIsAnError) {
  const ConfigLoad load = LoadConfigFile("/nonexistent/engaged.yaml");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_NE(load.errors[0].message.find("cannot read"), std::string::npos);
}

TEST(ConfigTest, MemoryBudgetKeepsHeadroomAndSplitsTheRestByCacheShare) {
  StateConfig s;
  s.memory_budget_bytes = int64_t{1000} << 20;
  s.cache_share = 0.25;
  const double accounted =
      static_cast<double>(s.memory_budget_bytes) * (1 - kUnaccountedMemoryShare);
  EXPECT_NEAR(static_cast<double>(StoreMemoryBytes(s)), accounted * 0.75, 1.0);
  EXPECT_NEAR(static_cast<double>(CacheMemoryBytes(s)), accounted * 0.25, 1.0);
  EXPECT_LT(StoreMemoryBytes(s) + CacheMemoryBytes(s), static_cast<size_t>(s.memory_budget_bytes));
}

TEST(ConfigTest, TheStoreIsOpenedWithTheStateSectionsSettings) {
  StateConfig s;
  s.dir = "/var/lib/engaged/state";
  s.sync_commits = true;
  s.memory_budget_bytes = int64_t{2} << 30;
  s.cache_share = 0.6;
  s.cache_read_blocks = false;
  const state::StoreOptions o = StoreOptionsFor(s);
  EXPECT_EQ(o.dir, s.dir);
  EXPECT_TRUE(o.sync_commits);
  EXPECT_EQ(o.memory_bytes, StoreMemoryBytes(s));
  EXPECT_FALSE(o.cache_read_blocks);
  EXPECT_EQ(o.compression, state::Compression::kNone);
  EXPECT_FALSE(o.read_only);
  s.sync_commits = false;
  s.cache_read_blocks = true;
  s.compression = state::Compression::kLz4;
  EXPECT_EQ(StoreOptionsFor(s).compression, state::Compression::kLz4);
  EXPECT_FALSE(StoreOptionsFor(s).sync_commits);
  EXPECT_TRUE(StoreOptionsFor(s).cache_read_blocks);
}

TEST(ConfigTest, TheChangelogsDeleteRetentionBoundsTheLocalCopysAge) {
  constexpr int64_t kHour = 3600 * 1000;
  // Unknown: the configured limit, or none.
  EXPECT_EQ(LocalCopyMaxAgeMs(12 * kHour, std::nullopt), 12 * kHour);
  EXPECT_EQ(LocalCopyMaxAgeMs(0, std::nullopt), 0);
  // The broker's default (24 h) leaves the default (12 h) alone.
  EXPECT_EQ(LocalCopyMaxAgeMs(12 * kHour, 24 * kHour), 12 * kHour);
  // A topic that drops tombstones sooner bounds it, and bounds "no limit" too.
  EXPECT_EQ(LocalCopyMaxAgeMs(12 * kHour, kHour), kHour);
  EXPECT_EQ(LocalCopyMaxAgeMs(0, kHour), kHour);
  // Tombstones dropped at once: 1 ms, not 0 (which would mean no limit).
  EXPECT_EQ(LocalCopyMaxAgeMs(0, 0), 1);
  EXPECT_EQ(LocalCopyMaxAgeMs(12 * kHour, 0), 1);
}

TEST(ConfigTest, AChangelogTopicThatIsNotExactlyCompactedIsAProblem) {
  const auto compact = ReadChangelogTopicConfigs(
      "log", {{"cleanup.policy", "compact"}, {"delete.retention.ms", "86400000"}});
  EXPECT_TRUE(compact.problem.empty()) << compact.problem;
  EXPECT_EQ(compact.delete_retention_ms, 86400000);
  for (const std::string policy : {"delete", "compact,delete", "delete,compact"}) {
    const auto read = ReadChangelogTopicConfigs("log", {{"cleanup.policy", policy}});
    EXPECT_NE(read.problem.find("changelog topic 'log' has cleanup.policy=" + policy),
              std::string::npos)
        << read.problem;
    EXPECT_NE(read.problem.find("--entity-name log --add-config cleanup.policy=compact"),
              std::string::npos)
        << read.problem;
  }
  // Configs without a policy (a broker that did not say) are not a problem.
  EXPECT_TRUE(ReadChangelogTopicConfigs("log", {}).problem.empty());
}

TEST(ConfigTest, AChangelogTopicsDeleteRetentionIsReadOnlyWhenItIsANumber) {
  EXPECT_EQ(ReadChangelogTopicConfigs("log", {}).delete_retention_ms, std::nullopt);
  EXPECT_EQ(ReadChangelogTopicConfigs("log", {{"delete.retention.ms", "0"}}).delete_retention_ms,
            0);
  for (const std::string bad : {"", "1h", "-1", "12x", "99999999999999999999"}) {
    EXPECT_EQ(ReadChangelogTopicConfigs("log", {{"delete.retention.ms", bad}}).delete_retention_ms,
              std::nullopt)
        << bad;
  }
}

}  // namespace
}  // namespace topologies
