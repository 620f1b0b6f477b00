#pragma once

// Kafka as a Source and a Sink. librdkafka's headers stay inside topologies/kafka/*.cc.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ops/status.h"
#include "topologies/io.h"

namespace topologies::kafka {

class KafkaProbe;

using Properties = std::map<std::string, std::string>;

struct KafkaSourceOptions {
  // librdkafka properties from the config's `kafka:` map.
  Properties properties;
  // The consumer group (the config's application_id).
  std::string group_id;
  std::vector<std::string> topics;
  // How long to wait for the cluster at start-up. Unit: ms.
  int startup_timeout_ms = 15000;
  // Receives the lag of each assigned partition every `statistics.interval.ms`
  // (a `kafka:` property; default kDefaultStatisticsIntervalMs, 0 turns it off).
  // Null records nothing. Must outlive the source.
  KafkaProbe* probe = nullptr;
};

// How often librdkafka reports statistics (and so how fresh the lag metrics are)
// unless `kafka: statistics.interval.ms` says otherwise. Unit: ms.
inline constexpr int kDefaultStatisticsIntervalMs = 5000;

// A consumer-group member with cooperative-sticky assignment. Offsets come from the
// state store through the PartitionListener; the group's committed offsets are
// updated after each commit for lag monitoring only.
// Used from the processing thread only.
ops::Result<std::unique_ptr<Source>> OpenKafkaSource(const KafkaSourceOptions& options);

struct KafkaSinkOptions {
  Properties properties;
  std::string segment_changes_topic;
  std::string dead_letters_topic;
  // Empty when churn risk is off: the topic is then neither checked nor written.
  std::string churn_risk_topic;
  // How long Flush waits for delivery. Unit: ms.
  int flush_timeout_ms = 30000;
  int startup_timeout_ms = 15000;
  // Counts delivered records per topic. Null records nothing. Must outlive the sink.
  KafkaProbe* probe = nullptr;
};

// An idempotent producer. Outputs are keyed by customer id. Used from the processing
// thread only.
ops::Result<std::unique_ptr<Sink>> OpenKafkaSink(const KafkaSinkOptions& options);

}  // namespace topologies::kafka
