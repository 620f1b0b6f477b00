#pragma once

// The repartition step for input that is not keyed by customer id
// (input.keyed_by_customer: false): each record of one input partition is decoded just
// far enough to know its customer, and its original bytes go to the repartition topic
// keyed by that id, where the partition tasks read them. Bad records are dead-lettered
// here, so that the repartition topic holds only records with a customer.
//
// The forwarder keeps no state: its input offsets are committed with the consumer group
// (in the transaction under exactly-once), not in the changelog, whose partitions belong
// to the tasks of the repartition topic.
//
// Owned by the Topology; used from the processing thread only; not thread-safe.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ops/status.h"
#include "processors/decoder.h"
#include "topologies/partition_task.h"

namespace topologies {

class Forwarder {
 public:
  // `ctx` must outlive the forwarder.
  Forwarder(state::Partition p, const TaskContext& ctx);

  // Forwards one input record of this partition, or dead-letters it. An error means the
  // sink failed and is fatal.
  ops::Status Forward(const InputRecord& r);
  // Adds the offsets consumed since the last commit to `offsets`.
  void CollectCommit(std::vector<std::pair<state::TopicPartition, state::Offset>>& offsets) const;
  // The offsets from CollectCommit are committed.
  void AfterCommit();
  // The next CollectCommit returns every position again, changed or not (the
  // assignment changed: the consumer group may not have them yet).
  void RecommitPositions() {
    for (auto& [topic, pos] : positions_) pos.dirty = true;
  }
  // After an aborted transaction: where each topic resumes (the last committed offset,
  // else the first offset read since assignment), and forgets what came after.
  std::vector<std::pair<state::TopicPartition, state::Offset>> Rewind();

 private:
  struct Position {
    std::optional<state::Offset> first;      // of the first record read since assignment
    std::optional<state::Offset> committed;  // the next offset, as last committed
    state::Offset next;
    bool dirty = false;
  };

  state::Partition partition_;
  TaskContext ctx_;
  processors::Decoder decoder_;
  std::map<std::string, Position, std::less<>> positions_;  // by topic
};

}  // namespace topologies
