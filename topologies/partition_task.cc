#include "topologies/partition_task.h"

#include <algorithm>

#include "processors/churn/risk_event.h"
#include "processors/decay.h"
#include "processors/dedup.h"
#include "processors/features.h"
#include "processors/segment_change.h"
#include "processors/timestamp.h"
#include "state/changelog.h"
#include "state/codec.h"
#include "topologies/churn_models.h"
#include "topologies/timer_days.h"

namespace topologies {

using processors::InvalidReason;
using timer_days::EvaluatesSilent;
using timer_days::MidnightAtOrBefore;

ops::Result<std::unique_ptr<PartitionTask>> PartitionTask::Create(state::Partition p,
                                                                  const TaskContext& ctx) {
  std::unique_ptr<PartitionTask> task(new PartitionTask(p, ctx));
  auto stream_time = ctx.store->GetStreamTime(p);
  if (!stream_time.ok()) return stream_time.status();
  if (stream_time->has_value()) task->stream_time_ = **stream_time;
  auto members = ctx.store->GetMemberCounts(p);
  if (!members.ok()) return members.status();
  task->members_ = std::move(members).value();
  auto fired = ctx.store->GetFiredThrough(p);
  if (!fired.ok()) return fired.status();
  if (fired->has_value()) {
    task->fired_through_ = task->committed_fired_through_ = **fired;
  }
  return task;
}

void PartitionTask::SetPosition(std::string_view topic, state::Offset next) {
  auto it = positions_.find(topic);
  if (it == positions_.end()) {
    it = positions_.emplace(std::string(topic), Position{}).first;
    it->second.consumed = ctx_.probe->ConsumedCounter(topic, partition_);
  }
  it->second.next = next;
  // Committed again at the next commit, so that the group's offset (which lag tools
  // read) catches up with a restored position even when no record follows.
  it->second.dirty = true;
}

ops::Status PartitionTask::EmitMeta() {
  state::changelog::PartitionMeta meta;
  meta.stream_time = stream_time_;
  meta.fired_through = fired_through_;
  meta.members = members_;
  for (const auto& [topic, pos] : positions_) meta.offsets.emplace_back(topic, pos.next);
  out_.clear();
  state::changelog::EncodeMeta(meta, &out_);
  return ctx_.sink->EmitChangelog(partition_, state::changelog::kMetaKey, out_);
}

PartitionTask::PartitionTask(state::Partition p, const TaskContext& ctx)
    : partition_(p),
      ctx_(ctx),
      decoder_(ToDecoderOptions(ctx.config->input)),
      features_(ctx.config->features, static_cast<uint64_t>(p.value()) + 1),
      cache_(0),
      last_record_wall_(ctx.clock()),
      evaluates_silent_(EvaluatesSilent(ctx)) {}

PartitionTask::~PartitionTask() {
  ctx_.cache_counters->bytes.fetch_sub(published_bytes_, std::memory_order_relaxed);
}

ops::Result<Processed> PartitionTask::Process(const InputRecord& r) {
  auto processed = Apply(r);
  if (processed.ok() && *processed == Processed::kDone) {
    ++ctx_.counters->events_in;
    Advance(r);
  }
  return processed;
}

ops::Result<Processed> PartitionTask::Apply(const InputRecord& r) {
  const state::TimeMs now = ctx_.clock();
  last_record_wall_ = now;
  const processors::Decoded d = decoder_.Decode(r.value);
  if (d.status == processors::DecodeStatus::kIgnored) {  // identify, page_ping, ...
    ++ctx_.counters->ignored;
    ctx_.probe->OnIgnored();
    return Processed::kDone;
  }
  if (d.status != processors::DecodeStatus::kOk) {
    ENGAGED_RETURN_IF_ERROR(DeadLetter(r, d.reason, decoder_.error_message()));
    return Processed::kDone;
  }
  const processors::Event& e = d.event;
  const auto& processing = ctx_.config->processing;
  if (e.time.value() > now.value() + processing.max_future_ms) {
    ENGAGED_RETURN_IF_ERROR(
        DeadLetter(r, InvalidReason::kTimestampInFuture,
                   "event time " + processors::FormatIso8601(e.time) +
                       " is more than processing.max_future_ms ahead of the wall clock"));
    return Processed::kDone;
  }
  if (e.time.value() < stream_time_.value() - processing.allowed_lateness_ms) {
    ENGAGED_RETURN_IF_ERROR(DeadLetter(
        r, InvalidReason::kTooLate,
        "event time " + processors::FormatIso8601(e.time) + " is older than stream time " +
            processors::FormatIso8601(stream_time_) + " minus processing.allowed_lateness_ms"));
    return Processed::kDone;
  }
  // Silent customers' wakes up to this event's day come first, so that what they
  // decide does not depend on where commits fall. A pass that stopped for a commit
  // (at a wall-clock midnight, for one) finishes before any event: an event's timer,
  // written by the commit, could sort before where the pass goes on.
  state::TimeMs fire_through = MidnightAtOrBefore(std::max(stream_time_, e.time));
  if (resume_after_) fire_through = std::max(fire_through, resume_after_->first);
  if (fire_through > fired_through_) {
    auto finished = FireTimers(fire_through);
    if (!finished.ok()) return finished.status();
    if (!*finished) return Processed::kCommitFirst;
  }
  if (e.time > stream_time_) {
    stream_time_ = e.time;
    stream_time_dirty_ = true;
  }
  auto customer = Lookup(e.customer_id);
  if (!customer.ok()) return customer.status();
  state::CustomerState& s = **customer;
  if (!e.event_id.empty()) {
    const uint64_t id_hash = processors::HashEventId(e.event_id);
    const int64_t horizon = ctx_.config->input.dedup_horizon_ms;
    if (processors::IsDuplicate(s.recent_ids, id_hash, e.time, horizon)) {
      ++ctx_.counters->duplicates;
      ctx_.probe->OnDuplicate();
      return Processed::kDone;
    }
    processors::Remember(s.recent_ids, id_hash, e.time, horizon);
  }
  const state::TimeMs seen_before = s.last_seen;
  const bool was_new = s.events_total == 0;
  if (e.unmapped) ctx_.probe->OnUnmapped();
  features_.Apply(e, s);
  cache_.MarkDirty(e.customer_id);
  ++ctx_.counters->events_valid;
  bool changed = false;
  ENGAGED_RETURN_IF_ERROR(EvaluateSegments(e.customer_id, s, e.time, &changed));
  ENGAGED_RETURN_IF_ERROR(EvaluateChurn(e.customer_id, s, e.time, &changed));
  ScheduleAfterEvent(e.customer_id, s, seen_before, was_new);
  return Processed::kDone;
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

ops::Result<state::CustomerState*> PartitionTask::Lookup(std::string_view customer_id) {
  if (state::CustomerState* cached = cache_.Find(customer_id)) return cached;
  auto stored = ctx_.store->GetCustomer(partition_, customer_id);
  if (!stored.ok()) return stored.status();
  return cache_.Insert(customer_id,
                       stored->has_value() ? std::move(**stored) : state::CustomerState());
}

ops::Status PartitionTask::EvaluateSegments(std::string_view customer_id, state::CustomerState& s,
                                            state::TimeMs at, bool* changed) {
  const processors::SegmentDecision d = ctx_.ladder->Evaluate(s, at);
  if (d.move == processors::SegmentMove::kStay) return ops::Status::Ok();
  *changed = true;
  const std::string_view next = d.to != nullptr ? std::string_view(d.to->name) : std::string_view();
  // The features the deciding rule read, as of the change (before it takes effect).
  std::vector<processors::FeatureValue> features;
  if (d.rule != nullptr) {
    const processors::FeatureCatalog& catalog = ctx_.ladder->catalog();
    for (const processors::FeatureId id : d.rule->features()) {
      features.push_back({catalog.Name(id), catalog.Value(id, s, at)});
    }
  }
  processors::SegmentChange change{
      .customer_id = customer_id,
      .previous_segment = s.segment,
      .segment = next,
      .rule = d.rule_text,
      .changed_at = at,
      .detected_at = ctx_.clock(),
      .events_total = s.events_total,
      .features = features,
  };
  if (ctx_.config->output.segment_changes_format == SegmentChangeFormat::kSegmentAudience) {
    // Exited before Entered, so a consumer applying them in order ends in `next`.
    for (const auto which :
         {processors::AudienceEvent::kExited, processors::AudienceEvent::kEntered}) {
      const bool exited = which == processors::AudienceEvent::kExited;
      if ((exited ? change.previous_segment : change.segment).empty()) continue;
      out_.clear();
      processors::WriteAudienceTrackJson(change, which, &out_);
      ENGAGED_RETURN_IF_ERROR(
          ctx_.sink->Emit(OutputStream::kSegmentChanges, customer_id, out_, {}));
    }
  } else {
    out_.clear();
    processors::WriteSegmentChangeJson(change, &out_);
    ENGAGED_RETURN_IF_ERROR(ctx_.sink->Emit(OutputStream::kSegmentChanges, customer_id, out_, {}));
  }
  ctx_.probe->OnSegmentChange(s.segment, next);
  CountMove("segment:", s.segment, next);
  ++ctx_.counters->segment_changes;
  s.segment = std::string(next);
  s.segment_entered_at = at;
  return ops::Status::Ok();
}

ops::Status PartitionTask::EvaluateChurn(std::string_view customer_id, state::CustomerState& s,
                                         state::TimeMs at, bool* changed) {
  if (ctx_.churn == nullptr) return ops::Status::Ok();
  const processors::churn::ChurnScorer& scorer = ctx_.churn->scorer();
  const processors::churn::ChurnScore score = scorer.Score(s, at);
  const state::ChurnBand band =
      processors::churn::NextChurnBand(s.churn.band, score.risk, scorer.options());
  if (band == s.churn.band) {
    // The risk is kept only with band changes: rewriting it on every wake would make
    // every silent customer dirty every day.
    return ops::Status::Ok();
  }
  *changed = true;
  const state::ChurnBand previous = s.churn.band;
  s.churn = {band, score.risk, at};
  CountMove("churn:", processors::churn::ChurnBandName(previous),
            processors::churn::ChurnBandName(band));
  // A customer's first band is recorded silently when it is low: "no band yet" to low
  // is not news. Every other change is an event.
  if (previous == state::ChurnBand::kNone && band == state::ChurnBand::kLow) {
    return ops::Status::Ok();
  }
  const processors::churn::ChurnRiskChange change{
      .customer_id = customer_id,
      .previous_band = previous,
      .band = band,
      .score = &score,
      .expected_purchases_30d = scorer.ExpectedPurchases30d(score),
      .changed_at = at,
      .detected_at = ctx_.clock(),
      .events_total = s.events_total,
  };
  out_.clear();
  processors::churn::WriteChurnRiskJson(change, &out_);
  ENGAGED_RETURN_IF_ERROR(ctx_.sink->Emit(OutputStream::kChurnRisk, customer_id, out_, {}));
  ctx_.probe->OnChurnChange(processors::churn::ChurnBandName(band));
  ++ctx_.counters->churn_events;
  return ops::Status::Ok();
}

ops::Status PartitionTask::DeadLetter(const InputRecord& r, InvalidReason reason,
                                      std::string_view message) {
  return EmitDeadLetter(ctx_, r, reason, message);
}

ops::Status EmitDeadLetter(const TaskContext& ctx, const InputRecord& r, InvalidReason reason,
                           std::string_view message) {
  ctx.probe->OnInvalid(reason);
  ctx.probe->OnDeadLetter();
  ++ctx.counters->invalid[static_cast<size_t>(reason)];
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
  return ctx.sink->Emit(OutputStream::kDeadLetters, r.key, r.value,
                        std::span<const Header>(headers, n));
}

ops::Status PartitionTask::CollectCommit(
    state::StoreBatch& batch, std::vector<std::pair<state::TopicPartition, state::Offset>>& offsets,
    bool changelog) {
  bool changed = stream_time_dirty_ || members_dirty_ || fired_through_ != committed_fired_through_;
  for (const auto& [topic, pos] : positions_) changed = changed || pos.dirty;
  ops::Status failed;
  // Each dirty customer is encoded once, for the changelog and the store alike.
  cache_.ForEachDirty([&](std::string_view id, const state::CustomerState& s) {
    changed = true;
    if (!failed.ok()) return;
    const bool expired = s.events_total == 0;
    if (expired) {
      batch.DeleteCustomer(partition_, id);
    } else {
      out_.clear();
      state::EncodeCustomer(s, &out_);
      batch.PutEncodedCustomer(partition_, id, out_);
    }
    if (changelog) {
      key_ = state::changelog::CustomerKey(id);
      failed = ctx_.sink->EmitChangelog(
          partition_, key_, expired ? std::nullopt : std::optional<std::string_view>(out_));
    }
  });
  ENGAGED_RETURN_IF_ERROR(failed);
  // The meta record closes this partition's part of the commit.
  if (changelog && changed) ENGAGED_RETURN_IF_ERROR(EmitMeta());
  // Every store timer up to fired_through_ has fired: one range tombstone, not one
  // delete per timer.
  if (fired_through_ > committed_fired_through_) {
    batch.DeleteTimers(partition_, committed_fired_through_, fired_through_);
  }
  for (const auto& [due, id] : pending_timers_.Sorted()) batch.PutTimer(partition_, due, id);
  for (auto& [topic, pos] : positions_) {
    if (!pos.dirty) continue;
    state::TopicPartition tp{topic, partition_};
    batch.PutOffset(tp, pos.next);
    offsets.emplace_back(std::move(tp), pos.next);
  }
  if (stream_time_dirty_) batch.PutStreamTime(partition_, stream_time_);
  if (fired_through_ != committed_fired_through_) batch.PutFiredThrough(partition_, fired_through_);
  if (members_dirty_) batch.PutMemberCounts(partition_, members_);
  return ops::Status::Ok();
}

void PartitionTask::CountMove(std::string_view kind, std::string_view from, std::string_view to) {
  const auto add = [&](std::string_view name, int64_t delta) {
    if (name.empty()) return;
    std::string label = std::string(kind) + std::string(name);
    auto it = members_.try_emplace(std::move(label), 0).first;
    it->second += delta;
    if (it->second == 0) members_.erase(it);
  };
  add(from, -1);
  add(to, +1);
  members_dirty_ = true;
}

void PartitionTask::BeginWrite() {
  for (auto& [topic, pos] : positions_) pos.dirty = false;
  stream_time_dirty_ = false;
  members_dirty_ = false;
  pending_timers_.Clear();
  spill_timers_at_ = kMaxPendingTimers;
  committed_fired_through_ = fired_through_;
  cache_.BeginWrite();
  expired_writing_.swap(expired_);
  expired_.clear();
}

void PartitionTask::EndWrite() {
  cache_.EndWrite();
  for (const std::string& id : expired_writing_) {
    // Unless an event brought the customer back since (it is dirty again then).
    const state::CustomerState* s = cache_.FindClean(id);
    if (s != nullptr && s->events_total == 0) cache_.Erase(id);
  }
  ctx_.counters->expired_customers += static_cast<int64_t>(expired_writing_.size());
  ctx_.cache_counters->expired.fetch_add(expired_writing_.size(), std::memory_order_relaxed);
  expired_writing_.clear();
  cache_.EvictToBudget();
  PublishCacheCounters();
}

void PartitionTask::PublishCacheCounters() {
  auto& c = *ctx_.cache_counters;
  c.hits.fetch_add(cache_.hits() - published_hits_, std::memory_order_relaxed);
  c.misses.fetch_add(cache_.misses() - published_misses_, std::memory_order_relaxed);
  c.bytes.fetch_add(cache_.bytes(), std::memory_order_relaxed);
  c.bytes.fetch_sub(published_bytes_, std::memory_order_relaxed);
  published_hits_ = cache_.hits();
  published_misses_ = cache_.misses();
  published_bytes_ = cache_.bytes();
}

}  // namespace topologies
