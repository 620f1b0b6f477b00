#pragma once

// The processing topology: routes each input record to the task of its partition,
// and commits. The same code serves `engaged run` (Kafka source and sink) and
// `engaged replay` (file source and sink).
//
// Commit protocol (at-least-once; docs/architecture.md):
//   0. fire the timers due (by stream time, or the wall clock on an idle partition);
//   1. flush the sink: every output of the records and timers so far is durable, then
//      the changelog records of the commit;
//   2. write every dirty customer, the next offsets and the stream times in one
//      RocksDB WriteBatch (with the WAL).
// A crash before 2 replays the records since the previous commit from the previous
// state (or, with a changelog, restores the commit from it), so outputs repeat with
// the same event ids and state counts each record once. With a changelog, step 2 may
// run on a helper thread while processing goes on (StoreWrite::kBackground).
//
// Owned by the composition root; used from the processing thread only, except
// ready() and assigned_partitions(), which are thread-safe.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <vector>

#include "ops/status.h"
#include "processors/segments.h"
#include "state/changelog.h"
#include "state/store.h"
#include "state/store_writer.h"
#include "topologies/churn_models.h"
#include "topologies/clock.h"
#include "topologies/config.h"
#include "topologies/forwarder.h"
#include "topologies/io.h"
#include "topologies/partition_task.h"
#include "topologies/topology_probe.h"

namespace topologies {

// How Commit writes the store. kBackground: on a helper thread, while processing goes
// on, when the sink has a changelog (the changelog already holds the commit, so a crash
// before the write lands is caught up by the next restore); otherwise as kWait.
enum class StoreWrite { kWait, kBackground };

class Topology : public PartitionListener {
 public:
  // All pointers must outlive the Topology. `churn` is null when churn risk is off; the
  // Topology reloads its models when their files change (at commits).
  // `changelog` reads the changelog back for restores; null when there is none (replay,
  // or state.changelog_topic empty): the sink then must not have one either.
  Topology(const Config* config, state::Store* store, Sink* sink, TopologyProbe* probe, Clock clock,
           ChurnModels* churn = nullptr, ChangelogReader* changelog = nullptr);

  // Processes one record. Bad input is dead-lettered, never an error; an error is a
  // failure of the sink or the store and is fatal. kCommitFirst: the record is not
  // processed yet; Commit, then call again with the same record (Processed).
  ops::Result<Processed> Process(const InputRecord& r);

  ~Topology() override;
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  // Runs the commit protocol above. Returns the offsets made durable in the sink (with
  // kWait, in the store too). An Aborted status: the exactly-once transaction was
  // aborted; call Rewind before processing on. Waits first for the previous commit's
  // store write; its failure is this commit's error.
  ops::Result<std::vector<std::pair<state::TopicPartition, state::Offset>>> Commit(
      StoreWrite write = StoreWrite::kWait);
  // Commits the task of one partition, the next after the one CommitNext committed
  // last (in partition order, round robin), and every repartitioning forwarder. The
  // poll loop then stops for about 1/N of a full commit, N times as often. Each
  // partition's commit stands alone (its customers, timers, offsets and changelog meta
  // record), so at-least-once holds per partition. Not under exactly-once: the
  // transaction spans every partition.
  ops::Result<std::vector<std::pair<state::TopicPartition, state::Offset>>> CommitNext(
      StoreWrite write);
  // Commits the tasks whose write-back caches hold too much that is dirty
  // (PartitionTask::NeedsCommit; every task when none does), and every repartitioning
  // forwarder: the one that filled stops the loop, not all. Like CommitNext, not under
  // exactly-once.
  ops::Result<std::vector<std::pair<state::TopicPartition, state::Offset>>> CommitFull(
      StoreWrite write);
  // How many partition tasks there are (CommitNext's round).
  size_t task_count() const { return tasks_.size(); }
  // Counts assignments and revocations (lost partitions included): offsets a commit
  // returned before the count last changed may name partitions no longer assigned.
  // Every partition still assigned after a change returns its offsets again from its
  // next commit, so dropping what came before loses none of them.
  int64_t assignment_changes() const { return assignment_changes_; }
  // Waits for the store write in flight, if any, and ends it (PartitionTask::EndWrite).
  // Its failure is fatal, like a failed Commit.
  ops::Status LandStoreWrite();
  // Replaces Store::Write for the commits' store writes (tests hold writes back), once
  // the write in flight, if any, has landed; its failure is returned, like
  // LandStoreWrite's.
  [[nodiscard]] ops::Status set_store_write(state::StoreWriter::WriteFn write);

  // After an aborted transaction: drops every task (their uncommitted state with them),
  // brings the store up to the changelog's last commit, and returns the offset each
  // assigned partition resumes from (for Source::Seek).
  ops::Result<std::vector<std::pair<state::TopicPartition, state::Offset>>> Rewind();

  ops::Result<std::vector<std::optional<state::Offset>>> OnAssigned(
      std::span<const state::TopicPartition> partitions) override;
  ops::Status OnRevoked(std::span<const state::TopicPartition> partitions) override;
  // Another member may own the partitions already, so nothing is committed.
  // At-least-once: their tasks are dropped with their work since their last commit; the
  // other partitions carry on, and a new assignment of these restores them as usual.
  // Exactly-once: the transaction is aborted and an Aborted status stops the process (a
  // restart restores from the changelog).
  ops::Status OnLost(std::span<const state::TopicPartition> partitions) override;

  // After a fatal error: drop all uncommitted work. Later revocations commit nothing,
  // so the next start resumes from the last good commit.
  void Abandon();

  // True when a task's write-back cache must commit to stay within its bound.
  bool NeedsCommit() const;
  // True from the start of a commit's store write beside processing
  // (StoreWrite::kBackground) until it has landed and its customers may be evicted.
  bool store_write_in_flight() const { return writer_->in_flight(); }

  const TopologyCounters& counters() const { return counters_; }
  const CacheCounters& cache_counters() const { return cache_counters_; }
  // True once the first assignment is done and no partition is being restored.
  bool ready() const { return ready_.load() && restoring_.load() == 0; }
  // True while a partition is being restored from the changelog.
  bool restoring() const { return restoring_.load() > 0; }
  // True when commits are transactions (exactly-once): they commit the group's offsets.
  bool transactional() const { return ctx_.sink->transactional(); }
  int assigned_partitions() const { return assigned_count_.load(); }
  // The age past which a partition's local copy is restored from the changelog's start
  // rather than caught up (LocalCopyMaxAgeMs; 0: no limit). Starts at the config's
  // state.local_copy_max_age_ms. Thread-safe: the changelog watch tightens or loosens it
  // when the topic's delete.retention.ms changes.
  int64_t local_copy_max_age_ms() const { return local_copy_max_age_ms_.load(); }
  void set_local_copy_max_age_ms(int64_t ms) { local_copy_max_age_ms_.store(ms); }
  // Whether this instance owns the state of partition `p` now (a partition that moved
  // away leaves a stale copy in the store). Thread-safe.
  bool Owns(state::Partition p) const;

 private:
  ops::Result<PartitionTask*> TaskFor(state::Partition p);
  // The commit protocol over `tasks` (and every forwarder).
  ops::Result<std::vector<std::pair<state::TopicPartition, state::Offset>>> CommitTasks(
      StoreWrite write, std::span<PartitionTask* const> tasks);
  bool Forwarded(std::string_view topic) const { return forwarded_topics_.contains(topic); }
  Forwarder& ForwarderFor(state::Partition p);
  // Brings the store's state of `partitions` up to the changelog's last commit, a group
  // of partitions at a time (RestoreGroup). Defined in topology_restore.cc.
  ops::Status RestoreAll(std::span<const state::Partition> partitions);
  struct Restoring;  // one partition's restore
  // Reads the records of every partition of `group` in one pass, on this thread, then
  // loads them (Restorer::Finish) on this thread and a helper.
  ops::Status RestoreGroup(std::span<const std::unique_ptr<Restoring>> group);
  // Ends one restore: metrics, the log line, and sealing what it discarded.
  ops::Status Restored(Restoring& r, ops::Result<state::changelog::RestoreStats> stats);
  // At-least-once: logs the committed state of `customers` (named by records of an
  // unfinished commit) and the committed meta record again, so that no later restore
  // applies those records with offsets they do not belong to.
  ops::Status SealUnfinishedCommit(state::Partition p, const std::vector<std::string>& customers);
  // Where the restore of `p` starts: nullopt when the store is up to date. Drops the
  // partition's local state (the restore then starts at the changelog's start) when it
  // cannot be caught up from its own position: none recorded, ahead of the changelog or
  // before its start, or older than state.local_copy_max_age_ms.
  ops::Result<std::optional<state::Offset>> RestoreStart(state::Partition p);
  // Records that the store's copy of `p` was current at wall-clock time `as_of`.
  ops::Status RecordCurrent(state::Partition p, state::TimeMs as_of);
  // At-least-once: counts and logs the records another writer put in partition `p`'s
  // changelog since this instance's last write to it (or its restore), given where this
  // commit's records landed.
  void CheckChangelogSpan(state::Partition p, const ChangelogSpan& span);
  // Creates the task of each of `partitions` (restoring it first) and returns the offset
  // each resumes from.
  ops::Result<std::vector<std::optional<state::Offset>>> StartTasks(
      std::span<const state::TopicPartition> partitions);
  // Splits the cache budget evenly over the tasks.
  void RebalanceCacheBudget();
  // Publishes the tasks' customers per segment and churn band.
  void PublishMembers();
  // Forgets `partitions` (logging `why` for each), and drops the tasks and forwarders
  // none of whose partitions is still assigned, committed or not.
  void Release(std::span<const state::TopicPartition> partitions, const char* why);

  state::Store* store_;
  TopologyProbe* probe_;
  ChurnModels* churn_;
  ChangelogReader* changelog_;
  processors::SegmentLadder ladder_;
  TopologyCounters counters_;
  CacheCounters cache_counters_;
  size_t cache_budget_bytes_;  // all tasks' write-back caches together
  TaskContext ctx_;
  // The last commit's store write; no task is dropped while one is in flight.
  std::unique_ptr<state::StoreWriter> writer_;
  int64_t writing_records_ = 0;                // in the write in flight, for the debug log
  uint64_t processed_ = 0;                     // records through Process, to time a sample
  std::vector<PartitionTask*> writing_tasks_;  // whose commit the write in flight holds
  state::Partition last_committed_{-1};        // by CommitNext
  // Per partition with a task: the changelog offset after this instance's last record
  // in it, or its restore's end; its next commit's records should start there.
  std::map<state::Partition, state::Offset> changelog_next_;
  std::map<state::Partition, std::unique_ptr<PartitionTask>> tasks_;
  // Input topics re-keyed through the repartition topic (input.keyed_by_customer false),
  // and the forwarder of each of their assigned partition numbers.
  std::set<std::string, std::less<>> forwarded_topics_;
  std::map<state::Partition, std::unique_ptr<Forwarder>> forwarders_;
  std::set<state::TopicPartition> assigned_;
  bool abandoned_ = false;
  int64_t assignment_changes_ = 0;
  // After an assignment change: counts it, and marks every position of the tasks and
  // forwarders still here to be committed again.
  void OnAssignmentChange();
  std::atomic<bool> ready_{false};
  std::atomic<int> assigned_count_{0};
  // The partitions whose state this instance owns, for Owns(); guarded by owned_mu_.
  mutable std::mutex owned_mu_;
  std::set<state::Partition> owned_;
  // Publishes the assignment to assigned_partitions() and Owns().
  void PublishAssignment();
  std::atomic<int> restoring_{0};
  std::atomic<int64_t> local_copy_max_age_ms_;
};

}  // namespace topologies
