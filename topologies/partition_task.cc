#include "topologies/partition_task.h"

#include <algorithm>

#include "processors/features.h"
#include "processors/segment_change.h"
#include "processors/timestamp.h"

namespace topologies {

using processors::InvalidReason;

ops::Result<std::unique_ptr<PartitionTask>> PartitionTask::Create(state::Partition p,
                                                                  const TaskContext& ctx) {
  std::unique_ptr<PartitionTask> task(new PartitionTask(p, ctx));
  auto stream_time = ctx.store->GetStreamTime(p);
  if (!stream_time.ok()) return stream_time.status();
  if (stream_time->has_value()) task->stream_time_ = **stream_time;
  return task;
}

PartitionTask::PartitionTask(state::Partition p, const TaskContext& ctx)
    : partition_(p),
      ctx_(ctx),
      decoder_(ToDecoderOptions(ctx.config->input)),
      features_(ctx.config->features, static_cast<uint64_t>(p.value()) + 1) {}

ops::Status PartitionTask::Process(const InputRecord& r) {
  ++ctx_.counters->events_in;
  Advance(r);
  const processors::Decoded d = decoder_.Decode(r.value);
  if (d.status != processors::DecodeStatus::kOk) {
    return DeadLetter(r, d.reason, decoder_.error_message());
  }
  const processors::Event& e = d.event;
  const auto& processing = ctx_.config->processing;
  if (e.time.value() > ctx_.clock().value() + processing.max_future_ms) {
    return DeadLetter(r, InvalidReason::kTimestampInFuture,
                      "event time " + processors::FormatIso8601(e.time) +
                          " is more than processing.max_future_ms ahead of the wall clock");
  }
  if (e.time.value() < stream_time_.value() - processing.allowed_lateness_ms) {
    return DeadLetter(r, InvalidReason::kTooLate,
                      "event time " + processors::FormatIso8601(e.time) +
                          " is older than stream time " + processors::FormatIso8601(stream_time_) +
                          " minus processing.allowed_lateness_ms");
  }
  if (e.time > stream_time_) {
    stream_time_ = e.time;
    stream_time_dirty_ = true;
  }
  auto entry = Lookup(e.customer_id);
  if (!entry.ok()) return entry.status();
  features_.Apply(e, (*entry)->state);
  (*entry)->dirty = true;
  ++ctx_.counters->events_valid;
  return EvaluateSegments(e.customer_id, **entry, e.time);
}

void PartitionTask::Advance(const InputRecord& r) {
  auto it = positions_.find(r.topic);
  if (it == positions_.end()) {
    it = positions_.emplace(std::string(r.topic), Position{}).first;
    it->second.consumed = ctx_.probe->ConsumedCounter(r.topic, partition_);
  }
  it->second.next = state::Offset(r.offset.value() + 1);
  it->second.dirty = true;
  it->second.consumed.Inc();
}

ops::Result<PartitionTask::Entry*> PartitionTask::Lookup(std::string_view customer_id) {
  if (auto it = cache_.find(customer_id); it != cache_.end()) return &it->second;
  auto stored = ctx_.store->GetCustomer(partition_, customer_id);
  if (!stored.ok()) return stored.status();
  Entry entry;
  if (stored->has_value()) entry.state = std::move(**stored);
  return &cache_.emplace(std::string(customer_id), std::move(entry)).first->second;
}

ops::Status PartitionTask::EvaluateSegments(std::string_view customer_id, Entry& entry,
                                            state::TimeMs at) {
  const processors::SegmentDefinition* now = ctx_.ladder->Evaluate(entry.state);
  const std::string_view next = now != nullptr ? std::string_view(now->name) : std::string_view();
  if (next == entry.state.segment) return ops::Status::Ok();
  const std::string rule = now != nullptr ? processors::SegmentLadder::RuleText(*now) : "";
  processors::SegmentChange change{
      .customer_id = customer_id,
      .previous_segment = entry.state.segment,
      .segment = next,
      .rule = rule,
      .changed_at = at,
      .detected_at = ctx_.clock(),
      .events_total = entry.state.events_total,
  };
  out_.clear();
  processors::WriteSegmentChangeJson(change, &out_);
  ENGAGED_RETURN_IF_ERROR(ctx_.sink->Emit(OutputStream::kSegmentChanges, customer_id, out_, {}));
  ctx_.probe->OnSegmentChange(entry.state.segment, next);
  ++ctx_.counters->segment_changes;
  entry.state.segment = std::string(next);
  entry.state.segment_entered_at = at;
  return ops::Status::Ok();
}

ops::Status PartitionTask::DeadLetter(const InputRecord& r, InvalidReason reason,
                                      std::string_view message) {
  ctx_.probe->OnInvalid(reason);
  ctx_.probe->OnDeadLetter();
  ++ctx_.counters->invalid[static_cast<size_t>(reason)];
  const std::string partition = std::to_string(r.partition.value());
  const std::string offset = std::to_string(r.offset.value());
  const std::string timestamp = std::to_string(r.timestamp.value());
  const Header headers[] = {
      {"error.code", processors::InvalidReasonName(reason)},
      {"error.message", message},
      {"source.topic", r.topic},
      {"source.partition", partition},
      {"source.offset", offset},
      {"source.timestamp", timestamp},
  };
  const size_t n = r.timestamp.value() >= 0 ? std::size(headers) : std::size(headers) - 1;
  return ctx_.sink->Emit(OutputStream::kDeadLetters, r.key, r.value,
                         std::span<const Header>(headers, n));
}

void PartitionTask::CollectCommit(
    state::StoreBatch& batch, std::vector<std::pair<state::TopicPartition, state::Offset>>& offsets) {
  for (const auto& [id, entry] : cache_) {
    if (entry.dirty) batch.PutCustomer(partition_, id, entry.state);
  }
  for (auto& [topic, pos] : positions_) {
    if (!pos.dirty) continue;
    state::TopicPartition tp{topic, partition_};
    batch.PutOffset(tp, pos.next);
    offsets.emplace_back(std::move(tp), pos.next);
  }
  if (stream_time_dirty_) batch.PutStreamTime(partition_, stream_time_);
}

void PartitionTask::AfterCommit() {
  for (auto& [topic, pos] : positions_) pos.dirty = false;
  stream_time_dirty_ = false;
  const auto limit = static_cast<size_t>(ctx_.config->state.max_cached_customers);
  if (cache_.size() > limit) {
    // Everything was just committed, so every entry is clean and may go. A real LRU
    // arrives with the byte-bounded cache of issue #5.
    cache_.clear();
    return;
  }
  for (auto& [id, entry] : cache_) entry.dirty = false;
}

}  // namespace topologies
