#pragma once

// The work of one input partition: decode, validate, update customer state, evaluate
// segments, emit outputs. It owns that partition's write-back cache of customers and
// its position (next offsets, stream time).
//
// Owned by the Topology; used from the processing thread only; not thread-safe.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ops/metrics.h"
#include "ops/status.h"
#include "processors/decoder.h"
#include "processors/features.h"
#include "processors/invalid_reason.h"
#include "processors/segments.h"
#include "state/customer_state.h"
#include "state/store.h"
#include "topologies/clock.h"
#include "topologies/config.h"
#include "topologies/io.h"
#include "topologies/topology_probe.h"

namespace topologies {

// Counts kept for `replay`'s summary.json.
struct TopologyCounters {
  int64_t events_in = 0;
  int64_t events_valid = 0;
  std::array<int64_t, processors::kInvalidReasonCount> invalid{};
  int64_t segment_changes = 0;
};

// What every task shares. Owned by the Topology; outlives its tasks.
struct TaskContext {
  const Config* config;
  state::Store* store;
  Sink* sink;
  TopologyProbe* probe;
  const processors::SegmentLadder* ladder;
  Clock clock;
  TopologyCounters* counters;
};

class PartitionTask {
 public:
  // Loads the partition's stream time from the store.
  static ops::Result<std::unique_ptr<PartitionTask>> Create(state::Partition p,
                                                            const TaskContext& ctx);

  // Processes one record of this partition. Bad input is dead-lettered and is not an
  // error; an error means the sink or the store failed, and is fatal to the process.
  ops::Status Process(const InputRecord& r);

  // Adds this task's dirty customers, offsets and stream time to `batch`, and the
  // offsets to `offsets`.
  void CollectCommit(state::StoreBatch& batch,
                     std::vector<std::pair<state::TopicPartition, state::Offset>>& offsets);
  // The batch from CollectCommit is durable: mark everything clean and trim the cache.
  void AfterCommit();

 private:
  struct Entry {
    state::CustomerState state;
    bool dirty = false;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Cache = std::unordered_map<std::string, Entry, StringHash, std::equal_to<>>;

  PartitionTask(state::Partition p, const TaskContext& ctx);
  ops::Result<Entry*> Lookup(std::string_view customer_id);
  ops::Status DeadLetter(const InputRecord& r, processors::InvalidReason reason,
                         std::string_view message);
  ops::Status EvaluateSegments(std::string_view customer_id, Entry& entry, state::TimeMs at);
  void Advance(const InputRecord& r);

  state::Partition partition_;
  TaskContext ctx_;
  processors::Decoder decoder_;
  processors::FeatureUpdater features_;  // built once from config.features
  Cache cache_;
  struct Position {
    state::Offset next;
    bool dirty = false;
    ops::Counter consumed;
  };
  std::map<std::string, Position, std::less<>> positions_;  // by topic
  state::TimeMs stream_time_{0};
  bool stream_time_dirty_ = false;
  std::string out_;  // reused output buffer
};

}  // namespace topologies
