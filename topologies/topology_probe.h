#pragma once

// The topology's and the process's metrics. Only this class knows their names; the
// topology, the runner and the composition root call its methods. Owned by the
// composition root; used from the processing thread, except SetReady, which the HTTP
// thread calls (every series is thread-safe, so /metrics may read them concurrently).
// Kafka client metrics (lag, produced records) live in topologies/kafka/kafka_probe.h.

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "ops/metrics.h"
#include "processors/invalid_reason.h"
#include "state/types.h"

namespace topologies {

class TopologyProbe {
 public:
  // A probe that records nothing (replay without metrics, tests).
  TopologyProbe() = default;
  // Registers every series that has no variable label, so that dashboards and alerts
  // see them from the first scrape; engaged_build_info is set to 1.
  explicit TopologyProbe(ops::MetricsRegistry* registry);

  // The consumed-records series of one input partition; tasks keep the handle so
  // that counting a record is one atomic add.
  ops::Counter ConsumedCounter(std::string_view topic, state::Partition p) const;
  void OnInvalid(processors::InvalidReason reason);
  void OnDeadLetter() const { dead_letters_.Inc(); }
  // A valid event whose name the taxonomy does not know (it counts as `custom`).
  void OnUnmapped() const { unmapped_.Inc(); }
  // A valid event dropped because its event id was seen within the dedup horizon.
  void OnDuplicate() const { duplicates_.Inc(); }
  // A record that is not an engagement event (identify, page_ping, ...), dropped.
  void OnIgnored() const { ignored_.Inc(); }
  void OnSegmentChange(std::string_view from, std::string_view to);
  // A churn-risk event emitted for a customer entering `band` (low, medium, high).
  void OnChurnChange(std::string_view band) const;
  // The customers per segment and churn band of the partitions this instance holds
  // (state::MemberCounts labels); labels missing from `totals` go to 0.
  void SetMembers(const std::map<std::string, int64_t, std::less<>>& totals);
  // A wake timer fired (stale ones included).
  void OnTimerFired() const { timers_fired_.Inc(); }
  // `n` wake timers were written to the store ahead of their commit.
  void OnTimersSpilled(int64_t n) const { timers_spilled_.Inc(static_cast<double>(n)); }
  void OnCommit(double seconds) const { commit_seconds_.Observe(seconds); }
  // A commit's store write landed after `seconds`.
  void OnStoreWrite(double seconds) const { store_write_seconds_.Observe(seconds); }
  void OnProcessed(double seconds) const { processing_seconds_.Observe(seconds); }
  // Time from the input record's broker timestamp to the end of its processing (its
  // outputs, if any, handed to the producer). Negative values (clock skew) count as 0.
  void OnEndToEnd(double seconds) const { end_to_end_seconds_.Observe(seconds < 0 ? 0 : seconds); }
  // A commit finished at `now` (wall clock).
  void OnCommitted(state::TimeMs now) const {
    last_commit_.Set(static_cast<double>(now.value()) / kMillisPerSecond);
  }
  void SetAssignedPartitions(int n) const { assigned_.Set(n); }
  void OnRebalance() const { rebalances_.Inc(); }
  // Changelog restores (state/changelog.h).
  void OnRestoreStart() const { restoring_.Inc(); }
  void OnRestoreEnd(int64_t records, double seconds) const {
    restoring_.Dec();
    restore_records_.Inc(static_cast<double>(records));
    restore_seconds_.Inc(seconds);
  }
  // An exactly-once transaction was aborted and the state rewound.
  void OnTransactionAborted() const { aborted_.Inc(); }
  // Records another writer appended to a changelog partition between two of this
  // instance's commits to it (at-least-once).
  void OnChangelogForeignRecords(int64_t n) const { foreign_.Inc(static_cast<double>(n)); }
  // Mirrors /readyz: 1 when it answers 200. Thread-safe.
  void SetReady(bool ready) const { ready_.Set(ready ? 1 : 0); }

 private:
  static constexpr double kMillisPerSecond = 1000.0;

  ops::MetricsRegistry* registry_ = nullptr;
  std::array<ops::Counter, processors::kInvalidReasonCount> invalid_{};
  std::map<std::pair<std::string, std::string>, ops::Counter> transitions_;
  std::map<std::string, ops::Gauge, std::less<>> members_;  // by MemberCounts label
  std::array<ops::Counter, 3> churn_events_{};              // low, medium, high
  ops::Counter timers_fired_;
  ops::Counter timers_spilled_;
  ops::Counter dead_letters_;
  ops::Counter unmapped_;
  ops::Counter duplicates_;
  ops::Counter ignored_;
  ops::Histogram commit_seconds_;
  ops::Histogram store_write_seconds_;
  ops::Histogram processing_seconds_;
  ops::Histogram end_to_end_seconds_;
  ops::Gauge last_commit_;
  ops::Gauge assigned_;
  ops::Counter rebalances_;
  ops::Gauge restoring_;
  ops::Counter restore_records_;
  ops::Counter restore_seconds_;
  ops::Counter aborted_;
  ops::Counter foreign_;
  ops::Gauge ready_;
};

}  // namespace topologies
