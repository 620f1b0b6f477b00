#pragma once

// Kafka as a Source and a Sink. librdkafka's headers stay inside topologies/kafka/*.cc.

#include <functional>
#include <map>
#include <memory>
#include <optional>
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
  // Exactly-once: read only committed input (isolation.level=read_committed).
  bool read_committed = false;
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
  // The changelog topic (state/changelog.h); empty: none.
  std::string changelog_topic;
  // The repartition topic (input.keyed_by_customer false); empty: none.
  std::string repartition_topic;
  // Non-empty: exactly-once. Outputs, changelog records and the consumed offsets go in
  // transactions with this transactional.id, fenced against any earlier instance with
  // the same id (init_transactions aborts what it left open).
  std::string transactional_id;
  // The consumer whose offsets join the transactions (its group metadata fences zombies).
  // REQUIRED when transactional_id is set; must outlive the sink.
  Source* consumer = nullptr;
};

// An idempotent (or transactional) producer. Outputs are keyed by customer id. Used from
// the processing thread only.
ops::Result<std::unique_ptr<Sink>> OpenKafkaSink(const KafkaSinkOptions& options);

struct ChangelogReaderOptions {
  Properties properties;
  std::string topic;
  // Waits at most this long for an open transaction on a partition being restored to
  // end (the broker aborts one after transaction.timeout.ms). Unit: ms.
  int open_transaction_wait_ms = 70000;
};

// A consumer outside the group that reads the changelog back (read_committed).
ops::Result<std::unique_ptr<ChangelogReader>> OpenChangelogReader(
    const ChangelogReaderOptions& options);

struct ChangelogWatchOptions {
  Properties properties;
  std::string topic;
  // Between two checks. Unit: ms; > 0.
  int64_t interval_ms = 300000;
  // A check without an answer by then has failed. Shutdown waits for at most one check
  // in flight. Unit: ms.
  int timeout_ms = 5000;
  // Receives each check's result. Must outlive the watch.
  KafkaProbe* probe = nullptr;
  // Called from the watch's thread with each check's delete.retention.ms (nullopt when
  // missing or not a number).
  std::function<void(std::optional<int64_t>)> on_delete_retention;
};

// Reads the changelog topic's configs every interval_ms on a thread of its own, until
// destroyed, after the check at start (PrepareInternalTopics): a cleanup.policy that is
// no longer `compact` is logged as an error at every check and sets
// engaged_changelog_topic_compacted to 0 (engaged goes on: stopping would not save the
// records the broker deletes); a failed check is counted and logged.
class ChangelogWatch {
 public:
  virtual ~ChangelogWatch() = default;
};
ops::Result<std::unique_ptr<ChangelogWatch>> StartChangelogWatch(
    const ChangelogWatchOptions& options);

struct InternalTopicsOptions {
  Properties properties;
  std::vector<std::string> input_topics;
  std::string changelog_topic;
  // Created (not compacted) with the input's partition count when set.
  std::string repartition_topic;
  // -1: the broker's default.replication.factor.
  int replication_factor = -1;
  int timeout_ms = 15000;
};

struct InternalTopics {
  int partitions = 0;  // of every input topic
  // The changelog topic's delete.retention.ms: how long the broker keeps a tombstone
  // after compaction reaches it. nullopt: no changelog, or its configs could not be
  // read (the broker's reason is logged).
  std::optional<int64_t> changelog_delete_retention_ms;
};

// Checks that the input topics agree on their partition count, creates the changelog
// topic (compacted) and the repartition topic with the same partition count when they
// are missing, and refuses, naming both counts, an existing one whose partition count
// differs, and an existing changelog whose cleanup.policy is not exactly `compact` (the
// broker would delete customers' state by age).
ops::Result<InternalTopics> PrepareInternalTopics(const InternalTopicsOptions& options);

}  // namespace topologies::kafka
