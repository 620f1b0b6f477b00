// The commit protocol, with the store real and the sink faked.

#include "topologies/topology.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "state/customer_cache.h"
#include "tests/testutil/temp_dir.h"
#include "tests/topologies/process_record.h"
#include "tests/topologies/stored_timers.h"
#include "topologies/timer_days.h"

namespace topologies {
namespace {

class FakeSink final : public Sink {
 public:
  ops::Status Emit(OutputStream stream, std::string_view, std::string_view value,
                   std::span<const Header>) override {
    ++unflushed;
    switch (stream) {
      case OutputStream::kSegmentChanges:
        changes.emplace_back(value);
        break;
      case OutputStream::kChurnRisk:
        churn.emplace_back(value);
        break;
      case OutputStream::kDeadLetters:
        dead.emplace_back(value);
        break;
    }
    return ops::Status::Ok();
  }
  ops::Status Flush() override {
    if (fail_flush) return ops::Status::Unavailable("broker gone");
    unflushed = 0;
    return ops::Status::Ok();
  }
  std::vector<std::string> changes;
  std::vector<std::string> churn;
  std::vector<std::string> dead;
  bool fail_flush = false;
  int unflushed = 0;  // outputs emitted since the last successful flush
};

class TopologyTest : public testing::Test {
 protected:
  void SetUp() override {
    config_.segments = {{"active", 2}};
    Start();
  }

  // (Re)builds the topology over the same store, with the current config_.
  void Start() {
    topology_.reset();
    if (store_ == nullptr) {
      auto store = state::Store::Open({.dir = dir_.path().string()});
      ASSERT_TRUE(store.ok());
      store_ = std::move(store).value();
    }
    topology_ = std::make_unique<Topology>(&config_, store_.get(), &sink_, &probe_,
                                           [this] { return now_; });
    const state::TopicPartition tp{"in", state::Partition(0)};
    ASSERT_TRUE(topology_->OnAssigned(std::span(&tp, 1)).ok());
  }

  bool Stored(const std::string& customer) {
    auto c = store_->GetCustomer(state::Partition(0), customer);
    EXPECT_TRUE(c.ok());
    return c->has_value();
  }

  ops::Status Feed(int64_t offset, const std::string& value) {
    const InputRecord r{.topic = "in",
                        .partition = state::Partition(0),
                        .offset = state::Offset(offset),
                        .key = "k",
                        .value = value,
                        .timestamp = state::TimeMs(5)};
    return testutil::ProcessCommittingFirst(*topology_, r);
  }

  std::optional<state::Offset> StoredOffset() {
    auto o = store_->GetOffset({"in", state::Partition(0)});
    EXPECT_TRUE(o.ok());
    return *o;
  }

  testutil::TempDir dir_;
  Config config_;
  FakeSink sink_;
  TopologyProbe probe_;
  std::unique_ptr<state::Store> store_;
  std::unique_ptr<Topology> topology_;
  state::TimeMs now_{1710000000000};  // the wall clock the topology sees
};

std::string EventAt(const std::string& customer, int64_t ts_ms, const std::string& id = "") {
  return R"({"customer_id":")" + customer + R"(","type":"click","ts":)" + std::to_string(ts_ms) +
         (id.empty() ? "" : R"(,"event_id":")" + id + "\"") + "}";
}

constexpr char kEvent[] = R"({"customer_id":"a","type":"click","ts":1700000000})";

TEST_F(TopologyTest, CommitWritesStateAndTheNextOffset) {
  ASSERT_TRUE(Feed(10, kEvent).ok());
  ASSERT_TRUE(Feed(11, kEvent).ok());
  EXPECT_EQ(sink_.changes.size(), 1u);
  EXPECT_FALSE(StoredOffset().has_value()) << "nothing is durable before a commit";
  auto committed = topology_->Commit();
  ASSERT_TRUE(committed.ok());
  ASSERT_EQ(committed->size(), 1u);
  EXPECT_EQ(StoredOffset(), state::Offset(12));
  auto c = store_->GetCustomer(state::Partition(0), "a");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->events_total, 2);
  EXPECT_EQ((*c)->segment, "active");
}

TEST_F(TopologyTest, AFailedFlushCommitsNothing) {
  ASSERT_TRUE(Feed(0, kEvent).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  ASSERT_TRUE(Feed(1, kEvent).ok());
  sink_.fail_flush = true;
  auto committed = topology_->Commit();
  ASSERT_FALSE(committed.ok());
  EXPECT_EQ(committed.status().code(), ops::StatusCode::kUnavailable);
  EXPECT_EQ(StoredOffset(), state::Offset(1)) << "the offset stays at the last good commit";
  auto c = store_->GetCustomer(state::Partition(0), "a");
  EXPECT_EQ((*c)->events_total, 1);
}

// At-least-once, a lost partition commits nothing (another member may own it already):
// its work since its last commit is dropped, and a new assignment resumes it from there.
TEST_F(TopologyTest, ALostPartitionDropsItsWorkSinceItsLastCommit) {
  ASSERT_TRUE(Feed(0, kEvent).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  ASSERT_TRUE(Feed(1, kEvent).ok());
  const state::TopicPartition tp{"in", state::Partition(0)};
  ASSERT_TRUE(topology_->OnLost(std::span(&tp, 1)).ok());
  EXPECT_EQ(topology_->assigned_partitions(), 0);
  EXPECT_EQ(StoredOffset(), state::Offset(1)) << "the offset stays at the last commit";
  auto c = store_->GetCustomer(state::Partition(0), "a");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->events_total, 1);
  auto starts = topology_->OnAssigned(std::span(&tp, 1));
  ASSERT_TRUE(starts.ok());
  EXPECT_EQ((*starts)[0], state::Offset(1));
  ASSERT_TRUE(Feed(1, kEvent).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  c = store_->GetCustomer(state::Partition(0), "a");
  EXPECT_EQ((*c)->events_total, 2) << "counted once";
}

TEST_F(TopologyTest, BadInputIsDeadLetteredAndStillAdvancesTheOffset) {
  ASSERT_TRUE(Feed(0, "{oops").ok());
  ASSERT_EQ(sink_.dead.size(), 1u);
  EXPECT_EQ(
      topology_->counters().invalid[static_cast<size_t>(processors::InvalidReason::kInvalidJson)],
      1);
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_EQ(StoredOffset(), state::Offset(1));
}

TEST_F(TopologyTest, RevocationCommitsFirst) {
  ASSERT_TRUE(Feed(0, kEvent).ok());
  const state::TopicPartition tp{"in", state::Partition(0)};
  ASSERT_TRUE(topology_->OnRevoked(std::span(&tp, 1)).ok());
  EXPECT_EQ(StoredOffset(), state::Offset(1));
  EXPECT_EQ(topology_->assigned_partitions(), 0);
}

TEST_F(TopologyTest, AnAbandonedTopologyCommitsNothingOnRevocation) {
  ASSERT_TRUE(Feed(0, kEvent).ok());
  topology_->Abandon();
  const state::TopicPartition tp{"in", state::Partition(0)};
  ASSERT_TRUE(topology_->OnRevoked(std::span(&tp, 1)).ok());
  EXPECT_FALSE(StoredOffset().has_value());
}

TEST_F(TopologyTest, ADuplicateEventIdIsCountedOnce) {
  ASSERT_TRUE(Feed(0, EventAt("a", 1700000000000, "m-1")).ok());
  ASSERT_TRUE(Feed(1, EventAt("a", 1700000000500, "m-1")).ok());
  ASSERT_TRUE(Feed(2, EventAt("a", 1700000001000, "m-2")).ok());
  EXPECT_EQ(topology_->counters().events_valid, 2);
  EXPECT_EQ(topology_->counters().duplicates, 1);
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_EQ((*store_->GetCustomer(state::Partition(0), "a"))->events_total, 2);
}

constexpr int64_t kDay = state::kMsPerDay;

TEST_F(TopologyTest, StreamTimeExpiresCustomersPastTheRetention) {
  config_.state.retention_ms = 2 * kDay;
  config_.processing.idle_timer_ms = 0;
  Start();
  const int64_t t0 = 1700000000000;
  ASSERT_TRUE(Feed(0, EventAt("old", t0)).ok());
  ASSERT_TRUE(Feed(1, EventAt("kept", t0 + 2 * kDay)).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_TRUE(Stored("old")) << "stream time has not passed old's expiry day yet";
  ASSERT_TRUE(Feed(2, EventAt("kept", t0 + 4 * kDay)).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_FALSE(Stored("old"));
  EXPECT_TRUE(Stored("kept")) << "kept's first timer is stale: it was seen again";
  EXPECT_EQ(topology_->counters().expired_customers, 1);
  // An expired customer that comes back starts afresh.
  ASSERT_TRUE(Feed(3, EventAt("old", t0 + 4 * kDay)).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_EQ((*store_->GetCustomer(state::Partition(0), "old"))->events_total, 1);
}

TEST_F(TopologyTest, AnIdlePartitionFiresTimersByTheWallClockOnlyWhenConfigured) {
  config_.state.retention_ms = kDay;
  const int64_t t0 = 1700000000000;
  for (const int64_t idle_ms : {int64_t{0}, int64_t{60000}}) {
    config_.processing.idle_timer_ms = idle_ms;
    now_ = state::TimeMs(t0);
    Start();
    ASSERT_TRUE(Feed(0, EventAt("quiet", t0)).ok());
    ASSERT_TRUE(topology_->Commit().ok());
    now_ = state::TimeMs(t0 + 3 * kDay);  // no record arrives meanwhile
    ASSERT_TRUE(topology_->Commit().ok());
    EXPECT_EQ(Stored("quiet"), idle_ms == 0) << "idle_timer_ms=" << idle_ms;
  }
}

TEST_F(TopologyTest, TheWriteBackCacheStaysWithinItsBudget) {
  config_.state.memory_budget_bytes = int64_t{16} << 20;
  config_.state.cache_share = 0.01;  // about 168 KB for the cache
  Start();
  const auto budget = static_cast<uint64_t>(0.01 * (16 << 20));
  int commits = 0;
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(Feed(i, EventAt("c" + std::to_string(i), 1700000000000 + i)).ok());
    if (topology_->NeedsCommit()) {
      ASSERT_TRUE(topology_->Commit().ok());
      ++commits;
      EXPECT_LE(topology_->cache_counters().bytes.load(), budget);
    }
  }
  EXPECT_GT(commits, 5) << "dirty bytes beyond half the budget ask for a commit";
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_LE(topology_->cache_counters().bytes.load(), budget);
  EXPECT_TRUE(Stored("c0"));
  EXPECT_TRUE(Stored("c4999"));
}

// Segments about silence: only the daily wake timers can move a customer into `quiet`.
std::vector<processors::SegmentDefinition> SilenceSegments() {
  return {
      {.name = "quiet", .enter = "days_since(last_seen) >= 3", .exit = "days_since(last_seen) < 1"},
      {.name = "active", .enter = "events_total >= 1"}};
}

bool Mentions(const std::vector<std::string>& outputs, const std::string& text) {
  return std::any_of(outputs.begin(), outputs.end(),
                     [&](const std::string& o) { return o.find(text) != std::string::npos; });
}

// 2023-11-14T22:13:20Z; the wake timers of a customer last seen then are due at the
// following UTC midnights, from 2023-11-15T00:00Z.
constexpr int64_t kT0 = 1700000000000;

TEST_F(TopologyTest, ASilentCustomerMovesByStoredTimersAfterARestart) {
  config_.segments = SilenceSegments();
  config_.processing.idle_timer_ms = 0;
  Start();
  ASSERT_TRUE(Feed(0, EventAt("silent", kT0)).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  ASSERT_EQ(sink_.changes.size(), 1u);  // none -> active
  Start();                              // a restart: the timer is only in the store now
  // Another customer's event moves stream time five days on; silent's wakes fire in
  // due order before it, and the one at the midnight after three days moves silent.
  ASSERT_TRUE(Feed(1, EventAt("other", kT0 + 5 * kDay)).ok());
  ASSERT_EQ(sink_.changes.size(), 3u);
  EXPECT_NE(sink_.changes[1].find(R"("customer_id":"silent","previous_segment":"active",)"
                                  R"("segment":"quiet","changed_at":"2023-11-18T00:00:00.000Z")"),
            std::string::npos)
      << sink_.changes[1];
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_EQ((*store_->GetCustomer(state::Partition(0), "silent"))->segment, "quiet");
  // Fired timers are deleted: a second restart and more stream time repeat nothing.
  Start();
  ASSERT_TRUE(Feed(2, EventAt("other", kT0 + 6 * kDay)).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_EQ(sink_.changes.size(), 3u);
}

TEST_F(TopologyTest, AnEventCancelsTheWakesScheduledBeforeIt) {
  config_.segments = SilenceSegments();
  config_.processing.idle_timer_ms = 0;
  Start();
  for (int day = 0; day < 10; ++day) {  // active every second day: never 3 days silent
    ASSERT_TRUE(Feed(day, EventAt("regular", kT0 + day * 2 * kDay)).ok());
    if (day % 3 == 0) {
      ASSERT_TRUE(topology_->Commit().ok());
    }
  }
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_FALSE(Mentions(sink_.changes, R"("segment":"quiet")"));
  EXPECT_GT(topology_->counters().timers_fired, 0);
}

// A customer active every day holds its next midnight's wake twice: once from the wake
// at the midnight before, once from its event that day (the heap keeps both; a commit
// stores them as one key). Each midnight wakes it once.
TEST_F(TopologyTest, AWakeHeldTwiceFiresOnce) {
  config_.segments = SilenceSegments();
  config_.processing.idle_timer_ms = 0;
  Start();
  for (int day = 0; day < 6; ++day) {
    ASSERT_TRUE(Feed(day, EventAt("daily", kT0 + day * kDay)).ok());
    if (day == 2) {
      ASSERT_TRUE(topology_->Commit().ok());
    }
  }
  // The midnights of 2023-11-15 to 2023-11-19, before the last event.
  EXPECT_EQ(topology_->counters().timers_fired, 5);
  EXPECT_FALSE(Mentions(sink_.changes, R"("segment":"quiet")"));
}

TEST_F(TopologyTest, TheSilenceHorizonEndsTheDailyWakes) {
  config_.segments = SilenceSegments();
  config_.processing.idle_timer_ms = 0;
  config_.state.retention_ms = 0;
  config_.processing.silence_horizon_ms = 2 * kDay;  // shorter than quiet's 3 days
  Start();
  ASSERT_TRUE(Feed(0, EventAt("silent", kT0)).ok());
  ASSERT_TRUE(Feed(1, EventAt("other", kT0 + 30 * kDay)).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_FALSE(Mentions(sink_.changes, R"("segment":"quiet")"));
  // silent: the wakes at +1 and +2 midnights; other: none due yet.
  EXPECT_EQ(topology_->counters().timers_fired, 2);
}

TEST_F(TopologyTest, AnIdlePartitionMovesSilentCustomersByTheWallClock) {
  config_.segments = SilenceSegments();
  config_.processing.idle_timer_ms = 60000;
  now_ = state::TimeMs(kT0);
  Start();
  ASSERT_TRUE(Feed(0, EventAt("silent", kT0)).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_FALSE(Mentions(sink_.changes, R"("segment":"quiet")"));
  now_ = state::TimeMs(kT0 + 4 * kDay);  // no record arrives meanwhile
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_TRUE(
      Mentions(sink_.changes, R"("segment":"quiet","changed_at":"2023-11-18T00:00:00.000Z")"));
}

using testutil::StoredTimersAt;

// More customers than a task holds pending timers for, all seen at kT0, and the
// record at kT0 + 1 day that makes their wakes at the next midnight fire.
class MassWakeTest : public TopologyTest {
 protected:
  static constexpr int64_t kMaxHeld = static_cast<int64_t>(kMaxPendingTimers);
  const state::TimeMs first_wake_ = timer_days::MidnightAfter(state::TimeMs(kT0));
  const state::TimeMs second_wake_{first_wake_.value() + kDay};

  virtual int64_t Customers() const { return kMaxHeld + 1000; }

  void SetUp() override {
    customers_ = Customers();
    config_.segments = SilenceSegments();
    config_.processing.idle_timer_ms = 0;
    Start();
    for (int64_t c = 0; c < customers_; ++c) {
      ASSERT_TRUE(Feed(c, EventAt("c" + std::to_string(c), kT0)).ok());
    }
    ASSERT_TRUE(topology_->Commit().ok());
    ASSERT_EQ(StoredTimersAt(*store_, first_wake_), customers_);
    Start();  // counters from here on (the events above held a timer each)
  }

  int64_t customers_ = 0;
};

TEST_F(MassWakeTest, AMidnightThatWakesManyCustomersWritesTheirNextWakesBeforeTheCommit) {
  ASSERT_TRUE(Feed(customers_, EventAt("other", kT0 + kDay)).ok());
  EXPECT_EQ(topology_->counters().timers_fired, customers_);
  // Without the spill, every next-day wake would wait in memory for the commit.
  EXPECT_LE(topology_->counters().timers_held_peak, kMaxHeld);
  EXPECT_GE(topology_->counters().timers_spilled, kMaxHeld);
  EXPECT_GE(StoredTimersAt(*store_, second_wake_), kMaxHeld);
  ASSERT_TRUE(topology_->Commit().ok());
  // Spilled or committed, each customer (and other) wakes once at the next midnight.
  EXPECT_EQ(StoredTimersAt(*store_, second_wake_), customers_ + 1);
  ASSERT_TRUE(Feed(customers_ + 1, EventAt("other", kT0 + 2 * kDay)).ok());
  EXPECT_EQ(topology_->counters().timers_fired, 2 * customers_ + 1);
}

TEST_F(MassWakeTest, ARestartAfterASpillWithoutItsCommitWakesEachCustomerOnce) {
  ASSERT_TRUE(Feed(customers_, EventAt("other", kT0 + kDay)).ok());
  ASSERT_GE(topology_->counters().timers_spilled, kMaxHeld);
  Start();  // as after kill -9: the spilled wakes are in the store, the commit is not
  ASSERT_TRUE(Feed(customers_, EventAt("other", kT0 + kDay)).ok());
  EXPECT_EQ(topology_->counters().timers_fired, customers_) << "the first midnight fires again";
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_EQ(StoredTimersAt(*store_, second_wake_), customers_ + 1);
  ASSERT_TRUE(Feed(customers_ + 1, EventAt("other", kT0 + 2 * kDay)).ok());
  EXPECT_EQ(topology_->counters().timers_fired, 2 * customers_ + 1);
}

// Twice as many customers as a task holds timers for: a task holds fewer than twice
// kMaxPendingTimers (the wakes of the midnight being fired that the spill must leave,
// as they fire in the same pass, plus kMaxPendingTimers more).
class LargeMassWakeTest : public MassWakeTest {
 protected:
  int64_t Customers() const override { return 2 * kMaxHeld + 1000; }
};

TEST_F(LargeMassWakeTest, StreamTimeMovingOverSeveralMidnightsHoldsBoundedTimers) {
  // Three midnights in one move: each day's wakes schedule the next day's, which fire
  // in the same move, one midnight at a time.
  ASSERT_TRUE(Feed(customers_, EventAt("other", kT0 + 3 * kDay)).ok());
  EXPECT_EQ(topology_->counters().timers_fired, 3 * customers_);
  EXPECT_LT(topology_->counters().timers_held_peak, 2 * kMaxHeld);
  ASSERT_TRUE(topology_->Commit().ok());
  const state::TimeMs fourth_wake(second_wake_.value() + 2 * kDay);
  EXPECT_EQ(StoredTimersAt(*store_, second_wake_), 0) << "fired and deleted";
  EXPECT_EQ(StoredTimersAt(*store_, fourth_wake), customers_ + 1);
}

// Customers that one midnight's wakes all move, more of them than the write-back
// cache holds, with their wakes at that midnight in the store, and the record after
// that midnight. The ladder is such that evaluating a moved customer again at the same
// time moves it back: "quiet" ends at once when its dwell is under a day.
class WakeCommitTest : public TopologyTest {
 protected:
  static constexpr int64_t kCustomers = 2000;
  // The first midnight after kT0 wakes each customer to no change; the next moves them.
  const state::TimeMs first_midnight_ = timer_days::MidnightAfter(state::TimeMs(kT0));
  const state::TimeMs moving_midnight_{first_midnight_.value() + kDay};

  void SetUp() override {
    config_.segments = {
        {.name = "quiet", .enter = "days_since(last_seen) >= 1", .exit = "days_in_segment < 1"},
        {.name = "active", .enter = "events_total >= 1"}};
    config_.processing.idle_timer_ms = 0;
    config_.state.memory_budget_bytes = int64_t{1} << 20;
    Start();
    for (int64_t c = 0; c < kCustomers; ++c) {
      ASSERT_TRUE(Feed(c, EventAt(Id(c), kT0)).ok());
      if (topology_->NeedsCommit()) {
        ASSERT_TRUE(topology_->Commit().ok());
      }
    }
    // "tick" passes the first midnight; the commit stores the wakes it schedules.
    ASSERT_TRUE(Feed(kCustomers, EventAt("tick", first_midnight_.value() + 60'000)).ok());
    ASSERT_TRUE(topology_->Commit().ok());
    ASSERT_EQ(StoredTimersAt(*store_, moving_midnight_), kCustomers + 1);
    sink_.changes.clear();
    Start();
  }

  static std::string Id(int64_t c) { return "c" + std::to_string(c); }

  // The record whose stream time passes moving_midnight_.
  InputRecord After(const std::string& value) const {
    return {.topic = "in",
            .partition = state::Partition(0),
            .offset = state::Offset(kCustomers + 1),
            .key = "k",
            .value = value,
            .timestamp = state::TimeMs(5)};
  }

  int64_t QuietCustomers() {
    int64_t n = 0;
    for (int64_t c = 0; c < kCustomers; ++c) {
      auto s = store_->GetCustomer(state::Partition(0), Id(c));
      EXPECT_TRUE(s.ok() && s->has_value());
      if (s.ok() && s->has_value() && (*s)->segment == "quiet" &&
          (*s)->segment_entered_at == moving_midnight_) {
        ++n;
      }
    }
    return n;
  }
};

TEST_F(WakeCommitTest, AMidnightThatChangesMoreCustomersThanTheCacheHoldsCommitsInTheMiddle) {
  // The most changed customers the cache's half for dirty entries holds, give or take one.
  auto stored = store_->GetCustomer(state::Partition(0), Id(0));
  ASSERT_TRUE(stored.ok() && stored->has_value());
  const size_t entry = state::CustomerCache::EstimateBytes(Id(0), **stored);
  const size_t per_commit = CacheMemoryBytes(config_.state) / 2 / entry + 1;
  ASSERT_LT(per_commit * 4, static_cast<size_t>(kCustomers));
  const std::string value = EventAt("other", moving_midnight_.value() + 60'000);
  std::vector<size_t> moved_between_commits;
  for (;;) {
    const size_t before = sink_.changes.size();
    auto processed = topology_->Process(After(value));
    ASSERT_TRUE(processed.ok()) << processed.status().ToString();
    moved_between_commits.push_back(sink_.changes.size() - before);
    if (*processed == Processed::kDone) break;
    ASSERT_TRUE(topology_->NeedsCommit());
    ASSERT_TRUE(topology_->Commit(StoreWrite::kBackground).ok());
  }
  EXPECT_GE(moved_between_commits.size(), 4u);
  for (const size_t moved : moved_between_commits) EXPECT_LE(moved, per_commit + 1);
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_EQ(topology_->counters().timers_fired, kCustomers + 1) << "each woken once, and tick";
  EXPECT_EQ(std::count_if(sink_.changes.begin(), sink_.changes.end(),
                          [](const std::string& c) {
                            return c.find(R"("segment":"quiet")") != std::string::npos;
                          }),
            kCustomers);
  EXPECT_EQ(QuietCustomers(), kCustomers);
  EXPECT_EQ(StoredOffset(), state::Offset(kCustomers + 2)) << "the record itself, once";
  auto other = store_->GetCustomer(state::Partition(0), "other");
  ASSERT_TRUE(other.ok() && other->has_value());
  EXPECT_EQ((*other)->events_total, 1);
  auto members = store_->GetMemberCounts(state::Partition(0));
  ASSERT_TRUE(members.ok());
  EXPECT_EQ((*members)["segment:quiet"], kCustomers);
  EXPECT_EQ((*members)["segment:active"], 2) << "tick and other";
}

TEST_F(WakeCommitTest, ARestartAfterACommitInTheMiddleOfAMidnightMovesEachCustomerOnce) {
  const std::string value = EventAt("other", moving_midnight_.value() + 60'000);
  auto processed = topology_->Process(After(value));
  ASSERT_TRUE(processed.ok());
  ASSERT_EQ(*processed, Processed::kCommitFirst);
  ASSERT_TRUE(topology_->Commit().ok());
  const size_t moved_before_crash = sink_.changes.size();
  ASSERT_GT(moved_before_crash, 0u);
  // The next part of the pass, then a crash before its commit.
  processed = topology_->Process(After(value));
  ASSERT_TRUE(processed.ok());
  ASSERT_EQ(*processed, Processed::kCommitFirst);
  sink_.changes.resize(moved_before_crash);  // outputs of the lost commit, never flushed
  Start();
  ASSERT_TRUE(Feed(kCustomers + 1, value).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_EQ(topology_->counters().timers_fired, kCustomers + 1) << "the whole midnight again";
  // The customers the first commit moved are woken again at the same time, and do not
  // move twice (out of "quiet", whose dwell is under a day then).
  for (const std::string& c : sink_.changes) {
    EXPECT_EQ(c.find(R"("previous_segment":"quiet")"), std::string::npos) << c;
  }
  EXPECT_EQ(sink_.changes.size(), static_cast<size_t>(kCustomers) + 1) << "+ other's";
  EXPECT_EQ(QuietCustomers(), kCustomers);
  auto members = store_->GetMemberCounts(state::Partition(0));
  ASSERT_TRUE(members.ok());
  EXPECT_EQ((*members)["segment:quiet"], kCustomers);
}

// An idle partition's midnight, fired by the wall clock at commits, stops for a commit
// too; the next record waits until it has finished, though its event time is before
// that midnight: no event is applied in the middle of a pass (the record's wake at
// that midnight, its customer sorting before where the pass stopped, would otherwise
// go to the store behind the pass), and the pass does not wait for the partition to
// be idle again.
TEST_F(WakeCommitTest, AWallClockMidnightStoppedForACommitFinishesBeforeTheNextRecord) {
  config_.processing.idle_timer_ms = 1000;
  now_ = state::TimeMs(moving_midnight_.value() + 3'600'000);
  Start();
  now_ = state::TimeMs(now_.value() + 2000);  // idle now
  ASSERT_TRUE(topology_->Commit().ok());
  ASSERT_TRUE(topology_->Commit().ok());
  const size_t moved = sink_.changes.size();
  ASSERT_GT(moved, 0u);
  ASSERT_LT(moved, static_cast<size_t>(kCustomers)) << "the midnight is not over";
  // Before the midnight in event time: it does not move stream time past it.
  ASSERT_TRUE(
      Feed(kCustomers + 1, EventAt("a-newcomer", first_midnight_.value() + 3'600'000)).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_EQ(sink_.changes.size(), static_cast<size_t>(kCustomers) + 1) << "+ a-newcomer's";
  EXPECT_EQ(QuietCustomers(), kCustomers);
  // Every customer's next wake, a-newcomer's too (its first, at the midnight, fired).
  EXPECT_EQ(StoredTimersAt(*store_, state::TimeMs(moving_midnight_.value() + kDay)),
            kCustomers + 2);
}

// The wake of a late event, at a midnight already fired through, evaluates its customer
// even when that midnight's wake changed it: only a wake in a pass that moves the
// fired-through time can be a repetition of one already committed.
TEST_F(TopologyTest, ALateEventsWakeAtAMidnightThatChangedItsCustomerStillEvaluates) {
  config_.segments = {
      {.name = "back", .enter = "days_in_segment >= 0 and events_total >= 2"},
      {.name = "quiet", .enter = "days_since(last_seen) >= 1", .exit = "events_total >= 100"},
      {.name = "active", .enter = "events_total >= 1"}};
  config_.processing.idle_timer_ms = 0;
  config_.processing.allowed_lateness_ms = kDay;
  Start();
  const int64_t second_midnight = timer_days::MidnightAfter(state::TimeMs(kT0)).value() + kDay;
  ASSERT_TRUE(Feed(0, EventAt("x", kT0)).ok());
  ASSERT_TRUE(Feed(1, EventAt("other", second_midnight + 60'000)).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  ASSERT_TRUE(Mentions(sink_.changes,
                       R"("customer_id":"x","previous_segment":"active",)"
                       R"("segment":"quiet","changed_at":"2023-11-16T00:00:00.000Z")"));
  // An hour before that midnight: x stays quiet (entered after the event's time), and
  // the event schedules x's wake at the midnight, already fired through.
  ASSERT_TRUE(Feed(2, EventAt("x", second_midnight - 3'600'000)).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_TRUE(Mentions(sink_.changes,
                       R"("customer_id":"x","previous_segment":"quiet",)"
                       R"("segment":"back","changed_at":"2023-11-16T00:00:00.000Z")"));
}

TEST_F(TopologyTest, WakesOfLateEventsBeforeTheFiredMidnightAreHeldNotWritten) {
  // Late events of many new customers, three midnights behind stream time: their
  // wakes, and the next ones those schedule, are all due at or before the midnight
  // already fired through. Written to the store, a commit's range tombstone would
  // delete them unfired; held, each fires.
  config_.segments = SilenceSegments();
  config_.processing.idle_timer_ms = 0;
  config_.processing.allowed_lateness_ms = 4 * kDay;
  Start();
  ASSERT_TRUE(Feed(0, EventAt("other", kT0 + 3 * kDay)).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  const int64_t customers = static_cast<int64_t>(kMaxPendingTimers) + 1000;
  for (int64_t c = 0; c < customers; ++c) {
    ASSERT_TRUE(Feed(1 + c, EventAt("late" + std::to_string(c), kT0)).ok());
  }
  ASSERT_TRUE(topology_->Commit().ok());  // fires the three midnights of each late customer
  EXPECT_EQ(topology_->counters().timers_fired, 3 * customers);
  EXPECT_EQ(topology_->counters().timers_spilled, 0);
  const state::TimeMs fourth_wake(timer_days::MidnightAfter(state::TimeMs(kT0)).value() + 3 * kDay);
  EXPECT_EQ(StoredTimersAt(*store_, fourth_wake), customers + 1);
}

TEST_F(TopologyTest, AnExpiredCustomerWhoReturnsBeforeTheCommitStartsAfresh) {
  config_.state.retention_ms = 2 * kDay;
  config_.processing.idle_timer_ms = 0;
  Start();
  ASSERT_TRUE(Feed(0, EventAt("back", kT0)).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  // One record past back's expiry day, then back's own, with no commit in between.
  ASSERT_TRUE(Feed(1, EventAt("other", kT0 + 4 * kDay)).ok());
  ASSERT_TRUE(Feed(2, EventAt("back", kT0 + 4 * kDay)).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  auto stored = store_->GetCustomer(state::Partition(0), "back");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->events_total, 1) << "the expired state must not come back";
  EXPECT_EQ(topology_->counters().expired_customers, 1);
}

TEST_F(TopologyTest, MemberCountsFollowTheCommittedSegmentsAndSurviveARestart) {
  config_.segments = SilenceSegments();
  config_.processing.idle_timer_ms = 0;
  config_.state.retention_ms = 10 * kDay;
  Start();
  ASSERT_TRUE(Feed(0, EventAt("a", kT0)).ok());
  ASSERT_TRUE(Feed(1, EventAt("b", kT0)).ok());
  ASSERT_TRUE(Feed(2, EventAt("c", kT0)).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_EQ(*store_->GetMemberCounts(state::Partition(0)),
            (state::MemberCounts{{"segment:active", 3}}));
  ASSERT_TRUE(Feed(3, EventAt("c", kT0 + 4 * kDay)).ok());  // a and b go quiet first
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_EQ(*store_->GetMemberCounts(state::Partition(0)),
            (state::MemberCounts{{"segment:active", 1}, {"segment:quiet", 2}}));
  Start();
  ASSERT_TRUE(Feed(4, EventAt("c", kT0 + 12 * kDay)).ok());  // a and b expire
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_EQ(*store_->GetMemberCounts(state::Partition(0)),
            (state::MemberCounts{{"segment:active", 1}}));
  EXPECT_EQ(topology_->counters().expired_customers, 2);
}

TEST_F(TopologyTest, SegmentAudienceFormatWritesExitedThenEnteredTrackEvents) {
  config_.segments = SilenceSegments();
  config_.processing.idle_timer_ms = 0;
  config_.output.segment_changes_format = SegmentChangeFormat::kSegmentAudience;
  Start();
  ASSERT_TRUE(Feed(0, EventAt("a", kT0)).ok());
  ASSERT_EQ(sink_.changes.size(), 1u);  // none -> active: nothing to exit
  EXPECT_NE(sink_.changes[0].find(R"("event":"Audience Entered","userId":"a")"), std::string::npos)
      << sink_.changes[0];
  ASSERT_TRUE(Feed(1, EventAt("b", kT0 + 4 * kDay)).ok());  // a: active -> quiet
  ASSERT_EQ(sink_.changes.size(), 4u);                      // a's exit and entry, b's entry
  EXPECT_NE(sink_.changes[1].find(R"("event":"Audience Exited","userId":"a")"), std::string::npos);
  EXPECT_NE(sink_.changes[1].find(R"("audience_key":"active","next_audience_key":"quiet")"),
            std::string::npos)
      << sink_.changes[1];
  EXPECT_NE(sink_.changes[2].find(R"("event":"Audience Entered","userId":"a")"), std::string::npos);
  EXPECT_NE(sink_.changes[2].find(R"("timestamp":"2023-11-18T00:00:00.000Z")"), std::string::npos)
      << sink_.changes[2];
}

TEST_F(TopologyTest, ANewlyAssignedPartitionIsNotIdleBeforeItsFirstRecord) {
  // Historical events on a fresh assignment: the wall clock is far ahead of them, but
  // the partition has only just been assigned, so its timers go by stream time.
  config_.segments = SilenceSegments();
  config_.state.retention_ms = 2 * kDay;
  config_.processing.idle_timer_ms = 60000;
  now_ = state::TimeMs(kT0 + 1000 * kDay);
  Start();
  ASSERT_TRUE(topology_->Commit().ok());  // before any record
  ASSERT_TRUE(Feed(0, EventAt("old", kT0)).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_TRUE(Stored("old"));
  EXPECT_EQ(topology_->counters().expired_customers, 0);
}

}  // namespace
}  // namespace topologies
