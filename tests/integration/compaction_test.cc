// A partition's local copy, left behind while the broker compacted the changelog and
// then removed its tombstones (delete.retention.ms passed), never saw those deletions:
// caught up from its own position, it keeps customers that expired meanwhile. A copy
// older than state.local_copy_max_age_ms, or than the changelog topic's own
// delete.retention.ms, is therefore restored from the changelog's start. Here the
// changelog topic compacts within seconds (delete.retention.ms 0); then, with the topic
// keeping tombstones for a day, the copy caught up with no age limit shows the stale
// customers (so the tombstones were really gone) and the same copy with a limit does
// not; and with the topic keeping them for a second, the copy with no limit of its own
// is bounded by the topic's and does not either.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include "tests/integration/harness.h"

namespace integration {
namespace {

constexpr int kPartitions = 2;
constexpr int kOld = 40;  // customers that expire while A is away
constexpr int64_t kDayMs = 24 * 3600 * 1000LL;
constexpr int kMaxAgeMs = 2000;
constexpr int kTimeoutMs = 120000;

std::string Old(int k) { return "old-" + std::to_string(k); }

// True when GET /customers/{id} answers 404 for every old customer.
bool OldCustomersGone(int port) {
  for (int k = 0; k < kOld; ++k) {
    std::string body;
    if (HttpGet(port, "/customers/" + Old(k), &body) != 404) return false;
  }
  return true;
}

TEST(CompactionTest, ACopyOlderThanTheChangelogsTombstonesIsRestoredFromTheStart) {
  const std::string bootstrap = testutil::KafkaClient::FixtureBootstrap();
  ASSERT_FALSE(bootstrap.empty()) << "no broker: run through ctest (the kafka fixture)";
  testutil::KafkaClient kafka(bootstrap);
  const Topics topics = CreateTopics(kafka, "compact", kPartitions);
  // engaged's own changelog, created first with configs that make the broker's cleaner
  // compact it, and then drop its tombstones, within seconds.
  const std::string changelog = topics.input + "-app-changelog";
  const auto changelog_configs = [](const std::string& delete_retention_ms) {
    return std::map<std::string, std::string>{{"cleanup.policy", "compact"},
                                              {"segment.ms", "100"},
                                              {"min.cleanable.dirty.ratio", "0.01"},
                                              {"delete.retention.ms", delete_retention_ms}};
  };
  kafka.CreateTopic(changelog, kPartitions, /*compact=*/true, changelog_configs("0"));
  testutil::TempDir dir;
  const int port = FreePort();
  const auto config = [&](const std::string& state, int max_age_ms) {
    return AddToSection(MakeConfig(bootstrap, topics, dir.File(state), port), "state",
                        "  retention_ms: " + std::to_string(kDayMs) +
                            "\n  local_copy_max_age_ms: " + std::to_string(max_age_ms) + "\n");
  };

  // A sees the old customers, ten days ago, and stops.
  const int64_t t0 = NowMs() - 10 * kDayMs;
  std::map<std::string, int64_t> old;
  for (int k = 0; k < kOld; ++k) {
    kafka.Produce(topics.input, Old(k), ClickEvent(Old(k), t0 + k, 1));
    old[Old(k)] = 1;
  }
  kafka.Flush();
  {
    Engaged a(dir, config("a", kMaxAgeMs), "engaged-a");
    ASSERT_TRUE(WaitForCounts(port, old, kTimeoutMs)) << a.log();
    ASSERT_EQ(a.Terminate(), 0) << a.log();
  }

  // B, with an empty directory, takes over; new customers, three days later, move
  // stream time past the old ones' expiry, and keep coming so that the changelog
  // keeps rolling segments for the cleaner.
  std::map<std::string, int64_t> fresh;
  std::atomic<bool> producing{true};
  std::thread producer([&] {
    testutil::KafkaClient p(bootstrap);
    for (int i = 0; producing.load(); ++i) {
      const std::string id = "new-" + std::to_string(i % 200);
      const int64_t seq = ++fresh[id];
      p.Produce(topics.input, id, ClickEvent(id, t0 + 3 * kDayMs + i, seq));
      p.Flush();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  bool compacted = false;
  {
    Engaged b(dir, config("b", kMaxAgeMs), "engaged-b");
    EXPECT_TRUE(WaitUntilReady(b, port, kTimeoutMs)) << b.log();
    EXPECT_TRUE(WaitUntil([&] { return OldCustomersGone(port); }, kTimeoutMs))
        << "B never expired the old customers\n"
        << b.log();
    // The broker drops the old customers' records, tombstones last.
    compacted = WaitUntil(
        [&] {
          for (const auto& m : kafka.ConsumeAll(changelog, SIZE_MAX, 6000)) {
            if (m.key.rfind("cold-", 0) == 0) return false;
          }
          return true;
        },
        kTimeoutMs);
    producing = false;
    producer.join();
    EXPECT_TRUE(WaitForCounts(port, fresh, kTimeoutMs)) << b.log();
    EXPECT_EQ(b.Terminate(), 0) << b.log();
  }
  ASSERT_TRUE(compacted) << "the broker never removed the old customers' tombstones";

  // Three copies of A's directory, older than kMaxAgeMs by now.
  for (const char* copy : {"a-caught-up", "a-restored", "a-bounded"}) {
    std::filesystem::copy(dir.File("a"), dir.File(copy), std::filesystem::copy_options::recursive);
  }
  // The tombstones are gone; the topic now says it keeps them for a day, so that its
  // delete.retention.ms bounds neither of the next two copies.
  kafka.SetTopicConfigs(changelog, changelog_configs(std::to_string(kDayMs)));
  {
    // No limit: caught up from its own position, the copy keeps the expired customers.
    Engaged a(dir, config("a-caught-up", 0), "engaged-a-caught-up");
    ASSERT_TRUE(WaitForCounts(port, fresh, kTimeoutMs)) << a.log();
    std::string body;
    EXPECT_EQ(HttpGet(port, "/customers/" + Old(0), &body), 200)
        << "with no limit the old copy should keep the expired customers: " << body;
    ASSERT_EQ(a.Terminate(), 0) << a.log();
  }
  {
    Engaged a(dir, config("a-restored", kMaxAgeMs), "engaged-a-restored");
    ASSERT_TRUE(WaitForCounts(port, fresh, kTimeoutMs)) << a.log();
    EXPECT_TRUE(OldCustomersGone(port)) << a.log();
    EXPECT_NE(a.log().find("older than state.local_copy_max_age_ms"), std::string::npos) << a.log();
    EXPECT_EQ(a.log().find("delete.retention.ms is below"), std::string::npos) << a.log();
    ASSERT_EQ(a.Terminate(), 0) << a.log();
    EXPECT_EQ(StoredCounts(dir.File("a-restored")), fresh);
  }
  // A topic that keeps tombstones for a second bounds a copy with no limit of its own.
  kafka.SetTopicConfigs(changelog, changelog_configs("1000"));
  Engaged a(dir, config("a-bounded", 0), "engaged-a-bounded");
  ASSERT_TRUE(WaitForCounts(port, fresh, kTimeoutMs)) << a.log();
  EXPECT_TRUE(OldCustomersGone(port)) << a.log();
  EXPECT_NE(a.log().find("delete.retention.ms is below"), std::string::npos) << a.log();
  ASSERT_EQ(a.Terminate(), 0) << a.log();
  EXPECT_EQ(StoredCounts(dir.File("a-bounded")), fresh);
  std::printf("compaction: %d old customers expired while A was away, %zu new ones\n", kOld,
              fresh.size());
}

}  // namespace
}  // namespace integration
