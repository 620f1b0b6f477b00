#include "bench/load/passthrough.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "topologies/clock.h"
#include "topologies/io.h"
#include "topologies/kafka/kafka_io.h"

namespace load {
namespace {

// As topologies::Runner.
constexpr int kPollTimeoutMs = 100;

// The next offset of each partition consumed since the last commit, by topic then
// partition. Looked up by the record's topic view: no allocation per record.
using Offsets = std::map<std::string, std::map<state::Partition, state::Offset>, std::less<>>;

// Flushes, then tells the source which offsets are durable (the group commit).
ops::Status Commit(topologies::Sink& sink, topologies::Source& source, Offsets& pending) {
  std::vector<std::pair<state::TopicPartition, state::Offset>> offsets;
  for (auto& [topic, partitions] : pending) {
    for (const auto& [partition, offset] : partitions) {
      offsets.emplace_back(state::TopicPartition{topic, partition}, offset);
    }
    partitions.clear();
  }
  if (offsets.empty()) return ops::Status::Ok();
  ENGAGED_RETURN_IF_ERROR(sink.Flush());
  source.OnCommitted(offsets);
  return ops::Status::Ok();
}

void Advance(Offsets& pending, const topologies::InputRecord& r) {
  auto it = pending.find(r.topic);
  if (it == pending.end()) it = pending.emplace(std::string(r.topic), Offsets::mapped_type()).first;
  it->second[r.partition] = state::Offset(r.offset.value() + 1);
}

ops::Status Loop(topologies::Source& source, topologies::Sink& sink, int64_t commit_interval_ms,
                 const std::atomic<bool>& stop) {
  Offsets pending;
  state::TimeMs next_commit(topologies::SystemNow().value() + commit_interval_ms);
  while (!stop.load(std::memory_order_relaxed)) {
    auto polled = source.Poll(kPollTimeoutMs);
    if (!polled.ok()) return polled.status();
    if (*polled == topologies::PollStatus::kRecord) {
      const topologies::InputRecord& r = source.record();
      ENGAGED_RETURN_IF_ERROR(
          sink.Emit(topologies::OutputStream::kSegmentChanges, r.key, r.value, {}));
      Advance(pending, r);
    }
    if (topologies::SystemNow() >= next_commit) {
      ENGAGED_RETURN_IF_ERROR(Commit(sink, source, pending));
      next_commit = state::TimeMs(topologies::SystemNow().value() + commit_interval_ms);
    }
  }
  return Commit(sink, source, pending);
}

}  // namespace

ops::Status RunPassthrough(const topologies::Config& config, const std::atomic<bool>& stop) {
  auto sink = topologies::kafka::OpenKafkaSink(
      {.properties = config.kafka,
       .segment_changes_topic = config.output.segment_changes_topic,
       .dead_letters_topic = config.output.dead_letters_topic,
       .churn_risk_topic = {},
       .probe = nullptr,
       .changelog_topic = {},
       .repartition_topic = {},
       .transactional_id = {},
       .consumer = nullptr});
  if (!sink.ok()) return sink.status();
  auto source = topologies::kafka::OpenKafkaSource({.properties = config.kafka,
                                                    .group_id = config.application_id,
                                                    .topics = config.input.topics,
                                                    .read_committed = false,
                                                    .probe = nullptr});
  if (!source.ok()) return source.status();
  // No listener: partitions start from the group's committed offsets.
  ops::Status status = Loop(**source, **sink, config.processing.commit_interval_ms, stop);
  if (!status.ok()) {
    (*source)->Close().IgnoreError();  // already failing; report the first error
    return status;
  }
  return (*source)->Close();
}

}  // namespace load
