#pragma once

// The topology's metrics. Only this class knows metric names; the topology calls its
// methods. Owned by the composition root; used from the processing thread (the
// underlying series are thread-safe, so /metrics may read them concurrently).

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
  explicit TopologyProbe(ops::MetricsRegistry* registry);

  // The consumed-records series of one input partition; tasks keep the handle so
  // that counting a record is one atomic add.
  ops::Counter ConsumedCounter(std::string_view topic, state::Partition p) const;
  void OnInvalid(processors::InvalidReason reason);
  void OnDeadLetter() const { dead_letters_.Inc(); }
  void OnSegmentChange(std::string_view from, std::string_view to);
  void OnCommit(double seconds) const { commit_seconds_.Observe(seconds); }
  void OnProcessed(double seconds) const { processing_seconds_.Observe(seconds); }
  void SetAssignedPartitions(int n) const { assigned_.Set(n); }
  void OnRebalance() const { rebalances_.Inc(); }

 private:
  ops::MetricsRegistry* registry_ = nullptr;
  std::array<ops::Counter, processors::kInvalidReasonCount> invalid_{};
  std::map<std::pair<std::string, std::string>, ops::Counter> transitions_;
  ops::Counter dead_letters_;
  ops::Histogram commit_seconds_;
  ops::Histogram processing_seconds_;
  ops::Gauge assigned_;
  ops::Counter rebalances_;
};

}  // namespace topologies
