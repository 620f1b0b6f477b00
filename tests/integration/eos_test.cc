// Exactly-once under failures, in the manner of Kafka Streams' StreamsEosTest: a driver
// produces a clickstream with per-customer sequence numbers while two exactly_once
// instances of one application are killed (SIGKILL) and restarted, and then one of
// them is scaled away for good (SIGTERM). Afterwards the survivor owns every partition
// and has counted every customer's events exactly once; read_committed, the
// segment-change topic holds each expected change exactly once and nothing else (no
// output of an aborted transaction, no repeat), and the changelog's last value of each
// customer holds that customer's count.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "state/codec.h"
#include "tests/integration/harness.h"

namespace integration {
namespace {

using Produced = std::map<std::string, int64_t>;  // customer id -> events produced

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

// Sizes: CI-sized by default (about 20 s of driving); ENGAGED_EOS_EVENTS / _CUSTOMERS /
// _KILLS / _RATE scale it up.
struct Plan {
  int events = EnvInt("ENGAGED_EOS_EVENTS", 20000);
  int customers = EnvInt("ENGAGED_EOS_CUSTOMERS", 400);
  int kills = EnvInt("ENGAGED_EOS_KILLS", 3);
  int rate = EnvInt("ENGAGED_EOS_RATE", 1000);  // events/s the driver offers

  int drive_ms() const { return static_cast<int>(int64_t{events} * 1000 / rate); }
};

constexpr int kPartitions = 4;
constexpr int kReadyTimeoutMs = 60000;
// A scaled-away static member holds its partitions until its session times out
// (MakeConfig: 6 s); then the survivor restores them from the changelog.
constexpr int kTakeOverTimeoutMs = 90000;

// Produces plan.events events in the background at about plan.rate events/s, each of a
// customer of a sliding window (SlidingCustomer: segment changes all along the run, so
// that kills interrupt them) and carrying that customer's next sequence number in its
// event_id ("u7-1", "u7-2", ...). Event times increase by 1 ms per event from a minute
// ago.
class Driver {
 public:
  Driver(const std::string& bootstrap, const std::string& topic, const Plan& plan)
      : thread_([this, bootstrap, topic, plan] { Run(bootstrap, topic, plan); }) {}
  ~Driver() {
    if (thread_.joinable()) thread_.join();
  }

  // Waits until every event is produced and acknowledged; returns the count per customer.
  const Produced& Join() {
    if (thread_.joinable()) thread_.join();
    return produced_;
  }

 private:
  void Run(const std::string& bootstrap, const std::string& topic, const Plan& plan) {
    testutil::KafkaClient p(bootstrap);
    std::mt19937 rng(7);
    const int64_t t0 = NowMs() - 60000;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < plan.events; ++i) {
      const std::string id =
          SlidingCustomer(i, plan.events, plan.customers, std::max(plan.customers / 8, 1), rng);
      const int64_t seq = ++produced_[id];
      p.Produce(topic, id, ClickEvent(id, t0 + i, seq));
      if (i % 100 == 99) {
        std::this_thread::sleep_until(start +
                                      std::chrono::milliseconds(int64_t{i} * 1000 / plan.rate));
      }
    }
    p.Flush();
  }

  Produced produced_;
  std::thread thread_;
};

// One named instance of the application, restarted under the same name, config and
// state directory; each run logs to NAME-GENERATION.log.
class Instance {
 public:
  Instance(const testutil::TempDir& dir, const std::string& bootstrap, const Topics& topics,
           std::string name)
      : dir_(dir),
        name_(std::move(name)),
        port_(FreePort()),
        config_(
            MakeExactlyOnceConfig(bootstrap, topics, dir.File("state-" + name_), port_, name_)) {}

  void Start() {
    engaged_ = std::make_unique<Engaged>(dir_, config_, name_ + "-" + std::to_string(runs_++));
  }
  // SIGKILL; returns the exit code (128 + SIGKILL when it was running).
  int Kill() {
    engaged_->process().Signal(SIGKILL);
    return engaged_->process().Wait(10000);
  }
  int Terminate() { return engaged_->Terminate(); }
  bool WaitReady() { return WaitUntilReady(*engaged_, port_, kReadyTimeoutMs); }
  double Metric(const std::string& name) const { return MetricValue(port_, name); }
  int port() const { return port_; }
  std::string log() const { return engaged_->log(); }

 private:
  const testutil::TempDir& dir_;
  std::string name_;
  int port_;
  std::string config_;
  int runs_ = 0;
  std::unique_ptr<Engaged> engaged_;
};

// (customer, segment, events_total) of one segment change.
using Change = std::tuple<std::string, std::string, int64_t>;

// MakeConfig's ladder: "active" at 3 events, "engaged" at 6.
std::set<Change> ExpectedChanges(const Produced& produced) {
  std::set<Change> expected;
  for (const auto& [id, n] : produced) {
    if (n >= 3) expected.emplace(id, "active", 3);
    if (n >= 6) expected.emplace(id, "engaged", 6);
  }
  return expected;
}

// What the segment-change topic held, read_committed.
struct OutputCheck {
  size_t records = 0;
  size_t repeated_ids = 0;  // records whose event_id an earlier record had
  std::string first_repeat;
  std::set<Change> changes;
};

OutputCheck ReadChanges(testutil::KafkaClient& kafka, const std::string& topic, size_t expected) {
  OutputCheck out;
  std::set<std::string> event_ids;
  // Settle for 5 s after the expected count, so that repeats have time to show.
  for (const auto& m : kafka.ConsumeAll(topic, expected, 60000, 5000)) {
    ++out.records;
    if (!event_ids.insert(JsonString(m.value, "event_id")).second && out.repeated_ids++ == 0) {
      out.first_repeat = m.value;
    }
    out.changes.emplace(m.key, JsonString(m.value, "segment"), JsonInt(m.value, "events_total"));
  }
  return out;
}

// The last changelog value of each customer (keys 'c' + id; "" is a tombstone), and
// how many records the changelog held.
struct Changelog {
  std::map<std::string, std::string> last;
  size_t records = 0;
  size_t meta = 0;   // "m" records
  size_t other = 0;  // keys of neither kind
};

Changelog ReadChangelog(testutil::KafkaClient& kafka, const std::string& topic, size_t customers) {
  Changelog log;
  // At least one record per customer; the settle time lets the rest arrive.
  for (const auto& m : kafka.ConsumeAll(topic, customers, 60000, 5000)) {
    ++log.records;
    if (!m.key.empty() && m.key[0] == 'c') {
      log.last[m.key.substr(1)] = m.value;
    } else if (m.key == "m") {
      ++log.meta;
    } else {
      ++log.other;
    }
  }
  return log;
}

// Customers whose last changelog value does not decode to their produced count.
std::vector<std::string> ChangelogMismatches(const Changelog& log, const Produced& produced) {
  std::vector<std::string> wrong;
  for (const auto& [id, n] : produced) {
    const auto it = log.last.find(id);
    if (it == log.last.end() || it->second.empty()) {
      wrong.push_back(id + ": no value");
      continue;
    }
    auto s = state::DecodeCustomer(it->second);
    if (!s.ok()) {
      wrong.push_back(id + ": " + s.status().ToString());
    } else if (s->events_total != n) {
      wrong.push_back(id + ": events_total " + std::to_string(s->events_total) + ", produced " +
                      std::to_string(n));
    }
  }
  return wrong;
}

std::string First(const std::set<Change>& changes) {
  if (changes.empty()) return "none";
  const auto& [id, segment, n] = *changes.begin();
  return id + " " + segment + " at " + std::to_string(n);
}

std::set<Change> Minus(const std::set<Change>& a, const std::set<Change>& b) {
  std::set<Change> d;
  for (const auto& c : a) {
    if (b.count(c) == 0) d.insert(c);
  }
  return d;
}

TEST(EosTest, ExactlyOnceAcrossKillsRestartsAndScaleIn) {
  const std::string bootstrap = testutil::KafkaClient::FixtureBootstrap();
  ASSERT_FALSE(bootstrap.empty()) << "no broker: run through ctest (the kafka fixture)";
  const Plan plan;
  testutil::KafkaClient kafka(bootstrap);
  const Topics topics = CreateTopics(kafka, "eos", kPartitions);
  const std::string changelog = topics.input + "-app-changelog";  // the default name
  testutil::TempDir dir;
  Instance a(dir, bootstrap, topics, "a");
  Instance b(dir, bootstrap, topics, "b");
  a.Start();
  b.Start();
  ASSERT_TRUE(a.WaitReady()) << a.log();
  ASSERT_TRUE(b.WaitReady()) << "both instances hold partitions\n" << b.log();

  Driver driver(bootstrap, topics.input, plan);
  const auto pause = std::chrono::milliseconds(plan.drive_ms() / (plan.kills + 2));
  for (int k = 0; k < plan.kills; ++k) {
    std::this_thread::sleep_for(pause);
    Instance& victim = k % 2 == 0 ? a : b;
    ASSERT_EQ(victim.Kill(), 128 + SIGKILL) << victim.log();
    victim.Start();
  }
  std::this_thread::sleep_for(pause);

  // Scale in: b goes for good, after it held partitions and saw no event twice.
  ASSERT_TRUE(WaitUntil([&] { return b.Metric("engaged_assigned_partitions") > 0; }, 60000))
      << b.log();
  EXPECT_EQ(b.Metric("engaged_events_duplicate_total"), 0) << "no event applied twice";
  ASSERT_EQ(b.Terminate(), 0) << b.log();
  const Produced& produced = driver.Join();

  ASSERT_TRUE(WaitUntil([&] { return a.Metric("engaged_assigned_partitions") == kPartitions; },
                        kTakeOverTimeoutMs))
      << "the survivor takes every partition\n"
      << a.log();
  ASSERT_TRUE(WaitForCounts(a.port(), produced, 120000 + plan.events / 2)) << a.log();
  EXPECT_EQ(a.Metric("engaged_events_duplicate_total"), 0) << "no event applied twice";
  ASSERT_EQ(a.Terminate(), 0) << a.log();
  const Restores taken_over = RestoresInLog(a.log());
  EXPECT_GT(taken_over.records, 0) << "the survivor restored b's partitions\n" << a.log();

  const std::set<Change> expected = ExpectedChanges(produced);
  const OutputCheck out = ReadChanges(kafka, topics.segment_changes, expected.size());
  // Read uncommitted too: the records of aborted transactions that read_committed hid.
  const size_t uncommitted =
      kafka.ConsumeAll(topics.segment_changes, expected.size(), 60000, 3000, false).size();
  EXPECT_EQ(out.repeated_ids, 0u) << "exactly once: no event id twice; first: " << out.first_repeat;
  EXPECT_EQ(out.records, expected.size());
  const auto unexpected = Minus(out.changes, expected);
  const auto missing = Minus(expected, out.changes);
  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " changes that should not exist, e.g. "
                                  << First(unexpected);
  EXPECT_TRUE(missing.empty()) << missing.size() << " changes missing, e.g. " << First(missing);

  const Changelog log = ReadChangelog(kafka, changelog, produced.size());
  const auto wrong = ChangelogMismatches(log, produced);
  EXPECT_TRUE(wrong.empty()) << wrong.size() << " customers wrong in the changelog, e.g. "
                             << (wrong.empty() ? "" : wrong.front());
  std::printf(
      "eos: %d events over %zu customers, 2 exactly_once instances, %d SIGKILLs and 1 "
      "scale-in (survivor restored %d partitions, %lld records); %zu customers counted "
      "exactly; %zu change records read_committed (%zu read_uncommitted), %zu repeated, for "
      "%zu expected changes; changelog %zu records (%zu meta, %zu other), last value wrong "
      "for %zu customers\n",
      plan.events, produced.size(), plan.kills, taken_over.partitions,
      static_cast<long long>(taken_over.records), produced.size(), out.records, uncommitted,
      out.repeated_ids, expected.size(), log.records, log.meta, log.other, wrong.size());
}

}  // namespace
}  // namespace integration
