#pragma once

// The seams between the topology and the outside world: a Source of input records
// and a Sink for output records. Kafka and files both implement them, so `run` and
// `replay` share every line of processing code.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "ops/status.h"
#include "state/types.h"

namespace topologies {

// A logical offset for Source::Seek: the first record the partition still has.
inline constexpr state::Offset kOffsetBeginning{-2};

// One input record. Views stay valid until the Source's next Poll.
struct InputRecord {
  std::string_view topic;
  state::Partition partition;
  state::Offset offset;
  std::string_view key;
  std::string_view value;
  state::TimeMs timestamp{-1};  // the broker's timestamp; -1 when unknown
};

// The output streams of SPEC §5.
enum class OutputStream : uint8_t {
  kSegmentChanges,
  kDeadLetters,
  kChurnRisk,
};
inline constexpr size_t kOutputStreamCount = 3;

struct Header {
  std::string_view key;
  std::string_view value;
};

// Where one commit's records of a changelog partition landed.
struct ChangelogSpan {
  state::Offset first{0};  // the offset of its first record
  state::Offset next{0};   // the offset after its last record
  int64_t records = 0;     // how many: next - first, unless another writer's interleave
};
using ChangelogSpans = std::map<state::Partition, ChangelogSpan>;

// Where outputs go. Used from the processing thread only.
class Sink {
 public:
  virtual ~Sink() = default;
  // Queues one record; the bytes are copied before it returns.
  [[nodiscard]] virtual ops::Status Emit(OutputStream stream, std::string_view key,
                                         std::string_view value,
                                         std::span<const Header> headers) = 0;
  // Blocks until every record queued so far is durable at its destination. An error
  // means some record may be lost: the caller must not commit past it.
  [[nodiscard]] virtual ops::Status Flush() = 0;

  // Queues `value`, re-keyed by customer id, to the repartition topic (when the input is
  // not keyed by customer), with the input record's broker `timestamp` (-1: none).
  [[nodiscard]] virtual ops::Status EmitRepartition(std::string_view customer_id,
                                                    std::string_view value,
                                                    state::TimeMs timestamp);
  // Queues one record of the changelog's partition `p` (`value` nullopt: a tombstone).
  // Only sinks with a changelog (changelog() true) accept it.
  [[nodiscard]] virtual ops::Status EmitChangelog(state::Partition p, std::string_view key,
                                                  std::optional<std::string_view> value);
  // Ends one unit of work. At-least-once: Flush. Exactly-once: `consumed` (the next
  // input offsets) joins the open transaction, which is committed, and the next one
  // begins. Returns, per changelog partition written to, where its records landed
  // (every record before `next` is durable).
  // An Aborted status means the transaction was aborted (nothing emitted since the
  // last commit will ever be visible) and a new one has begun: the caller rewinds its
  // state and input to the last commit. Any other error is fatal.
  [[nodiscard]] virtual ops::Result<ChangelogSpans> Commit(
      std::span<const std::pair<state::TopicPartition, state::Offset>> consumed);
  // Exactly-once: aborts the open transaction and begins the next. Otherwise nothing.
  [[nodiscard]] virtual ops::Status Abort() { return ops::Status::Ok(); }
  // True when outputs and changelog records are written in transactions.
  virtual bool transactional() const { return false; }
  // True when EmitChangelog is accepted.
  virtual bool changelog() const { return false; }
};

inline ops::Status Sink::EmitRepartition(std::string_view, std::string_view, state::TimeMs) {
  return ops::Status::FailedPrecondition("this sink has no repartition topic");
}

inline ops::Status Sink::EmitChangelog(state::Partition, std::string_view,
                                       std::optional<std::string_view>) {
  return ops::Status::FailedPrecondition("this sink has no changelog");
}

inline ops::Result<ChangelogSpans> Sink::Commit(
    std::span<const std::pair<state::TopicPartition, state::Offset>>) {
  ENGAGED_RETURN_IF_ERROR(Flush());
  return ChangelogSpans();
}

// One record read back from the changelog.
struct ChangelogRecord {
  state::Partition partition;
  state::Offset offset;
  std::string_view key;
  std::optional<std::string_view> value;  // nullopt: a tombstone
};

// Reads the changelog topic back, for restores. Used from the processing thread only.
class ChangelogReader {
 public:
  virtual ~ChangelogReader() = default;
  // The first offset and the end (next) offset of partition `p`.
  [[nodiscard]] virtual ops::Result<std::pair<state::Offset, state::Offset>> Bounds(
      state::Partition p) = 0;
  // Calls `fn` for every committed record of each partition of `from` (partition, first
  // offset), from that offset to the end, and returns each partition's end (the next
  // offset after its last record or transaction marker), in the order of `from`. The
  // records of one partition come in offset order; partitions interleave. Waits for open
  // transactions on the partitions to finish first, so that nothing committed later is
  // missed.
  [[nodiscard]] virtual ops::Result<std::vector<state::Offset>> Read(
      std::span<const std::pair<state::Partition, state::Offset>> from,
      const std::function<ops::Status(const ChangelogRecord&)>& fn) = 0;
};

// Receives partition assignments. Called from inside Source::Poll, on the processing
// thread.
class PartitionListener {
 public:
  virtual ~PartitionListener() = default;
  // The offsets to start each partition from (nullopt: the group's committed offset,
  // or auto.offset.reset). One entry per partition, in order.
  [[nodiscard]] virtual ops::Result<std::vector<std::optional<state::Offset>>> OnAssigned(
      std::span<const state::TopicPartition> partitions) = 0;
  // The partitions are leaving: commit their work now.
  [[nodiscard]] virtual ops::Status OnRevoked(
      std::span<const state::TopicPartition> partitions) = 0;
  // The partitions were taken away (this member's session timed out): another member may
  // own them already. Default: as OnRevoked.
  [[nodiscard]] virtual ops::Status OnLost(std::span<const state::TopicPartition> partitions) {
    return OnRevoked(partitions);
  }
};

enum class PollStatus : uint8_t {
  kRecord,  // a record is available through Source::record()
  kIdle,    // nothing arrived within the timeout
  kEnd,     // the input is finished (files only)
};

// Where input comes from. Used from the processing thread only.
class Source {
 public:
  virtual ~Source() = default;
  virtual void SetListener(PartitionListener* listener) = 0;
  // Waits up to `timeout_ms` for the next record.
  [[nodiscard]] virtual ops::Result<PollStatus> Poll(int timeout_ms) = 0;
  // The record returned by the last Poll. REQUIRES: it returned kRecord.
  virtual const InputRecord& record() const = 0;
  // Tells the source which offsets are now durable in the state store, for
  // monitoring (the store, not the source, is the source of truth).
  virtual void OnCommitted(
      std::span<const std::pair<state::TopicPartition, state::Offset>> offsets) = 0;
  // Moves the next record of each partition to the offset given (after an aborted
  // transaction: back to the last commit).
  [[nodiscard]] virtual ops::Status Seek(
      std::span<const std::pair<state::TopicPartition, state::Offset>> offsets) = 0;
  // Leaves the consumer group (revoking every partition) and closes.
  [[nodiscard]] virtual ops::Status Close() = 0;
  // True once the group has taken every partition away (the session timed out), which
  // PartitionListener::OnLost then hears at a later Poll.
  virtual bool AssignmentLost() const { return false; }
  // The consumer group's session timeout and heartbeat interval (ms); zeros for a
  // source outside any group.
  struct GroupTimeouts {
    int64_t session_ms = 0;
    int64_t heartbeat_ms = 0;
  };
  virtual GroupTimeouts group_timeouts() const { return {}; }
};

}  // namespace topologies
