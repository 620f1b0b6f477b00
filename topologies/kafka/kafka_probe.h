#pragma once

// The Kafka clients' metrics: consumer lag per assigned partition (from librdkafka's
// statistics) and records produced per output topic (on delivery). Only this class
// knows their names. No librdkafka here: the composition root and tests include it.
//
// Owned by the composition root and shared by the source and the sink. Used from the
// processing thread only (librdkafka serves statistics and delivery reports inside
// the poll and flush calls made there); not thread-safe. The series it hands out are
// thread-safe.

#include <cstdint>
#include <optional>
#include <string_view>

#include "ops/metrics.h"
#include "state/types.h"

namespace topologies::kafka {

class KafkaProbe {
 public:
  // A probe that records nothing.
  KafkaProbe() = default;
  explicit KafkaProbe(ops::MetricsRegistry* registry) : registry_(registry) {}

  // The delivered-records counter of one output topic.
  ops::Counter ProducedCounter(std::string_view topic) const;
  // The lag of one assigned input partition: `records` behind the high watermark and
  // `seconds` behind the newest record (nullopt when unknown: the seconds series is
  // then left out).
  void SetLag(const state::TopicPartition& tp, int64_t records,
              std::optional<double> seconds) const;
  // Drops the lag series of a partition that is no longer assigned.
  void RemoveLag(const state::TopicPartition& tp) const;
  // The last check of the changelog topic's configs (ChangelogWatch): whether it is
  // compacted (cleanup.policy exactly `compact`).
  void SetChangelogCompacted(bool compacted) const;
  // A check of the changelog topic's configs failed (no answer, or not allowed).
  void OnChangelogCheckFailed() const;

 private:
  ops::MetricsRegistry* registry_ = nullptr;
};

}  // namespace topologies::kafka
