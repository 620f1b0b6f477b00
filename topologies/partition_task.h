#pragma once

// The work of one input partition: decode, validate, update customer state, evaluate
// segments, emit outputs. It owns that partition's write-back cache of customers and
// its position (next offsets, stream time).
//
// Owned by the Topology; used from the processing thread only; not thread-safe.

#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ops/metrics.h"
#include "ops/status.h"
#include "processors/decoder.h"
#include "processors/features.h"
#include "processors/invalid_reason.h"
#include "processors/segments.h"
#include "state/customer_cache.h"
#include "state/customer_state.h"
#include "state/store.h"
#include "topologies/clock.h"
#include "topologies/config.h"
#include "topologies/io.h"
#include "topologies/state_probe.h"
#include "topologies/timer_queue.h"
#include "topologies/topology_probe.h"

namespace topologies {

// Timers scheduled since the last commit are held by their task until the commit
// writes them, at about 80 B each. A midnight that wakes millions of silent customers
// schedules as many next-day wakes, so past this many per task, the ones this pass
// cannot fire go to the store at once (PartitionTask::SpillTimersAfter).
inline constexpr size_t kMaxPendingTimers = size_t{1} << 16;

// Counts kept for `replay`'s summary.json.
struct TopologyCounters {
  int64_t events_in = 0;
  int64_t events_valid = 0;
  std::array<int64_t, processors::kInvalidReasonCount> invalid{};
  int64_t segment_changes = 0;
  int64_t churn_events = 0;       // churn-risk band changes emitted
  int64_t duplicates = 0;         // valid events dropped by deduplication
  int64_t ignored = 0;            // records that are not engagement events (identify, ...)
  int64_t expired_customers = 0;  // deleted after state.retention_ms without events
  int64_t timers_fired = 0;       // wake timers fired (stale ones included)
  int64_t timers_spilled = 0;     // written to the store before their commit
  int64_t timers_held_peak = 0;   // the most timers a task held for its commit
};

class ChurnModels;

// What Process did with a record.
enum class Processed : uint8_t {
  kDone,
  // Nothing yet: the wakes due before the record filled the write-back cache with
  // customers they changed. Commit, then process the same record again: the wakes go
  // on after the last one fired.
  kCommitFirst,
};

// What every task shares. Owned by the Topology; outlives its tasks.
struct TaskContext {
  const Config* config;
  state::Store* store;
  Sink* sink;
  TopologyProbe* probe;
  const processors::SegmentLadder* ladder;
  const ChurnModels* churn;  // nullptr: churn risk is off
  Clock clock;
  TopologyCounters* counters;
  CacheCounters* cache_counters;  // published for the state probe
  // Waits for the commit's store write in flight, if any, and ends it in every task
  // (EndWrite). Called before the store's timers are read: the write may hold some.
  std::function<ops::Status()> land_store_write;
};

// Dead-letters `r` with the error headers of docs/dead-letters.md, and counts it.
ops::Status EmitDeadLetter(const TaskContext& ctx, const InputRecord& r,
                           processors::InvalidReason reason, std::string_view message);

class PartitionTask {
 public:
  // Loads the partition's stream time from the store.
  static ops::Result<std::unique_ptr<PartitionTask>> Create(state::Partition p,
                                                            const TaskContext& ctx);
  ~PartitionTask();
  PartitionTask(const PartitionTask&) = delete;
  PartitionTask& operator=(const PartitionTask&) = delete;

  // Processes one record of this partition. Bad input is dead-lettered and is not an
  // error; an error means the sink or the store failed, and is fatal to the process.
  ops::Result<Processed> Process(const InputRecord& r);

  // Fires the timers due by TimerTime() (stream time, or the wall clock when idle).
  // Their outputs must be flushed before CollectCommit's batch is written. Stops early,
  // and without error, when the wakes need a commit (NeedsCommit): the commit writes
  // what they did, and a later call goes on.
  ops::Status FireDueTimers();
  // Loads the stored next offset of `topic` (at assignment), so that the changelog's
  // meta record names every input topic of the partition; the next commit commits it
  // to the consumer group.
  void SetPosition(std::string_view topic, state::Offset next);
  // The next CollectCommit returns every position again, changed or not (the
  // assignment changed: the consumer group may not have them yet).
  void RecommitPositions() {
    for (auto& [topic, pos] : positions_) pos.dirty = true;
  }
  // Adds this task's dirty and expired customers, timers, offsets and stream time to
  // `batch`, and the offsets to `offsets`. With `changelog`, also writes the commit's
  // changelog records to the sink: every dirty customer (a tombstone for an expired
  // one), then the meta record that closes the commit; none when the partition did not
  // change. REQUIRES: FireDueTimers() since the last record.
  ops::Status CollectCommit(state::StoreBatch& batch,
                            std::vector<std::pair<state::TopicPartition, state::Offset>>& offsets,
                            bool changelog = false);
  // The commit of CollectCommit's batch is durable in the sink (outputs, changelog) and
  // its store write begins: what it holds is no longer dirty. Cached customers it
  // writes are kept until EndWrite, so that no lookup reads the store's older state.
  void BeginWrite();
  state::Partition partition() const { return partition_; }
  // The store write has landed: its customers may be evicted, its expired customers
  // leave the cache, and the cache is trimmed to its budget.
  void EndWrite();

  // The timer a customer restored from the changelog, last seen at `last_seen`, needs,
  // given that its partition's
  // timers fired through `fired_through` (state::changelog::NextTimerFn): its next wake,
  // or its expiry; firing it continues the chain as if it had never stopped.
  static std::optional<state::TimeMs> RestoredTimer(const TaskContext& ctx, state::TimeMs last_seen,
                                                    state::TimeMs fired_through);

  // True when the cache's dirty entries need a commit to stay within its bound.
  bool NeedsCommit() const { return cache_.NeedsCommit(); }
  // Committed-or-pending customers per segment ("segment:NAME") and churn band
  // ("churn:BAND") of this partition; the store holds the committed counts.
  const state::MemberCounts& member_counts() const { return members_; }
  // This task's share of the write-back cache budget. Unit: bytes.
  void SetCacheBudget(size_t bytes) { cache_.set_max_bytes(bytes); }

 private:
  PartitionTask(state::Partition p, const TaskContext& ctx);
  // Process without the bookkeeping of a record done (its offset, the count).
  ops::Result<Processed> Apply(const InputRecord& r);
  ops::Result<state::CustomerState*> Lookup(std::string_view customer_id);
  ops::Status DeadLetter(const InputRecord& r, processors::InvalidReason reason,
                         std::string_view message);
  ops::Status EvaluateSegments(std::string_view customer_id, state::CustomerState& s,
                               state::TimeMs at, bool* changed);
  ops::Status EvaluateChurn(std::string_view customer_id, state::CustomerState& s, state::TimeMs at,
                            bool* changed);
  void Advance(const InputRecord& r);
  // The time timers fire by: stream time, or the wall clock for an idle partition.
  state::TimeMs TimerTime() const;

  // Wake timers (docs/architecture.md, "Timers"). Every timer is due at a UTC midnight.
  // Schedules the first wake after `s` was updated by an event that moved last_seen
  // from `seen_before` (`was_new`: the customer's first event).
  void ScheduleAfterEvent(std::string_view customer_id, const state::CustomerState& s,
                          state::TimeMs seen_before, bool was_new);
  // Fires, in due order, every timer due at or before `limit` (a UTC midnight): the
  // store's and those scheduled since the last commit, including the ones that firing
  // schedules. False when it stopped first because the wakes filled the cache with
  // changed customers (NeedsCommit); the next call after the commit goes on.
  ops::Result<bool> FireTimers(state::TimeMs limit);
  // The earliest due time of a timer not fired yet that is due by `limit`, if any.
  ops::Result<std::optional<state::TimeMs>> NextTimerDue(state::TimeMs limit);
  // One pass of FireTimers: the store's timers in (fired_through_, limit] and the
  // pending ones due by `limit`, in (due, customer) order. False when it stopped for a
  // commit (only a pass that moves fired_through_ does).
  ops::Result<bool> FireThrough(state::TimeMs limit);
  // Holds a timer for the next commit.
  void HoldTimer(state::TimeMs due, std::string_view customer_id);
  // Writes the pending timers due after `limit` to the store now, in their own write,
  // and forgets them (see kMaxPendingTimers).
  ops::Status SpillTimersAfter(state::TimeMs limit);
  ops::Status OnWake(state::TimeMs due, std::string_view customer_id);
  void PublishCacheCounters();
  // Writes the changelog's meta record of this partition as it stands.
  ops::Status EmitMeta();
  // One customer moved from label `from` to `to` (an empty name: none).
  void CountMove(std::string_view kind, std::string_view from, std::string_view to);

  state::Partition partition_;
  TaskContext ctx_;
  processors::Decoder decoder_;
  processors::FeatureUpdater features_;  // built once from config.features
  state::CustomerCache cache_;
  struct Position {
    state::Offset next;
    bool dirty = false;
    ops::Counter consumed;
  };
  std::map<std::string, Position, std::less<>> positions_;  // by topic
  state::TimeMs stream_time_{0};
  bool stream_time_dirty_ = false;
  // Wall-clock time of the last record (or of the task's creation), for idleness.
  state::TimeMs last_record_wall_;
  std::string out_;                           // reused output buffer
  std::string key_;                           // reused changelog key buffer
  std::vector<std::string> expired_;          // customers expired since the last commit
  std::vector<std::string> expired_writing_;  // those of the store write in flight
  bool evaluates_silent_;                     // segments or churn: wake silent customers daily
  // Timers scheduled since the last commit, not yet in the store.
  TimerQueue pending_timers_;
  size_t spill_timers_at_ = kMaxPendingTimers;  // pending_timers_'s size that spills
  // Every store timer due at or before this has fired; the next commit deletes those
  // after committed_fired_through_.
  state::TimeMs fired_through_{std::numeric_limits<int64_t>::min()};
  state::TimeMs committed_fired_through_{std::numeric_limits<int64_t>::min()};
  // The last timer fired by a pass that stopped for a commit: the pass goes on after
  // it. Empty when no pass is stopped.
  std::optional<std::pair<state::TimeMs, std::string>> resume_after_;
  state::MemberCounts members_;
  bool members_dirty_ = false;
  uint64_t published_hits_ = 0;
  uint64_t published_misses_ = 0;
  size_t published_bytes_ = 0;
};

}  // namespace topologies
