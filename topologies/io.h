#pragma once

// The seams between the topology and the outside world: a Source of input records
// and a Sink for output records. Kafka and files both implement them, so `run` and
// `replay` share every line of processing code.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "ops/status.h"
#include "state/types.h"

namespace topologies {

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
  // Leaves the consumer group (revoking every partition) and closes.
  [[nodiscard]] virtual ops::Status Close() = 0;
};

}  // namespace topologies
