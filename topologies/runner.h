#pragma once

// The poll loop: Source -> Topology -> commit, until the input ends or a stop is
// requested. Runs on the thread that calls Run (the processing thread).

#include <atomic>
#include <map>
#include <span>
#include <utility>

#include "ops/status.h"
#include "topologies/clock.h"
#include "topologies/config.h"
#include "topologies/io.h"
#include "topologies/topology.h"
#include "topologies/topology_probe.h"

namespace topologies {

class Runner {
 public:
  // All pointers must outlive the Runner. `probe` receives the end-to-end latency of
  // each record and the time of each commit; null records nothing.
  Runner(const ProcessingConfig* config, Source* source, Topology* topology, Clock clock,
         const TopologyProbe* probe = nullptr);

  // Processes until the source ends or `stop` becomes true, committing every partition
  // every commit_interval_ms (at-least-once: one partition at a time, spread over the
  // interval) and all of them once more at the end, then closes the source (which
  // revokes, and so commits, its partitions).
  ops::Status Run(const std::atomic<bool>& stop);

 private:
  // Every partition, the next one (Topology::CommitNext), or those whose write-back
  // caches are too full (Topology::CommitFull).
  enum class Scope { kAll, kNextPartition, kFull };
  // Commits; on an aborted transaction, rewinds (and the source is sought back) and
  // returns false. At-least-once, commits nothing (false too) while MayCommit says no.
  // `write`: see Topology::Commit.
  ops::Result<bool> CommitNow(StoreWrite write, Scope scope, bool wait_out_hold = true);
  // At-least-once has no fencing, so the loop commits nothing once the source's
  // assignment is lost (the loss drops the work at a later poll), nor, after a stall of
  // the loop longer than half the group session (the process was stopped, say), until
  // a heartbeat interval has passed: librdkafka notices a lost session only once its
  // own threads run again, and a commit made first would land in the changelog after
  // the new owner's. With `wait`, waits out that hold instead of refusing.
  bool MayCommit(bool wait);
  // The scope of a commit a full write-back cache asks for: its partition alone under
  // at-least-once with several partitions, else all (a transaction spans them all).
  Scope FullCacheScope() const;
  // Processes the source's current record, committing first as often as the topology
  // asks (Processed::kCommitFirst). False when it is not processed: such a commit
  // rewound (the record comes again), did not happen as the assignment was lost (its
  // partition's new owner processes it), or `stop` became true meanwhile (the last
  // commit leaves the record to the next start).
  ops::Result<bool> ProcessRecord(const InputRecord& record, const std::atomic<bool>& stop);

  // At-least-once: hands the committed offsets to the consumer group (for lag tools)
  // at most once per commit interval, however many partition commits came between:
  // each group offset commit is a request to the broker, and one refused during a
  // rebalance costs librdkafka 2.0 the whole assignment (Runner::CommitNow).
  void CommitGroupOffsets(std::span<const std::pair<state::TopicPartition, state::Offset>> offsets,
                          bool now);

  const ProcessingConfig* config_;
  Source* source_;
  Topology* topology_;
  Clock clock_;
  const TopologyProbe* probe_;
  bool lost_logged_ = false;  // "assignment lost; not committing" said for this loss
  // MayCommit's stall detection: a turn of the loop that took longer than stall_ms_
  // (half the session timeout; 0: none) holds commits for hold_ms_ (a heartbeat
  // interval) from when it is seen.
  int64_t stall_ms_ = 0;
  int64_t hold_ms_ = 0;
  state::TimeMs turn_start_{0};  // when the current turn of the loop began (the last ended)
  state::TimeMs hold_until_{0};
  int consecutive_aborts_ = 0;  // aborted commits since the last successful one
  // Offsets committed since the last group offset commit, and the assignment they
  // belong to (Topology::assignment_changes()).
  std::map<state::TopicPartition, state::Offset> group_offsets_;
  int64_t group_offsets_assignment_ = 0;
  state::TimeMs next_group_commit_{0};
};

}  // namespace topologies
