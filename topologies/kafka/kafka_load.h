#pragma once

// The Kafka clients of the end-to-end load tool (bench/load): a producer of synthetic
// input, a reader of an output topic from its end, and a consumer group's progress.
// They live here because librdkafka stays inside topologies/kafka/; `engaged run` does
// not use them. Each object is used from one thread; none is thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ops/status.h"
#include "topologies/kafka/kafka_io.h"

namespace topologies::kafka {

// A keyed producer, partitioning like the Java client (murmur2) so that a customer's
// events land on one partition. Records carry CreateTime timestamps.
class LoadProducer {
 public:
  virtual ~LoadProducer() = default;
  // Queues one record (the bytes are copied); waits while librdkafka's queue is full.
  [[nodiscard]] virtual ops::Status Produce(std::string_view key, std::string_view value) = 0;
  // Waits until every queued record is acknowledged. Unit: ms.
  [[nodiscard]] virtual ops::Status Flush(int timeout_ms) = 0;
  // Records acknowledged by the broker so far.
  virtual int64_t delivered() const = 0;
};

// `properties` are librdkafka's (bootstrap.servers, ...). Defaults: linger.ms 5 and
// compression.type lz4, as engaged's sink.
ops::Result<std::unique_ptr<LoadProducer>> OpenLoadProducer(const Properties& properties,
                                                            const std::string& topic);

// One record read by a TopicTail. The views stay valid until the next Poll.
struct TailRecord {
  std::string_view key;
  std::string_view value;
};

// Reads every partition of a topic from the high watermarks it had when opened, so it
// sees exactly the records produced afterwards. Joins no group and commits nothing.
class TopicTail {
 public:
  virtual ~TopicTail() = default;
  // Waits up to `timeout_ms` for the next record; nullopt when none arrived.
  [[nodiscard]] virtual ops::Result<std::optional<TailRecord>> Poll(int timeout_ms) = 0;
};

ops::Result<std::unique_ptr<TopicTail>> OpenTopicTail(const Properties& properties,
                                                      const std::string& topic);

// Reads how far a consumer group got: its committed offsets and the topics' high
// watermarks, each summed over the partitions of a topic. Never joins the group.
class GroupProgress {
 public:
  virtual ~GroupProgress() = default;
  // Sum of the group's committed offsets on `topic` (a partition without a commit
  // counts 0).
  [[nodiscard]] virtual ops::Result<int64_t> Committed(const std::string& topic) = 0;
  // Sum of the high watermarks of `topic`: the records ever produced to it when its
  // log starts at 0.
  [[nodiscard]] virtual ops::Result<int64_t> HighWatermarks(const std::string& topic) = 0;
};

ops::Result<std::unique_ptr<GroupProgress>> OpenGroupProgress(const Properties& properties,
                                                              const std::string& group);

}  // namespace topologies::kafka
