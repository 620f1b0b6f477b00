// The changelog protocol end to end, with real stores and an in-memory changelog topic:
// a partition that moves to an instance with an empty state directory, an instance
// whose local state is behind, and an aborted exactly-once transaction all end with the
// outputs and the state of one uninterrupted run.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "state/codec.h"
#include "tests/testutil/metrics_text.h"
#include "tests/testutil/temp_dir.h"
#include "tests/topologies/process_record.h"
#include "tests/topologies/stored_timers.h"
#include "topologies/partition_task.h"
#include "topologies/timer_days.h"
#include "topologies/topology.h"

namespace topologies {
namespace {

constexpr int kPartitions = 2;
constexpr int64_t kDay = state::kMsPerDay;
constexpr int64_t kStart = 1700000000000;  // event time of the first record

struct LogRecord {
  std::string key;
  std::optional<std::string> value;
  bool compacted = false;  // removed by compaction: its offset stays, unread
};

// A changelog topic: committed records per partition, at offsets 0, 1, ...
using Log = std::map<state::Partition, std::vector<LogRecord>>;

// Records outputs and changelog records; a commit makes the records since the last one
// visible (as a Kafka transaction would), or, when told to, aborts them.
class LoggingSink final : public Sink {
 public:
  explicit LoggingSink(Log* log, bool transactional = false)
      : log_(log), transactional_(transactional) {}

  ops::Status Emit(OutputStream stream, std::string_view key, std::string_view value,
                   std::span<const Header>) override {
    if (stream != OutputStream::kDeadLetters) {
      pending_.push_back(std::string(key) + " " + std::string(value));
    }
    return ops::Status::Ok();
  }
  // At-least-once, a flush makes the outputs so far durable (in a transaction, only the
  // commit does).
  ops::Status Flush() override {
    if (!transactional_) {
      outputs.insert(outputs.end(), pending_.begin(), pending_.end());
      pending_.clear();
    }
    return ops::Status::Ok();
  }
  ops::Status EmitChangelog(state::Partition p, std::string_view key,
                            std::optional<std::string_view> value) override {
    pending_log_.emplace_back(
        p, LogRecord{std::string(key),
                     value ? std::optional<std::string>(std::string(*value)) : std::nullopt});
    return ops::Status::Ok();
  }
  ops::Result<ChangelogSpans> Commit(
      std::span<const std::pair<state::TopicPartition, state::Offset>>) override {
    if (crash_before_last_record) {
      // The process dies while flushing: every record of the commit but its last (the
      // last partition's meta record) reached the topic.
      for (size_t i = 0; i + 1 < pending_log_.size(); ++i) {
        (*log_)[pending_log_[i].first].push_back(pending_log_[i].second);
      }
      crash_before_last_record = false;
      return ops::Status::Unavailable("test: died during the flush");
    }
    if (abort_next_commit) {
      abort_next_commit = false;
      ENGAGED_RETURN_IF_ERROR(Abort());
      return ops::Status::Aborted("test: the transaction was aborted");
    }
    ChangelogSpans positions;
    for (auto& [p, r] : pending_log_) {
      std::vector<LogRecord>& records = (*log_)[p];
      auto [it, first] = positions.try_emplace(p);
      if (first) it->second.first = state::Offset(static_cast<int64_t>(records.size()));
      records.push_back(std::move(r));
      it->second.next = state::Offset(static_cast<int64_t>(records.size()));
      ++it->second.records;
      // Another writer's record lands in the middle of this commit's.
      if (foreign_record_after_first && first) {
        records.push_back(LogRecord{"cforeign", std::nullopt});
        foreign_record_after_first = false;
      }
    }
    pending_log_.clear();
    outputs.insert(outputs.end(), pending_.begin(), pending_.end());
    pending_.clear();
    return positions;
  }
  ops::Status Abort() override {
    pending_.clear();
    pending_log_.clear();
    return ops::Status::Ok();
  }
  bool transactional() const override { return transactional_; }
  bool changelog() const override { return true; }

  std::vector<std::string> outputs;  // committed segment changes, "key value"
  bool abort_next_commit = false;
  bool crash_before_last_record = false;
  bool foreign_record_after_first = false;  // once, in the next commit

 private:
  Log* log_;
  bool transactional_;
  std::vector<std::string> pending_;
  std::vector<std::pair<state::Partition, LogRecord>> pending_log_;
};

class LogReader final : public ChangelogReader {
 public:
  explicit LogReader(const Log* log) : log_(log) {}
  ops::Result<std::pair<state::Offset, state::Offset>> Bounds(state::Partition p) override {
    const auto it = log_->find(p);
    const int64_t n = it == log_->end() ? 0 : static_cast<int64_t>(it->second.size());
    const auto f = first.find(p);
    return std::make_pair(state::Offset(f == first.end() ? 0 : f->second), state::Offset(n));
  }
  ops::Result<std::vector<state::Offset>> Read(
      std::span<const std::pair<state::Partition, state::Offset>> from,
      const std::function<ops::Status(const ChangelogRecord&)>& fn) override {
    // Round robin, a record of each partition in turn: partitions interleave.
    std::vector<state::Offset> ends;
    std::vector<std::pair<const std::vector<LogRecord>*, size_t>> at;  // records, next index
    static const std::vector<LogRecord> kNone;
    for (const auto& [p, start] : from) {
      ++reads;
      const auto it = log_->find(p);
      at.emplace_back(it == log_->end() ? &kNone : &it->second, static_cast<size_t>(start.value()));
      ends.emplace_back(static_cast<int64_t>(at.back().first->size()));
    }
    for (bool more = true; more;) {
      more = false;
      for (size_t k = 0; k < from.size(); ++k) {
        auto& [records, i] = at[k];
        if (i >= records->size()) continue;
        const LogRecord& r = (*records)[i];
        if (r.compacted) {
          ++i;
          more = true;
          continue;
        }
        ++records_read;
        ENGAGED_RETURN_IF_ERROR(
            fn({.partition = from[k].first,
                .offset = state::Offset(static_cast<int64_t>(i)),
                .key = r.key,
                .value = r.value ? std::optional<std::string_view>(*r.value) : std::nullopt}));
        ++i;
        more = true;
      }
    }
    return ends;
  }

  int reads = 0;
  int64_t records_read = 0;
  // The log start offset of a partition whose first records were deleted (default 0).
  std::map<state::Partition, int64_t> first;

 private:
  const Log* log_;
};

struct Record {
  state::Partition partition;
  int64_t offset;
  std::string value;
};

// What the broker's log cleaner leaves of `log` once delete.retention.ms has passed:
// the newest record of each key, unless it is a tombstone.
void Compact(Log& log) {
  for (auto& [p, records] : log) {
    std::map<std::string, size_t> newest;
    for (size_t i = 0; i < records.size(); ++i) newest[records[i].key] = i;
    for (size_t i = 0; i < records.size(); ++i) {
      records[i].compacted = newest[records[i].key] != i || !records[i].value.has_value();
    }
  }
}

// 600 events of 40 customers over `days` days, with silent stretches that timers act
// on; with `vanish`, every fifth customer has no event after the 250th.
std::vector<Record> Stream(int days = 20, bool vanish = false) {
  std::mt19937 rng(7);
  std::vector<Record> out;
  std::array<int64_t, kPartitions> next{};
  for (int i = 0; i < 600; ++i) {
    const int c = static_cast<int>(rng() % 40);
    const state::Partition p(c % kPartitions);
    const int64_t ts = kStart + i * (days * kDay / 600);
    if (c % 7 == 0 && i > 200 && i < 450) continue;  // silent for a week
    if (vanish && c % 5 == 1 && i > 250) continue;
    out.push_back({p, next[p.value()]++,
                   R"({"customer_id":"u)" + std::to_string(c) + R"(","type":")" +
                       (i % 9 == 0 ? "purchase" : "page_view") + R"(","ts":)" + std::to_string(ts) +
                       R"(,"event_id":"e)" + std::to_string(i) + R"("})"});
  }
  return out;
}

// More customers on partition 0 than a task holds timers for, each seen once in the
// first minute, then one record of customer "tick" a day for four days. The first
// midnight's wakes schedule the second's, more of them than a task holds, so they are
// written to the store ahead of their commit (spilled).
constexpr int64_t kMassCustomers = static_cast<int64_t>(kMaxPendingTimers) + 1000;
constexpr int kMassTicks = 4;

std::vector<Record> MassWakeStream() {
  std::vector<Record> out;
  const auto add = [&](const std::string& id, int64_t ts) {
    const auto offset = static_cast<int64_t>(out.size());
    out.push_back({state::Partition(0), offset,
                   R"({"customer_id":")" + id + R"(","type":"page_view","ts":)" +
                       std::to_string(ts) + R"(,"event_id":"e)" + std::to_string(offset) +
                       R"("})"});
  };
  for (int64_t c = 0; c < kMassCustomers; ++c) add("m" + std::to_string(c), kStart + c);
  for (int d = 1; d <= kMassTicks; ++d) add("tick", kStart + d * kDay);
  return out;
}

std::vector<state::TopicPartition> AllPartitions() {
  std::vector<state::TopicPartition> out;
  for (int p = 0; p < kPartitions; ++p) out.push_back({"in", state::Partition(p)});
  return out;
}

// One engaged instance: its own store, a sink and a reader over the shared log.
class Instance {
 public:
  Instance(const Config* config, const std::string& dir, Log* log, bool transactional = false,
           state::TimeMs wall_clock = kWallClock)
      : sink_(log, transactional), reader_(log), wall_clock_(wall_clock) {
    auto store = state::Store::Open({.dir = dir});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    topology_ = std::make_unique<Topology>(
        config, store_.get(), &sink_, &probe_, [this] { return wall_clock_; }, nullptr, &reader_);
  }

  void set_wall_clock(state::TimeMs t) { wall_clock_ = t; }

  // The wall clock of an instance, unless the test moves it.
  static constexpr state::TimeMs kWallClock{1710000000000};

  // Assigns every partition; returns where each resumes.
  std::map<state::Partition, int64_t> Assign() {
    const auto tps = AllPartitions();
    auto starts = topology_->OnAssigned(tps);
    EXPECT_TRUE(starts.ok()) << starts.status().ToString();
    std::map<state::Partition, int64_t> out;
    for (size_t i = 0; i < tps.size(); ++i) {
      out[tps[i].partition] = (*starts)[i] ? (*starts)[i]->value() : 0;
    }
    return out;
  }

  // How Run commits: every partition, or one at a time (Topology::CommitNext).
  enum class Commits { kAll, kOneAtATime };

  // Processes the records of `stream` from `resume` on, up to index `until`, committing
  // every `commit_every` records.
  void Run(const std::vector<Record>& stream, const std::map<state::Partition, int64_t>& resume,
           size_t until, int commit_every = 37, StoreWrite write = StoreWrite::kWait,
           Commits commits = Commits::kAll) {
    int n = 0;
    for (size_t i = 0; i < until && i < stream.size(); ++i) {
      const Record& r = stream[i];
      if (r.offset < resume.at(r.partition)) continue;
      ASSERT_TRUE(Process(r).ok());
      if (++n % commit_every == 0) {
        ASSERT_TRUE(
            (commits == Commits::kAll ? topology_->Commit(write) : topology_->CommitNext(write))
                .ok());
      }
    }
    if (commits == Commits::kAll) {
      ASSERT_TRUE(topology_->Commit().ok());
    }
  }

  // Processes the records of `stream` in [begin, end) and does not commit.
  void ProcessRange(const std::vector<Record>& stream, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) ASSERT_TRUE(Process(stream[i]).ok());
  }

  // `write`: how the commits a midnight's wakes ask for write the store.
  ops::Status Process(const Record& r, StoreWrite write = StoreWrite::kWait) {
    return testutil::ProcessCommittingFirst(*topology_, Input(r), write);
  }

  static InputRecord Input(const Record& r) {
    return {.topic = "in",
            .partition = r.partition,
            .offset = state::Offset(r.offset),
            .key = "",
            .value = r.value,
            .timestamp = state::TimeMs(-1)};
  }

  // Makes the next commit abort, then rewinds; returns where each partition resumes.
  std::map<state::Partition, int64_t> AbortNextCommitAndRewind() {
    sink_.abort_next_commit = true;
    EXPECT_EQ(topology_->Commit().status().code(), ops::StatusCode::kAborted);
    auto seeks = topology_->Rewind();
    EXPECT_TRUE(seeks.ok()) << seeks.status().ToString();
    std::map<state::Partition, int64_t> out;
    if (!seeks.ok()) return out;
    for (const auto& [tp, offset] : *seeks) out[tp.partition] = offset.value();
    return out;
  }

  void Stop() {
    const auto tps = AllPartitions();
    ASSERT_TRUE(topology_->OnRevoked(tps).ok());
  }

  // Every customer's encoded state, by partition and id.
  std::map<std::string, std::string> States() {
    std::map<std::string, std::string> out;
    EXPECT_TRUE(store_
                    ->ForEachCustomer([&](state::Partition p, std::string_view id,
                                          const state::CustomerState& s) {
                      std::string bytes;
                      state::EncodeCustomer(s, &bytes);
                      out[std::to_string(p.value()) + "/" + std::string(id)] = bytes;
                      return true;
                    })
                    .ok());
    return out;
  }

  // The value of the probe's counter `name` (0 before anything was counted).
  double Metric(const std::string& name) const {
    return testutil::MetricSample(registry_.Serialize(), name).value_or(0);
  }

  Topology& topology() { return *topology_; }
  state::Store& store() { return *store_; }
  LoggingSink& sink() { return sink_; }
  LogReader& reader() { return reader_; }

 private:
  LoggingSink sink_;
  LogReader reader_;
  state::TimeMs wall_clock_;
  ops::MetricsRegistry registry_;
  TopologyProbe probe_{&registry_};
  std::unique_ptr<state::Store> store_;
  std::unique_ptr<Topology> topology_;
};

class ChangelogTopologyTest : public testing::Test {
 protected:
  void SetUp() override {
    config_.processing.idle_timer_ms = 0;
    config_.segments = {
        {.name = "quiet",
         .enter = "days_since(last_seen) >= 3",
         .exit = "days_since(last_seen) < 1"},
        {.name = "engaged", .min_events = 12},
        {.name = "active", .min_events = 3},
    };
    stream_ = Stream();
    RunReference("whole");
    ASSERT_GT(expected_outputs_.size(), 60u);
    ASSERT_GT(static_cast<int64_t>(expected_states_.size()), 30);
  }

  // The reference: one instance, never interrupted, in state directory `name`.
  void RunReference(const std::string& name) {
    Log log;
    Instance whole(&config_, dir_.File(name), &log);
    whole.Run(stream_, whole.Assign(), stream_.size());
    expected_outputs_ = whole.sink().outputs;
    expected_states_ = whole.States();
  }

  // Over four days, with customers silent for a day moving to quiet through two wakes:
  // the store's timers are read, and so a write in flight awaited, only at a midnight.
  // `small_` is the config with a write-back cache of a customer or two per partition,
  // so that every wake that changes a customer asks for a commit.
  void SilentForADay() {
    stream_ = Stream(4);
    config_.segments[0].enter = "days_since(last_seen) >= 1";
    RunReference("whole-4d");
    small_ = config_;
    small_.state.memory_budget_bytes = 12 * sizeof(state::CustomerState);
    small_.state.cache_share = 0.25;
  }

  // Instance A (directory "a") processes the first third of the stream and stops; then
  // B (directory "b") processes all of it, so that A's copy is behind the changelog.
  // Returns A's changelog position per partition.
  std::map<state::Partition, int64_t> LeaveABehind(Log& log) {
    std::map<state::Partition, int64_t> a_at;
    {
      Instance a(&config_, dir_.File("a"), &log);
      a.Run(stream_, a.Assign(), stream_.size() / 3);
      a.Stop();
      for (const auto& [p, records] : log) a_at[p] = static_cast<int64_t>(records.size());
    }
    Instance b(&config_, dir_.File("b"), &log);
    b.Run(stream_, b.Assign(), stream_.size());
    b.Stop();
    return a_at;
  }

  testutil::TempDir dir_;
  Config config_;
  Config small_;  // SilentForADay
  std::vector<Record> stream_;
  std::vector<std::string> expected_outputs_;
  std::map<std::string, std::string> expected_states_;
};

TEST_F(ChangelogTopologyTest, APartitionMovedToAnEmptyInstanceContinuesAsIfNeverMoved) {
  Log log;
  std::vector<std::string> outputs;
  {
    Instance a(&config_, dir_.File("a"), &log);
    a.Run(stream_, a.Assign(), stream_.size() * 3 / 5);
    a.Stop();
    outputs = a.sink().outputs;
  }
  Instance b(&config_, dir_.File("b"), &log);
  const auto resume = b.Assign();
  EXPECT_EQ(b.reader().reads, kPartitions) << "both partitions restored";
  EXPECT_GT(resume.at(state::Partition(0)), 0) << "resumes where A committed";
  b.Run(stream_, resume, stream_.size());
  outputs.insert(outputs.end(), b.sink().outputs.begin(), b.sink().outputs.end());
  EXPECT_EQ(outputs, expected_outputs_);
  EXPECT_EQ(b.States(), expected_states_);
}

// Store writes that land while later records are processed (StoreWrite::kBackground),
// with a write-back cache of a customer or two per partition: a customer evicted and
// read again before its write lands would be read back stale. Outputs and state are
// those of the uninterrupted run.
TEST_F(ChangelogTopologyTest, StoreWritesLandingWhileProcessingGoesOnChangeNothing) {
  SilentForADay();
  ASSERT_LT(CacheMemoryBytes(small_.state) / kPartitions, 2 * sizeof(state::CustomerState));
  Log log;
  Instance a(&small_, dir_.File("a"), &log);
  // Records processed while a store write had not landed.
  int overlapped = 0;
  const auto write = [&](state::StoreBatch& batch) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return a.store().Write(batch);
  };
  ASSERT_TRUE(a.topology().set_store_write(write).ok());
  a.Assign();
  int n = 0;
  for (const Record& r : stream_) {
    // With a cache this small, every wake that changes a customer asks for a commit.
    ASSERT_TRUE(a.Process(r, StoreWrite::kBackground).ok());
    if (a.topology().store_write_in_flight()) ++overlapped;
    if (++n % 37 == 0) {
      ASSERT_TRUE(a.topology().Commit(StoreWrite::kBackground).ok());
    }
  }
  ASSERT_TRUE(a.topology().Commit().ok());
  EXPECT_GT(overlapped, 300) << "records processed while a store write was in flight";
  EXPECT_EQ(a.sink().outputs, expected_outputs_);
  EXPECT_EQ(a.States(), expected_states_);
  EXPECT_GT(expected_outputs_.size(), 20u);
}

// The partitions move to an empty instance in the middle of a midnight's wakes, after
// one of the commits that the wakes of silent customers asked for (a write-back cache
// of a customer or two): the new instance restores them from the changelog, fires the
// midnight again, and ends with the outputs and state of the uninterrupted run, each
// change emitted once.
TEST_F(ChangelogTopologyTest, PartitionsMovedInTheMiddleOfAMidnightContinueAsIfNeverMoved) {
  SilentForADay();
  Log log;
  std::vector<std::string> outputs;
  {
    Instance a(&small_, dir_.File("a"), &log);
    a.Assign();
    // Stops at the third time the wakes ask for a commit, with the record waiting.
    int asked = 0;
    for (const Record& r : stream_) {
      auto processed = a.topology().Process(Instance::Input(r));
      ASSERT_TRUE(processed.ok());
      while (*processed == Processed::kCommitFirst && ++asked < 3) {
        ASSERT_TRUE(a.topology().Commit().ok());
        processed = a.topology().Process(Instance::Input(r));
        ASSERT_TRUE(processed.ok());
      }
      if (asked == 3) break;
    }
    ASSERT_EQ(asked, 3);
    a.Stop();  // revoked: commits what the midnight did so far
    outputs = a.sink().outputs;
  }
  Instance b(&small_, dir_.File("b"), &log);
  b.Run(stream_, b.Assign(), stream_.size());
  outputs.insert(outputs.end(), b.sink().outputs.begin(), b.sink().outputs.end());
  EXPECT_EQ(outputs, expected_outputs_);
  EXPECT_EQ(b.States(), expected_states_);
}

// A store write that fails after its commit reached the changelog (a full disk, say):
// the instance stops at its next step with the error, and a restart on the same state
// directory finds its store one commit behind the changelog and catches up from it.
TEST_F(ChangelogTopologyTest, AFailedStoreWriteStopsTheInstanceAndARestartCatchesUp) {
  Log log;
  const std::string dir = dir_.File("a");
  std::vector<std::string> outputs;
  ops::Status failed;
  size_t processed = 0;
  {
    Instance a(&config_, dir, &log);
    int writes = 0;
    const auto write = [&](state::StoreBatch& batch) {
      if (++writes == 3) return ops::Status::IoError("injected: no space left on device");
      return a.store().Write(batch);
    };
    ASSERT_TRUE(a.topology().set_store_write(write).ok());
    a.Assign();
    for (const Record& r : stream_) {
      failed = a.Process(r);
      if (failed.ok() && ++processed % 37 == 0) {
        failed = a.topology().Commit(StoreWrite::kBackground).status();
      }
      if (!failed.ok()) break;
    }
    outputs = a.sink().outputs;
  }  // stops with the error, as engaged run does
  ASSERT_FALSE(failed.ok()) << "the failed write surfaced";
  EXPECT_EQ(failed.code(), ops::StatusCode::kIoError) << failed.ToString();
  EXPECT_NE(failed.message().find("no space left"), std::string::npos) << failed.ToString();
  EXPECT_LE(processed, 4 * 37u) << "it stopped by the commit after the third";

  Instance b(&config_, dir, &log);
  const auto resume = b.Assign();
  b.Run(stream_, resume, stream_.size());
  outputs.insert(outputs.end(), b.sink().outputs.begin(), b.sink().outputs.end());
  EXPECT_EQ(b.States(), expected_states_);
  EXPECT_EQ(std::set<std::string>(outputs.begin(), outputs.end()),
            std::set<std::string>(expected_outputs_.begin(), expected_outputs_.end()));
}

// At-least-once commits one partition at a time (the poll loop's default). Run to the
// end, the outputs and state are those of full commits; an instance that stops without
// committing (a crash) leaves each partition at its own last commit, and the instance
// that restores them ends in the same state, having repeated only outputs.
TEST_F(ChangelogTopologyTest, PartitionsCommittedOneAtATimeEndAsFullCommitsDo) {
  {
    Log log;
    Instance a(&config_, dir_.File("whole-one-at-a-time"), &log);
    a.Run(stream_, a.Assign(), stream_.size(), 19, StoreWrite::kBackground,
          Instance::Commits::kOneAtATime);
    a.Stop();
    EXPECT_EQ(a.sink().outputs, expected_outputs_);
    EXPECT_EQ(a.States(), expected_states_);
  }
  Log log;
  std::vector<std::string> outputs;
  {
    Instance a(&config_, dir_.File("a"), &log);
    a.Run(stream_, a.Assign(), stream_.size() * 3 / 5, 19, StoreWrite::kBackground,
          Instance::Commits::kOneAtATime);
    outputs = a.sink().outputs;
  }  // no revocation: what came after each partition's last commit is lost
  Instance b(&config_, dir_.File("b"), &log);
  const auto resume = b.Assign();
  b.Run(stream_, resume, stream_.size());
  outputs.insert(outputs.end(), b.sink().outputs.begin(), b.sink().outputs.end());
  EXPECT_EQ(b.States(), expected_states_);
  EXPECT_EQ(std::set<std::string>(outputs.begin(), outputs.end()),
            std::set<std::string>(expected_outputs_.begin(), expected_outputs_.end()))
      << "every output, some repeated with the same event id, none other";
}

// A customer's wake timer scheduled just before a commit is in that commit's store
// write. The next record crosses midnight while the write is in flight: the timers due
// then are read from the store only once the write has landed, or that wake, and the
// chain of wakes after it, would be lost (here: the customer never becomes quiet).
TEST_F(ChangelogTopologyTest, TimersOfAStoreWriteInFlightFireAtTheNextMidnight) {
  Config config = config_;
  config.segments[0].enter = "days_since(last_seen) >= 1";
  const int64_t midnight = kStart - kStart % kDay + kDay;
  const auto event = [](const std::string& customer, int64_t ts, int64_t offset) {
    return Record{state::Partition(0), offset,
                  R"({"customer_id":")" + customer + R"(","type":"page_view","ts":)" +
                      std::to_string(ts) + R"(,"event_id":"e)" + std::to_string(offset) + R"("})"};
  };
  const std::vector<Record> stream = {
      event("x", midnight - 60'000, 0),             // x's wake is due at midnight
      event("y", midnight + 60'000, 1),             // crosses midnight
      event("y", midnight + kDay + 60'000, 2),      // x silent for a day: quiet
      event("y", midnight + 2 * kDay + 60'000, 3),  // one more wake
  };
  const auto run = [&](Instance& instance, StoreWrite write) {
    instance.Assign();
    ASSERT_TRUE(instance.Process(stream[0]).ok());
    ASSERT_TRUE(instance.topology().Commit(write).ok());
    for (size_t i = 1; i < stream.size(); ++i) ASSERT_TRUE(instance.Process(stream[i]).ok());
    ASSERT_TRUE(instance.topology().Commit().ok());
  };
  Log reference_log;
  Instance reference(&config, dir_.File("reference"), &reference_log);
  run(reference, StoreWrite::kWait);
  const auto& outputs = reference.sink().outputs;
  EXPECT_TRUE(std::any_of(outputs.begin(), outputs.end(), [](const std::string& o) {
    return o.starts_with("x ") && o.find(R"("segment":"quiet")") != std::string::npos;
  })) << "x becomes quiet after a silent day";

  Log log;
  Instance a(&config, dir_.File("a"), &log);
  const auto write = [&](state::StoreBatch& batch) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return a.store().Write(batch);
  };
  ASSERT_TRUE(a.topology().set_store_write(write).ok());
  run(a, StoreWrite::kBackground);
  EXPECT_EQ(a.sink().outputs, reference.sink().outputs);
  EXPECT_EQ(a.States(), reference.States());
}

// A partition restored on a new instance, with no record after: its position still
// reaches the consumer group at the next commit (lag tools read the group's offsets).
TEST_F(ChangelogTopologyTest, ARestoredPositionIsCommittedWithoutNewRecords) {
  Log log;
  {
    Instance a(&config_, dir_.File("a"), &log);
    a.Run(stream_, a.Assign(), stream_.size());
    a.Stop();
  }
  Instance b(&config_, dir_.File("b"), &log);
  const auto resume = b.Assign();
  auto committed = b.topology().Commit();
  ASSERT_TRUE(committed.ok());
  std::map<state::Partition, int64_t> offsets;
  for (const auto& [tp, next] : *committed) offsets[tp.partition] = next.value();
  EXPECT_EQ(offsets, resume);
}

TEST_F(ChangelogTopologyTest, AnInstanceBehindTheChangelogCatchesUpFromItsOwnPosition) {
  Log log;
  LeaveABehind(log);
  const int64_t logged =
      static_cast<int64_t>(log[state::Partition(0)].size() + log[state::Partition(1)].size());
  Instance a_again(&config_, dir_.File("a"), &log);
  const auto resume = a_again.Assign();
  EXPECT_LT(a_again.reader().records_read, logged) << "only what A had not applied is read";
  EXPECT_EQ(a_again.States(), expected_states_);
  std::map<state::Partition, int64_t> ends;
  for (const Record& r : stream_) ends[r.partition] = r.offset + 1;
  EXPECT_EQ(resume, ends) << "both partitions resume at their ends";
}

// A local copy last brought up to date more than state.local_copy_max_age_ms ago may miss
// tombstones the broker has since compacted away: it is dropped and restored from the
// start instead of caught up. A younger one, or any with the limit off, catches up. The
// limit the topology holds at the assignment counts, not the config's.
TEST_F(ChangelogTopologyTest, ALocalCopyOlderThanTheMaxAgeIsRestoredFromTheStart) {
  constexpr int64_t kHour = int64_t{3600} * 1000;
  ASSERT_EQ(config_.state.local_copy_max_age_ms, 12 * kHour) << "the documented default";
  Log log;
  LeaveABehind(log);
  const int64_t logged =
      static_cast<int64_t>(log[state::Partition(0)].size() + log[state::Partition(1)].size());
  std::map<state::Partition, int64_t> ends;
  for (const Record& r : stream_) ends[r.partition] = r.offset + 1;
  // Copies of A's directory, each assigned at another age.
  struct Case {
    std::string name;
    int64_t age_ms;
    int64_t max_age_ms;
    bool from_start;
    // Set on the running topology after the config's, as the changelog watch does when
    // the topic's delete.retention.ms changes.
    std::optional<int64_t> bound_ms = std::nullopt;
  };
  for (const Case& c :
       {Case{"younger", 11 * kHour, 12 * kHour, false}, Case{"older", 13 * kHour, 12 * kHour, true},
        Case{"older-no-limit", 13 * kHour, 0, false},
        Case{"younger-than-the-config-older-than-the-bound", 11 * kHour, 12 * kHour, true,
             10 * kHour},
        Case{"older-than-the-config-younger-than-the-bound", 13 * kHour, 12 * kHour, false,
             14 * kHour}}) {
    SCOPED_TRACE(c.name);
    const std::string dir = dir_.File("a-" + c.name);
    std::filesystem::copy(dir_.File("a"), dir, std::filesystem::copy_options::recursive);
    Config config = config_;
    config.state.local_copy_max_age_ms = c.max_age_ms;
    Instance a_again(&config, dir, &log, /*transactional=*/false,
                     state::TimeMs(Instance::kWallClock.value() + c.age_ms));
    if (c.bound_ms) a_again.topology().set_local_copy_max_age_ms(*c.bound_ms);
    const auto resume = a_again.Assign();
    if (c.from_start) {
      EXPECT_EQ(a_again.reader().records_read, logged) << "the whole changelog is read";
    } else {
      EXPECT_LT(a_again.reader().records_read, logged) << "only what A had not applied";
    }
    EXPECT_EQ(a_again.States(), expected_states_);
    EXPECT_EQ(resume, ends);
    EXPECT_EQ(*a_again.store().GetChangelogAsOf(state::Partition(0)),
              std::optional<state::TimeMs>(state::TimeMs(Instance::kWallClock.value() + c.age_ms)))
        << "the restored copy is current as of the restore";
  }
}

// The changelog's first records were deleted past the local copy's position: the copy
// cannot be caught up, and the partition is read from the changelog's new start.
TEST_F(ChangelogTopologyTest, ALocalCopyBeforeTheChangelogsStartIsRestoredFromItsStart) {
  Log log;
  const std::map<state::Partition, int64_t> a_at = LeaveABehind(log);
  Instance a_again(&config_, dir_.File("a"), &log);
  int64_t expected_reads = 0;
  for (const auto& [p, at] : a_at) {
    a_again.reader().first[p] = at + 1;
    expected_reads += static_cast<int64_t>(log[p].size()) - (at + 1);
  }
  a_again.Assign();
  EXPECT_EQ(a_again.reader().records_read, expected_reads)
      << "read from the changelog's start, not from the local position before it";
}

// Why the limit: customers that expired while the partition was away left tombstones,
// which compaction has since removed. Caught up from its position, the old copy keeps
// them; restored from the start, it matches an uninterrupted run.
TEST_F(ChangelogTopologyTest, AnOldCopyMissesCompactedTombstonesUnlessRestoredFromTheStart) {
  config_.state.retention_ms = 5 * kDay;
  stream_ = Stream(20, /*vanish=*/true);
  RunReference("whole-expiring");
  Log log;
  LeaveABehind(log);
  Compact(log);
  const state::TimeMs later(Instance::kWallClock.value() + int64_t{13} * 3600 * 1000);
  for (const int64_t max_age : {int64_t{0}, config_.state.local_copy_max_age_ms}) {
    SCOPED_TRACE(max_age);
    const std::string dir = dir_.File("a-" + std::to_string(max_age));
    std::filesystem::copy(dir_.File("a"), dir, std::filesystem::copy_options::recursive);
    Config config = config_;
    config.state.local_copy_max_age_ms = max_age;
    Instance a_again(&config, dir, &log, /*transactional=*/false, later);
    a_again.Assign();
    const auto states = a_again.States();
    int stale = 0;
    for (const auto& [key, bytes] : states) stale += expected_states_.count(key) == 0 ? 1 : 0;
    if (max_age == 0) {
      EXPECT_GT(stale, 0) << "customers expired while away are still there";
    } else {
      EXPECT_EQ(stale, 0);
      EXPECT_EQ(states, expected_states_);
    }
  }
}

// A partition without records is current as of every commit that writes the store for
// another: its age is not that of its last change.
TEST_F(ChangelogTopologyTest, AnIdlePartitionIsCurrentAsOfEachCommitThatWritesTheStore) {
  Log log;
  Instance a(&config_, dir_.File("a"), &log);
  const auto resume = a.Assign();
  const size_t half = stream_.size() / 2;
  a.Run(stream_, resume, half);
  std::vector<Record> only_p0;
  for (size_t i = half; i < stream_.size(); ++i) {
    if (stream_[i].partition == state::Partition(0)) only_p0.push_back(stream_[i]);
  }
  ASSERT_FALSE(only_p0.empty());
  const state::TimeMs later(Instance::kWallClock.value() + int64_t{10} * 3600 * 1000);
  a.set_wall_clock(later);
  a.Run(only_p0, resume, only_p0.size());
  EXPECT_EQ(*a.store().GetChangelogAsOf(state::Partition(1)), std::optional<state::TimeMs>(later));
  EXPECT_EQ(*a.store().GetChangelogAsOf(state::Partition(0)), std::optional<state::TimeMs>(later));
}

// A copy that nothing was logged after is current however old it is, and is recorded so.
TEST_F(ChangelogTopologyTest, AnUpToDateLocalCopyIsKeptHoweverOld) {
  Log log;
  {
    Instance a(&config_, dir_.File("a"), &log);
    a.Run(stream_, a.Assign(), stream_.size());
    a.Stop();
  }
  const state::TimeMs later(Instance::kWallClock.value() + 30 * kDay);
  Instance a_again(&config_, dir_.File("a"), &log, /*transactional=*/false, later);
  a_again.Assign();
  EXPECT_EQ(a_again.reader().records_read, 0);
  EXPECT_EQ(a_again.States(), expected_states_);
  EXPECT_EQ(*a_again.store().GetChangelogAsOf(state::Partition(1)),
            std::optional<state::TimeMs>(later));
}

// At-least-once: a commit that died halfway left records after the last meta record. The
// restart seals them (logs the committed state of their customers again), so a later
// restore from the start of the changelog does not apply them with the wrong offsets.
TEST_F(ChangelogTopologyTest, AnUnfinishedCommitIsSealedAndNeverApplied) {
  Log log;
  std::set<std::string> outputs;
  {
    Instance a(&config_, dir_.File("a"), &log);
    a.Run(stream_, a.Assign(), stream_.size() / 2);
    a.ProcessRange(stream_, stream_.size() / 2, stream_.size() * 7 / 10);
    a.sink().crash_before_last_record = true;
    ASSERT_FALSE(a.topology().Commit().ok());
    a.topology().Abandon();
    outputs.insert(a.sink().outputs.begin(), a.sink().outputs.end());
  }
  const size_t logged_before_restart =
      log[state::Partition(0)].size() + log[state::Partition(1)].size();
  {
    Instance a(&config_, dir_.File("a"), &log);
    const auto resume = a.Assign();
    EXPECT_GT(log[state::Partition(0)].size() + log[state::Partition(1)].size(),
              logged_before_restart)
        << "the unfinished commit was sealed";
    a.Run(stream_, resume, stream_.size() * 52 / 100);  // less far than the dead commit went
    a.Stop();
    outputs.insert(a.sink().outputs.begin(), a.sink().outputs.end());
  }
  Instance b(&config_, dir_.File("b"), &log);
  b.Run(stream_, b.Assign(), stream_.size());
  outputs.insert(b.sink().outputs.begin(), b.sink().outputs.end());
  EXPECT_EQ(b.States(), expected_states_);
  const std::set<std::string> expected(expected_outputs_.begin(), expected_outputs_.end());
  for (const auto& o : expected) {
    if (!outputs.count(o)) ADD_FAILURE() << "missing " << o.substr(0, 200);
  }
  for (const auto& o : outputs) {
    if (!expected.count(o)) ADD_FAILURE() << "extra " << o.substr(0, 200);
  }
}

TEST_F(ChangelogTopologyTest, AnAbortedTransactionLeavesNoEffect) {
  Log log;
  Instance a(&config_, dir_.File("a"), &log, /*transactional=*/true);
  auto resume = a.Assign();
  a.Run(stream_, resume, stream_.size() / 2);
  // Process on, then the commit aborts: nothing since the last commit may survive.
  a.ProcessRange(stream_, stream_.size() / 2, stream_.size() * 3 / 4);
  a.Run(stream_, a.AbortNextCommitAndRewind(), stream_.size());
  EXPECT_EQ(a.sink().outputs, expected_outputs_);
  EXPECT_EQ(a.States(), expected_states_);
}

// At-least-once, instance A loses its partitions (its session timed out) after B has
// taken them over, restored them from A's last commit and processed on. A commits
// nothing: a commit would land in the changelog after B's, and an instance restoring
// later (C) would take A's older states of the customers A wrote, and resume from A's
// offsets.
TEST_F(ChangelogTopologyTest, ALostPartitionCommitsNothingAfterItsNewOwnersCommits) {
  Log log;
  Instance a(&config_, dir_.File("a"), &log);
  a.Run(stream_, a.Assign(), stream_.size() / 2);
  a.ProcessRange(stream_, stream_.size() / 2, stream_.size() * 3 / 4);
  {
    Instance b(&config_, dir_.File("b"), &log);
    b.Run(stream_, b.Assign(), stream_.size());
    b.Stop();
    EXPECT_EQ(b.States(), expected_states_);
  }
  const Log before = log;
  ASSERT_TRUE(a.topology().OnLost(AllPartitions()).ok());
  EXPECT_EQ(a.topology().assigned_partitions(), 0);
  for (const auto& [p, records] : log) {
    EXPECT_EQ(records.size(), before.at(p).size()) << "partition " << p.value();
  }
  Instance c(&config_, dir_.File("c"), &log);
  c.Assign();
  EXPECT_EQ(c.States(), expected_states_);
  // A's store is at its last commit, and catches up when the partitions come back.
  a.Assign();
  EXPECT_EQ(a.States(), expected_states_);
}

// Under at-least-once nothing fences another writer out of a partition's changelog (a
// paused instance's late commit): an instance counts the records that are not its own
// between its restore or last commit and the end of its next commit's records, around
// them or among them; its own commits, and a restore's, count nothing.
TEST_F(ChangelogTopologyTest, AtLeastOnceCountsTheRecordsAnotherWriterPutInItsChangelog) {
  constexpr char kForeign[] = "engaged_changelog_foreign_records_total";
  Log log;
  const size_t n = stream_.size();
  {
    Instance a(&config_, dir_.File("a"), &log);
    a.Run(stream_, a.Assign(), n / 4);
    a.Stop();
    EXPECT_EQ(a.Metric(kForeign), 0);
  }
  Instance b(&config_, dir_.File("b"), &log);
  b.Assign();
  b.ProcessRange(stream_, n / 4, n / 2);
  ASSERT_TRUE(b.topology().Commit().ok());
  EXPECT_EQ(b.Metric(kForeign), 0) << "a restored instance's first commit is its own";
  // Two records land between B's commits, in the partition of B's next record.
  const state::Partition p(stream_[n / 2].partition);
  log[p].push_back(LogRecord{"cother-1", std::nullopt});
  log[p].push_back(LogRecord{"cother-2", std::nullopt});
  b.ProcessRange(stream_, n / 2, n * 3 / 4);
  ASSERT_TRUE(b.topology().Commit().ok());
  EXPECT_EQ(b.Metric(kForeign), 2);
  // One lands among the records of B's next commit.
  b.sink().foreign_record_after_first = true;
  b.ProcessRange(stream_, n * 3 / 4, n);
  ASSERT_TRUE(b.topology().Commit().ok());
  EXPECT_EQ(b.Metric(kForeign), 3);
  ASSERT_TRUE(b.topology().Commit().ok());
  EXPECT_EQ(b.Metric(kForeign), 3) << "a commit with nothing foreign counts nothing";
}

// Exactly-once, the transactions fence other writers, and markers take offsets of their
// own: nothing is counted.
TEST_F(ChangelogTopologyTest, ExactlyOnceCountsNoForeignRecords) {
  Log log;
  Instance a(&config_, dir_.File("a"), &log, /*transactional=*/true);
  a.Assign();
  a.ProcessRange(stream_, 0, stream_.size() / 2);
  ASSERT_TRUE(a.topology().Commit().ok());
  log[state::Partition(stream_[stream_.size() / 2].partition)].push_back(
      LogRecord{"cother", std::nullopt});
  a.ProcessRange(stream_, stream_.size() / 2, stream_.size());
  ASSERT_TRUE(a.topology().Commit().ok());
  EXPECT_EQ(a.Metric("engaged_changelog_foreign_records_total"), 0);
}

// The last commit's store write, still in flight when the partitions are lost, lands
// before their tasks go (it holds their customers cached until it does).
TEST_F(ChangelogTopologyTest, ALostPartitionLetsTheLastCommitsStoreWriteLand) {
  Log log;
  Instance a(&config_, dir_.File("a"), &log);
  const auto write = [&](state::StoreBatch& batch) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return a.store().Write(batch);
  };
  ASSERT_TRUE(a.topology().set_store_write(write).ok());
  a.Assign();
  a.ProcessRange(stream_, 0, stream_.size() / 2);
  ASSERT_TRUE(a.topology().Commit(StoreWrite::kBackground).ok());
  ASSERT_TRUE(a.topology().store_write_in_flight());
  ASSERT_TRUE(a.topology().OnLost(AllPartitions()).ok());
  EXPECT_FALSE(a.topology().store_write_in_flight());
  for (const auto& [p, records] : log) {
    const auto at = a.store().GetChangelogOffset(p);
    ASSERT_TRUE(at.ok()) << at.status().ToString();
    EXPECT_EQ(*at, state::Offset(static_cast<int64_t>(records.size())))
        << "partition " << p.value();
  }
}

// Timers spilled ahead of a commit that never happens (an aborted transaction, a
// partition lost) are not in the changelog, but stay in the store that wrote them.
class SpilledTimersTest : public ChangelogTopologyTest {
 protected:
  static constexpr int kCommitEvery = 5000;
  static constexpr int64_t kMaxHeld = static_cast<int64_t>(kMaxPendingTimers);
  const state::TimeMs second_wake_{timer_days::MidnightAfter(state::TimeMs(kStart)).value() + kDay};
  // The index in stream_ of the record of day `d` (1 to kMassTicks).
  static size_t Tick(int d) { return static_cast<size_t>(kMassCustomers + d - 1); }

  void SetUp() override {
    ChangelogTopologyTest::SetUp();
    stream_ = MassWakeStream();
    // The second midnight's wakes, those spilled, move every customer to quiet.
    config_.segments[0].enter = "days_since(last_seen) >= 1";
    RunReference("whole-mass");
    ASSERT_GE(static_cast<int64_t>(expected_outputs_.size()), kMassCustomers) << "all go quiet";
  }

  // `a` processes every customer's record, commits, then the first day's record, whose
  // midnight spills the second midnight's wakes to the store; not committed.
  void SpillUncommitted(Instance& a) {
    a.Run(stream_, a.Assign(), Tick(1), kCommitEvery);
    ASSERT_TRUE(a.Process(stream_[Tick(1)]).ok());
    ASSERT_GE(a.topology().counters().timers_spilled, kMaxHeld);
    ASSERT_GE(testutil::StoredTimersAt(a.store(), second_wake_), kMaxHeld);
  }

  // A spills and loses its partitions before the commit: exactly-once, A stops (and
  // starts again later on its own directory); at-least-once, A goes on without them.
  // B, with an empty state directory, restores them, processes the records before index
  // `b_until` and stops; A gets them back, catches up from its own copy, whose spilled
  // timers the changelog never saw, and processes the rest. The outputs and the state
  // are those of the uninterrupted run.
  void MoveAwayAndBack(size_t b_until, bool transactional) {
    Log log;
    auto a = std::make_unique<Instance>(&config_, dir_.File("a"), &log, transactional);
    SpillUncommitted(*a);
    const ops::Status lost = a->topology().OnLost(AllPartitions());
    std::vector<std::string> outputs = a->sink().outputs;
    if (transactional) {
      ASSERT_EQ(lost.code(), ops::StatusCode::kAborted);
      a.reset();
    } else {
      ASSERT_TRUE(lost.ok()) << lost.ToString();
    }
    {
      Instance b(&config_, dir_.File("b"), &log, transactional);
      b.Run(stream_, b.Assign(), b_until, kCommitEvery);
      b.Stop();
      outputs.insert(outputs.end(), b.sink().outputs.begin(), b.sink().outputs.end());
    }
    const size_t a_before = transactional ? 0 : a->sink().outputs.size();
    if (transactional) a = std::make_unique<Instance>(&config_, dir_.File("a"), &log, true);
    ASSERT_GE(testutil::StoredTimersAt(a->store(), second_wake_), kMaxHeld) << "still spilled";
    a->Run(stream_, a->Assign(), stream_.size(), kCommitEvery);
    const auto& a_outputs = a->sink().outputs;
    outputs.insert(outputs.end(), a_outputs.begin() + static_cast<ptrdiff_t>(a_before),
                   a_outputs.end());
    EXPECT_EQ(outputs, expected_outputs_);
    EXPECT_EQ(a->States(), expected_states_);
    EXPECT_EQ(testutil::StoredTimersAt(a->store(), second_wake_), 0) << "fired or dropped";
  }
};

TEST_F(SpilledTimersTest, AnAbortAfterASpillEndsAsAnUninterruptedRun) {
  Log log;
  Instance a(&config_, dir_.File("a"), &log, /*transactional=*/true);
  SpillUncommitted(a);
  const auto rewound = a.AbortNextCommitAndRewind();
  EXPECT_EQ(rewound.at(state::Partition(0)), static_cast<int64_t>(Tick(1)));
  a.Run(stream_, rewound, stream_.size(), kCommitEvery);
  EXPECT_EQ(a.sink().outputs, expected_outputs_);
  EXPECT_EQ(a.States(), expected_states_);
}

// Back on A before the second midnight: A's spilled wakes fire there with the restored
// ones.
TEST_F(SpilledTimersTest, SpilledWakesOfALostPartitionFireOnceWhenItComesBack) {
  MoveAwayAndBack(Tick(2), /*transactional=*/true);
}

TEST_F(SpilledTimersTest, AtLeastOnceSpilledWakesOfALostPartitionFireOnceWhenItComesBack) {
  MoveAwayAndBack(Tick(2), /*transactional=*/false);
}

// Back on A after B fired the second midnight: A's spilled wakes are behind the
// restored fired-through time, and are deleted with the timers fired through.
TEST_F(SpilledTimersTest, SpilledWakesOfALostPartitionThatFiredElsewhereAreDropped) {
  MoveAwayAndBack(Tick(3), /*transactional=*/true);
}

TEST_F(SpilledTimersTest, AtLeastOnceSpilledWakesOfALostPartitionThatFiredElsewhereAreDropped) {
  MoveAwayAndBack(Tick(3), /*transactional=*/false);
}

}  // namespace
}  // namespace topologies
