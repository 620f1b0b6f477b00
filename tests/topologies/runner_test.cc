// The poll loop under exactly-once aborts: an aborted commit rewinds the input to the
// last commit and processing goes on to the same result; a commit that keeps aborting
// stops the loop with an error instead of spinning forever.

#include "topologies/runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "tests/testutil/temp_dir.h"

namespace topologies {
namespace {

// Records of topic "in", from a list: record i is in partition i % `partitions`, at
// offset i / `partitions`. Seeks (one partition only) move the read position.
class ListSource final : public Source {
 public:
  explicit ListSource(std::vector<std::string> values, int partitions = 1)
      : values_(std::move(values)), partitions_(partitions) {}
  void SetListener(PartitionListener* listener) override { listener_ = listener; }
  ops::Result<PollStatus> Poll(int) override {
    if (!assigned_) {
      assigned_ = true;
      std::vector<state::TopicPartition> tps;
      for (int p = 0; p < partitions_; ++p) tps.push_back({"in", state::Partition(p)});
      auto starts = listener_->OnAssigned(tps);
      if (!starts.ok()) return starts.status();
      if (partitions_ == 1) next_ = (*starts)[0] ? static_cast<size_t>((*starts)[0]->value()) : 0;
    }
    if (lost_) {
      // librdkafka hands the loss to the rebalance callback at a poll after it knew.
      lost_ = false;
      std::vector<state::TopicPartition> tps;
      for (int p = 0; p < partitions_; ++p) tps.push_back({"in", state::Partition(p)});
      ENGAGED_RETURN_IF_ERROR(listener_->OnLost(tps));
      return PollStatus::kEnd;
    }
    if (next_ == lose_at_) {
      lost_ = true;
      lost_at_commit = static_cast<int>(committed_partitions.size());
    }
    if (next_ == stall_at_) *stall_clock_ += stall_ms_;
    if (next_ == revoke_at_ && revoked_ < 0) {
      // The group takes partition 1 away (another member owns it now); its records are
      // not polled any more.
      revoked_ = 1;
      const state::TopicPartition tp{"in", state::Partition(revoked_)};
      ENGAGED_RETURN_IF_ERROR(listener_->OnRevoked({&tp, 1}));
      revoked_at_commit = static_cast<int>(committed_partitions.size());
    }
    while (next_ < values_.size() && static_cast<int>(next_ % partitions_) == revoked_) ++next_;
    if (next_ >= values_.size()) return PollStatus::kEnd;
    if (next_ == stop_at_ && stop_ != nullptr) stop_->store(true);
    record_ = {.topic = "in",
               .partition = state::Partition(static_cast<int32_t>(next_ % partitions_)),
               .offset = state::Offset(static_cast<int64_t>(next_ / partitions_)),
               .key = "",
               .value = values_[next_],
               .timestamp = state::TimeMs(-1)};
    ++next_;
    return PollStatus::kRecord;
  }
  const InputRecord& record() const override { return record_; }
  void OnCommitted(
      std::span<const std::pair<state::TopicPartition, state::Offset>> offsets) override {
    ++group_commits;
    std::set<int> partitions;
    for (const auto& [tp, offset] : offsets) {
      partitions.insert(tp.partition.value());
      group_offsets[tp.partition.value()] = offset.value();
    }
    committed_partitions.push_back(partitions);
  }
  ops::Status Seek(
      std::span<const std::pair<state::TopicPartition, state::Offset>> offsets) override {
    for (const auto& [tp, offset] : offsets) {
      next_ = offset == kOffsetBeginning ? 0 : static_cast<size_t>(offset.value());
    }
    ++seeks;
    return ops::Status::Ok();
  }
  ops::Status Close() override { return ops::Status::Ok(); }
  bool AssignmentLost() const override { return lost_; }
  GroupTimeouts group_timeouts() const override { return timeouts; }
  // The process stops for `ms` (moves `clock` on) just after the record of index `at`
  // is handed out.
  void StallAt(size_t at, int64_t* clock, int64_t ms) {
    stall_at_ = at;
    stall_clock_ = clock;
    stall_ms_ = ms;
  }
  GroupTimeouts timeouts;  // none by default: stalls are not looked for
  // The group takes every partition away (a session timeout) as the record of index
  // `at` is handed out: AssignmentLost() from then on, OnLost at the next poll, which
  // ends the input.
  void LoseAt(size_t at) { lose_at_ = at; }
  // Before polling the record of index `at`, revokes partition 1.
  void RevokeBefore(size_t at) { revoke_at_ = at; }
  // Sets `stop` (as SIGTERM does) when it hands out the record of index `at`.
  void StopAt(size_t at, std::atomic<bool>* stop) {
    stop_at_ = at;
    stop_ = stop;
  }
  int seeks = 0;
  int group_commits = 0;                            // OnCommitted calls
  int revoked_at_commit = -1;                       // OnCommitted calls before the revocation
  int lost_at_commit = -1;                          // OnCommitted calls before the loss
  std::map<int, int64_t> group_offsets;             // the last committed, by partition
  std::vector<std::set<int>> committed_partitions;  // of each OnCommitted call

 private:
  std::vector<std::string> values_;
  int partitions_;
  PartitionListener* listener_ = nullptr;
  bool assigned_ = false;
  size_t revoke_at_ = SIZE_MAX;
  size_t lose_at_ = SIZE_MAX;
  size_t stall_at_ = SIZE_MAX;
  int64_t* stall_clock_ = nullptr;
  int64_t stall_ms_ = 0;
  bool lost_ = false;
  size_t stop_at_ = SIZE_MAX;
  std::atomic<bool>* stop_ = nullptr;
  int revoked_ = -1;  // the partition revoked, if any
  size_t next_ = 0;
  InputRecord record_;
};

// A sink whose commits abort `aborts` times, then succeed; transactional unless told.
class AbortingSink final : public Sink {
 public:
  explicit AbortingSink(int aborts, bool transactional = true)
      : aborts_(aborts), transactional_(transactional) {}
  ops::Status Emit(OutputStream, std::string_view, std::string_view value,
                   std::span<const Header>) override {
    pending_.emplace_back(value);
    return ops::Status::Ok();
  }
  ops::Status Flush() override { return ops::Status::Ok(); }
  ops::Result<ChangelogSpans> Commit(
      std::span<const std::pair<state::TopicPartition, state::Offset>> consumed) override {
    std::set<int> partitions;
    for (const auto& [tp, offset] : consumed) partitions.insert(tp.partition.value());
    commit_partitions.push_back(partitions);
    const bool abort_this = !abort_containing.empty() &&
                            std::any_of(pending_.begin(), pending_.end(),
                                        [&](const std::string& o) {
                                          return o.find(abort_containing) != std::string::npos;
                                        }) &&
                            --abort_at_nth == 0;
    if (aborts_ != 0 || abort_this) {
      if (abort_this) abort_containing.clear();
      if (aborts_ > 0) --aborts_;
      pending_.clear();
      return ops::Status::Aborted("test: aborted");
    }
    committed.insert(committed.end(), pending_.begin(), pending_.end());
    commits.push_back(std::move(pending_));
    pending_.clear();
    return ChangelogSpans();
  }
  bool transactional() const override { return transactional_; }
  ops::Status EmitChangelog(state::Partition, std::string_view,
                            std::optional<std::string_view>) override {
    return with_changelog ? ops::Status::Ok() : Sink::EmitChangelog({}, {}, {});
  }
  bool changelog() const override { return with_changelog; }
  // Accepts changelog records (and drops them): commits then write the store in the
  // background (StoreWrite::kBackground).
  bool with_changelog = false;
  std::vector<std::string> committed;
  std::vector<std::set<int>> commit_partitions;   // of each commit
  std::vector<std::vector<std::string>> commits;  // the outputs of each successful commit
  // Aborts, once, the abort_at_nth commit with an output that contains this.
  std::string abort_containing;
  int abort_at_nth = 1;

 private:
  int aborts_;
  bool transactional_;
  std::vector<std::string> pending_;
};

std::vector<std::string> Events() {
  std::vector<std::string> out;
  for (int i = 0; i < 40; ++i) {
    out.push_back(R"({"customer_id":"u)" + std::to_string(i % 4) + R"(","type":"click","ts":)" +
                  std::to_string(1700000000000LL + i) + "}");
  }
  return out;
}

class RunnerTest : public testing::Test {
 protected:
  RunnerTest() {
    config_.segments = {{.name = "active", .min_events = 3}};
    config_.processing.commit_interval_ms = 1;
  }

  // Runs the loop over the source with a sink that aborts `aborts` commits. Each store
  // write of a commit takes `write_delay_ms` more (background writes then overlap the
  // records that follow, when the sink has a changelog).
  ops::Status RunWith(AbortingSink* sink, ListSource* source, int write_delay_ms = 0) {
    auto store = state::Store::Open({.dir = StoreDir(runs_++)});
    EXPECT_TRUE(store.ok());
    TopologyProbe probe;
    // The topology's clock stands still (detected_at is the same in every run); the
    // runner's moves a millisecond a call, so that it commits after every record.
    Topology topology(&config_, store->get(), sink, &probe,
                      [] { return state::TimeMs(1710000000000); });
    if (write_delay_ms > 0) {
      const std::thread::id caller = std::this_thread::get_id();
      const auto write = [&, write_delay_ms, caller](state::StoreBatch& batch) {
        if (std::this_thread::get_id() != caller) ++background_writes_;
        std::this_thread::sleep_for(std::chrono::milliseconds(write_delay_ms));
        return (*store)->Write(batch);
      };
      EXPECT_TRUE(topology.set_store_write(write).ok());
    }
    clock_ms_ = 0;
    Runner runner(&config_.processing, source, &topology,
                  [this] { return state::TimeMs(clock_ms_ += clock_step_ms_); });
    return runner.Run(stop_);
  }

  std::string StoreDir(int run) { return dir_.File("state-" + std::to_string(run)); }
  // Each customer's events_total in the store of run `run`, by customer id.
  std::map<std::string, int64_t> StoredTotals(int run) {
    std::map<std::string, int64_t> out;
    auto store = state::Store::Open({.dir = StoreDir(run)});
    EXPECT_TRUE(store.ok());
    for (const char* id : {"u0", "u1", "u2", "u3"}) {
      auto c = (*store)->GetCustomer(state::Partition(0), id);
      EXPECT_TRUE(c.ok() && c->has_value()) << id;
      if (c.ok() && c->has_value()) out[id] = (*c)->events_total;
    }
    return out;
  }

  testutil::TempDir dir_;
  Config config_;
  int64_t clock_step_ms_ = 1;  // how far the runner's clock moves per call
  int64_t clock_ms_ = 0;       // the runner's clock
  std::atomic<bool> stop_{false};
  int runs_ = 0;
  // Store writes made through RunWith's write_delay_ms on the store writer's thread.
  std::atomic<int> background_writes_{0};
};

TEST_F(RunnerTest, AnAbortedCommitRewindsAndEndsWithTheSameOutputs) {
  AbortingSink clean_sink(0);
  ListSource clean_source(Events());
  ASSERT_TRUE(RunWith(&clean_sink, &clean_source).ok());
  AbortingSink sink(2);
  ListSource source(Events());
  ASSERT_TRUE(RunWith(&sink, &source).ok());
  EXPECT_EQ(source.seeks, 2) << "each abort seeks back";
  EXPECT_EQ(sink.committed, clean_sink.committed);
  EXPECT_EQ(sink.committed.size(), 4u) << "each of 4 customers became active once";
}

TEST_F(RunnerTest, CommitsThatKeepAbortingStopTheLoop) {
  AbortingSink sink(-1);  // aborts forever
  ListSource source(Events());
  const ops::Status s = RunWith(&sink, &source);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("in a row aborted"), std::string::npos) << s.ToString();
  EXPECT_TRUE(sink.committed.empty());
}

// The group's offsets: exactly-once commits them in the transaction, so the source's
// advisory commit (which races rebalances) is left out; at-least-once needs it.
TEST_F(RunnerTest, OnlyAtLeastOnceCommitsTheGroupOffsetsThroughTheSource) {
  AbortingSink transactional(0);
  ListSource eos_source(Events());
  ASSERT_TRUE(RunWith(&transactional, &eos_source).ok());
  EXPECT_EQ(eos_source.group_commits, 0);
  AbortingSink plain(0, /*transactional=*/false);
  ListSource alos_source(Events());
  ASSERT_TRUE(RunWith(&plain, &alos_source).ok());
  EXPECT_GT(alos_source.group_commits, 0);
}

// At-least-once with a changelog, the loop's commits write the store in the background,
// beside the records that follow; with writes slower than a record, the outputs and the
// stored state are those of a run whose commits wait for their writes.
TEST_F(RunnerTest, BackgroundStoreWritesEndInTheStateOfWaitedOnes) {
  AbortingSink waited(0, /*transactional=*/false);
  ListSource waited_source(Events());
  ASSERT_TRUE(RunWith(&waited, &waited_source).ok());
  AbortingSink background(0, /*transactional=*/false);
  background.with_changelog = true;
  ListSource background_source(Events());
  ASSERT_TRUE(RunWith(&background, &background_source, /*write_delay_ms=*/5).ok());
  EXPECT_GE(background_writes_, 10) << "a store write per commit, about one per record";
  EXPECT_EQ(background.committed, waited.committed);
  EXPECT_EQ(background.committed.size(), 4u) << "each of 4 customers became active once";
  const std::map<std::string, int64_t> each_ten = {{"u0", 10}, {"u1", 10}, {"u2", 10}, {"u3", 10}};
  EXPECT_EQ(StoredTotals(0), each_ten);
  EXPECT_EQ(StoredTotals(1), each_ten);
}

// At-least-once with a changelog, the loop's commits write the store in the background.
// A stop that comes with the assignment lost refuses the last commit, and the consumer's
// close hands the loss to no listener; the write of the commit before it still lands
// before Run returns, as the caller flushes and closes the store next.
TEST_F(RunnerTest, AStopWithTheAssignmentLostLandsTheStoreWriteInFlight) {
  AbortingSink sink(0, /*transactional=*/false);
  sink.with_changelog = true;
  ListSource source(Events());
  source.LoseAt(20);
  source.StopAt(20, &stop_);
  auto store = state::Store::Open({.dir = dir_.File("state")});
  ASSERT_TRUE(store.ok());
  TopologyProbe probe;
  Topology topology(&config_, store->get(), &sink, &probe,
                    [] { return state::TimeMs(1710000000000); });
  int writes = 0;
  const auto write = [&](state::StoreBatch& batch) {
    ++writes;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return (*store)->Write(batch);
  };
  ASSERT_TRUE(topology.set_store_write(write).ok());
  Runner runner(&config_.processing, &source, &topology,
                [this] { return state::TimeMs(clock_ms_ += clock_step_ms_); });
  ASSERT_TRUE(runner.Run(stop_).ok());
  ASSERT_EQ(source.lost_at_commit, 20) << "a commit after each record before the loss";
  ASSERT_GE(writes, 20) << "a store write per commit";
  EXPECT_FALSE(topology.store_write_in_flight());
}

// At-least-once, nothing is committed once the source knows the assignment is lost,
// though the loss reaches the topology only at the next poll: another member may own
// the partitions already.
TEST_F(RunnerTest, AtLeastOnceCommitsNothingOnceTheAssignmentIsLost) {
  AbortingSink sink(0, /*transactional=*/false);
  ListSource source(Events());
  source.LoseAt(10);
  ASSERT_TRUE(RunWith(&sink, &source).ok());
  ASSERT_EQ(source.lost_at_commit, 10) << "a commit after each record before the loss";
  EXPECT_EQ(source.group_commits, 10);
  ASSERT_GE(sink.commit_partitions.size(), 10u);
  for (size_t i = 10; i < sink.commit_partitions.size(); ++i) {
    EXPECT_TRUE(sink.commit_partitions[i].empty()) << "commit " << i << " after the loss";
  }
}

// A stop of the whole process longer than the group session: on resuming, librdkafka
// notices the lost session only when its own threads run, and the loop, with a commit
// long due, would commit first. A turn that took more than half the session holds
// commits for a heartbeat interval, by when the source reports the loss.
TEST_F(RunnerTest, AtLeastOnceHoldsItsCommitsAfterAStallUntilTheLossIsKnown) {
  AbortingSink sink(0, /*transactional=*/false);
  ListSource source(Events());
  source.timeouts = {.session_ms = 1000, .heartbeat_ms = 50};
  source.StallAt(10, &clock_ms_, 2000);  // while record 10 is processed
  source.LoseAt(12);                     // librdkafka has noticed by then
  ASSERT_TRUE(RunWith(&sink, &source).ok());
  ASSERT_EQ(source.lost_at_commit, 10) << "a commit after each record before the stall";
  ASSERT_GE(sink.commit_partitions.size(), 10u);
  for (size_t i = 10; i < sink.commit_partitions.size(); ++i) {
    EXPECT_TRUE(sink.commit_partitions[i].empty()) << "commit " << i << " after the stall";
  }
}

// At-least-once commits one partition at a time, in turn, spread over the interval, so
// that the loop stops for a share of a full commit; each partition still commits about
// once per interval. (The last commit, at the end, covers every partition.) The
// group's offsets go to the broker at most once per interval, for every partition
// committed since.
TEST_F(RunnerTest, AtLeastOnceCommitsThePartitionsOneAtATimeInTurn) {
  config_.processing.commit_interval_ms = 8;  // a partition every 4 ms
  clock_step_ms_ = 1;                         // about a millisecond per record
  AbortingSink sink(0, /*transactional=*/false);
  ListSource source(Events(), /*partitions=*/2);
  ASSERT_TRUE(RunWith(&sink, &source).ok());
  const auto& commits = sink.commit_partitions;
  ASSERT_GE(commits.size(), 6u);
  for (size_t i = 0; i + 1 < commits.size(); ++i) {
    ASSERT_EQ(commits[i].size(), 1u) << "commit " << i;
    if (i > 0) {
      EXPECT_NE(*commits[i].begin(), *commits[i - 1].begin()) << "in turn, commit " << i;
    }
  }
  const auto& group = source.committed_partitions;
  // Every other partition commit, and the last.
  EXPECT_LE(group.size(), commits.size() / 2 + 1) << "a group commit per interval";
  EXPECT_TRUE(std::find(group.begin(), group.end(), std::set<int>{0, 1}) != group.end())
      << "a group commit carries every partition committed since the last";
}

// A partition whose write-back cache fills commits out of turn, and alone: the other
// partitions, whose caches hold little, do not stop the loop with it.
TEST_F(RunnerTest, AtLeastOnceCommitsOnlyThePartitionWhoseCacheFilled) {
  config_.processing.commit_interval_ms = 1'000'000;     // no commit by the clock
  config_.state.memory_budget_bytes = int64_t{1} << 20;  // about 40 customers a partition
  // Partition 0 (even records) sees a new customer each time, partition 1 one only.
  std::vector<std::string> values;
  for (int i = 0; i < 600; ++i) {
    const std::string customer = i % 2 == 0 ? "c" + std::to_string(i) : "u";
    values.push_back(R"({"customer_id":")" + customer + R"(","type":"click","ts":)" +
                     std::to_string(1700000000000LL + i) + "}");
  }
  AbortingSink sink(0, /*transactional=*/false);
  ListSource source(values, /*partitions=*/2);
  ASSERT_TRUE(RunWith(&sink, &source).ok());
  const auto& commits = sink.commit_partitions;
  ASSERT_GE(commits.size(), 4u) << "partition 0's cache filled several times";
  for (size_t i = 0; i + 1 < commits.size(); ++i) {
    EXPECT_EQ(commits[i], std::set<int>{0}) << "commit " << i;
  }
  EXPECT_EQ(commits.back(), (std::set<int>{0, 1})) << "the last commit, at the end, covers all";
  EXPECT_EQ(source.group_offsets[0], 300);
  EXPECT_EQ(source.group_offsets[1], 300);
}

// Offsets gathered for the group's next commit are dropped when the assignment
// changes: a partition revoked meanwhile belongs to another member, and an offset
// committed for it now could move that member's position.
TEST_F(RunnerTest, AGroupCommitAfterARevocationLeavesOutTheRevokedPartition) {
  config_.processing.commit_interval_ms = 8;
  clock_step_ms_ = 1;
  // Every point of the run: some fall between partition 1's commit and the group's.
  for (size_t at = 4; at < 36; ++at) {
    SCOPED_TRACE("revoked before record " + std::to_string(at));
    AbortingSink sink(0, /*transactional=*/false);
    ListSource source(Events(), /*partitions=*/2);
    source.RevokeBefore(at);
    ASSERT_TRUE(RunWith(&sink, &source).ok());
    ASSERT_GE(source.revoked_at_commit, 0);
    const auto& group = source.committed_partitions;
    ASSERT_GT(group.size(), static_cast<size_t>(source.revoked_at_commit)) << "commits after";
    for (size_t i = source.revoked_at_commit; i < group.size(); ++i) {
      EXPECT_FALSE(group[i].contains(1)) << "group commit " << i;
    }
  }
}

// ...while every partition still assigned gets its offset to the group, though no
// record follows the revocation: the offsets gathered before it are dropped with the
// revoked partition's, so the partitions still assigned commit theirs again.
TEST_F(RunnerTest, AGroupCommitAfterARevocationCarriesThePartitionsStillAssigned) {
  config_.processing.commit_interval_ms = 8;
  clock_step_ms_ = 1;
  const int64_t records_of_partition_0 = static_cast<int64_t>(Events().size()) / 2;
  // Revoked after the last records, or just before them.
  for (size_t at = 30; at <= Events().size(); ++at) {
    SCOPED_TRACE("revoked before record " + std::to_string(at));
    AbortingSink sink(0, /*transactional=*/false);
    ListSource source(Events(), /*partitions=*/2);
    source.RevokeBefore(at);
    ASSERT_TRUE(RunWith(&sink, &source).ok());
    EXPECT_EQ(source.group_offsets[0], records_of_partition_0);
  }
}

// Customers that one midnight's wakes all move, more of them than the write-back
// cache holds: the wakes stop for a commit, the runner commits, and processes the
// record that passed the midnight again, as often as it takes.
constexpr int kTicks = 50;
std::vector<std::string> SilentThenMidnight(int customers) {
  constexpr int64_t kT0 = 1700000000000;  // 2023-11-14T22:13:20Z
  constexpr int64_t kDay = 86'400'000;
  std::vector<std::string> out;
  for (int i = 0; i < customers; ++i) {
    out.push_back(R"({"customer_id":"c)" + std::to_string(i) + R"(","type":"click","ts":)" +
                  std::to_string(kT0) + "}");
  }
  // Past the first midnight, which wakes every customer to no change: the commits
  // meanwhile store their wakes at the next.
  for (int i = 0; i < kTicks; ++i) {
    out.push_back(R"({"customer_id":"tick","type":"click","ts":)" +
                  std::to_string(kT0 + kDay / 2 + i) + "}");
  }
  // Two midnights on: every customer has been silent for a day.
  out.push_back(R"({"customer_id":"other","type":"click","ts":)" + std::to_string(kT0 + 2 * kDay) +
                "}");
  return out;
}

class RunnerWakeTest : public RunnerTest {
 protected:
  static constexpr int kCustomers = 600;
  RunnerWakeTest() {
    // Evaluated again at the same time, a customer just moved to quiet would leave it
    // (its dwell is under a day): a wake repeated after a rewind must not evaluate.
    config_.segments = {
        {.name = "quiet", .enter = "days_since(last_seen) >= 1", .exit = "days_in_segment < 1"},
        {.name = "active", .enter = "events_total >= 1"}};
    config_.processing.idle_timer_ms = 0;
    config_.processing.commit_interval_ms = 20;  // several commits among the ticks
    config_.state.memory_budget_bytes = int64_t{1} << 20;
  }
  static bool Quiet(const std::string& output) {
    return output.find(R"("segment":"quiet")") != std::string::npos;
  }
  static int64_t Quiet(const std::vector<std::string>& outputs) {
    return std::count_if(outputs.begin(), outputs.end(),
                         [](const std::string& o) { return Quiet(o); });
  }
};

TEST_F(RunnerWakeTest, AMidnightThatFillsTheCacheIsCommittedInPartsBeforeItsRecord) {
  AbortingSink sink(0, /*transactional=*/false);
  ListSource source(SilentThenMidnight(kCustomers));
  ASSERT_TRUE(RunWith(&sink, &source).ok());
  EXPECT_EQ(Quiet(sink.committed), kCustomers) << "each customer moved once";
  std::vector<int64_t> moved_per_commit;
  for (const auto& outputs : sink.commits) {
    if (Quiet(outputs) > 0) moved_per_commit.push_back(Quiet(outputs));
  }
  EXPECT_GE(moved_per_commit.size(), 3u) << "the midnight's changes came in several commits";
  for (const int64_t moved : moved_per_commit) EXPECT_LT(moved, kCustomers / 2);
  EXPECT_EQ(source.group_offsets[0], kCustomers + kTicks + 1) << "every record, the last once";
}

// The assignment is lost as the midnight's record arrives, whose wakes then ask for a
// commit, which is refused: the record is sought back, so that it comes again should
// its partition stay (librdkafka 2.0 can lose part of an assignment).
TEST_F(RunnerWakeTest, ARecordWhoseCommitALostAssignmentRefusedIsSoughtBack) {
  AbortingSink sink(0, /*transactional=*/false);
  ListSource source(SilentThenMidnight(kCustomers));
  source.LoseAt(kCustomers + kTicks);
  ASSERT_TRUE(RunWith(&sink, &source).ok());
  EXPECT_EQ(source.seeks, 1);
  ASSERT_GE(source.lost_at_commit, 0) << "the assignment was never lost";
  for (auto i = static_cast<size_t>(source.lost_at_commit); i < sink.commit_partitions.size();
       ++i) {
    EXPECT_TRUE(sink.commit_partitions[i].empty()) << "commit " << i << " after the loss";
  }
}

// The second commit of the midnight aborts: the first one's wakes are committed, so the
// rewound midnight wakes those customers again at the same time, which must not move
// them twice.
TEST_F(RunnerWakeTest, AnAbortInTheMiddleOfAMidnightRewindsAndEndsWithTheSameOutputs) {
  AbortingSink clean_sink(0);
  ListSource clean_source(SilentThenMidnight(kCustomers));
  ASSERT_TRUE(RunWith(&clean_sink, &clean_source).ok());
  AbortingSink sink(0);
  sink.abort_containing = R"("segment":"quiet")";
  sink.abort_at_nth = 2;
  ListSource source(SilentThenMidnight(kCustomers));
  ASSERT_TRUE(RunWith(&sink, &source).ok());
  EXPECT_TRUE(sink.abort_containing.empty()) << "a commit of the midnight aborted";
  EXPECT_EQ(source.seeks, 1);
  EXPECT_EQ(Quiet(clean_sink.committed), kCustomers);
  EXPECT_EQ(Quiet(sink.committed), kCustomers);
  EXPECT_TRUE(sink.committed == clean_sink.committed) << "the same outputs, in the same order";
}

// Only the partition whose midnight fills its cache commits in the middle of it; the
// other, whose stream time has not passed the midnight, does not stop with it. (The
// commits after the first carry no offsets, as the record waits; the first carries
// partition 0's, of the ticks, and not partition 1's.)
TEST_F(RunnerWakeTest, AtLeastOnceTheMidnightsCommitsAreItsPartitionsOnly) {
  config_.processing.commit_interval_ms = 1'000'000;  // no commit by the clock
  // Customers and ticks on both partitions; the last record, two midnights on, on
  // partition 0 only (its index is even).
  std::vector<std::string> values = SilentThenMidnight(2 * kCustomers);
  ASSERT_EQ(values.size() % 2, 1u);
  AbortingSink sink(0, /*transactional=*/false);
  ListSource source(values, /*partitions=*/2);
  ASSERT_TRUE(RunWith(&sink, &source).ok());
  EXPECT_EQ(Quiet(sink.committed), kCustomers) << "partition 0's customers moved, once";
  int midnight_commits = 0;
  int with_offsets = 0;
  for (size_t i = 0; i + 1 < sink.commits.size(); ++i) {
    if (Quiet(sink.commits[i]) == 0) continue;
    ++midnight_commits;
    EXPECT_FALSE(sink.commit_partitions[i].contains(1)) << "commit " << i;
    with_offsets += sink.commit_partitions[i].contains(0) ? 1 : 0;
  }
  EXPECT_GE(midnight_commits, 3);
  EXPECT_EQ(with_offsets, 1);
}

// A stop (SIGTERM) while a midnight's wakes commit in parts: the loop does not wait for
// the whole midnight; its last commit keeps what the wakes did and leaves the record
// to the next start.
TEST_F(RunnerWakeTest, AStopInTheMiddleOfAMidnightCommitsWhatItDidAndLeavesTheRecord) {
  AbortingSink sink(0, /*transactional=*/false);
  ListSource source(SilentThenMidnight(kCustomers));
  source.StopAt(kCustomers + kTicks, &stop_);
  ASSERT_TRUE(RunWith(&sink, &source).ok());
  EXPECT_GT(Quiet(sink.committed), 0);
  EXPECT_LT(Quiet(sink.committed), kCustomers / 2) << "stopped after the first part";
  EXPECT_EQ(source.group_offsets[0], kCustomers + kTicks)
      << "the last record is left to the next start";
}

}  // namespace
}  // namespace topologies
