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

namespace topologies {

using processors::InvalidReason;

namespace {

// Expiry timers are due at the start of the UTC day after last_seen + retention, so a
// customer has at most one timer per active day, whatever the commit rate.
state::TimeMs ExpiryDue(state::TimeMs last_seen, int64_t retention_ms) {
  const int64_t at = last_seen.value() + retention_ms;
  return state::TimeMs((at / state::kMsPerDay + 1) * state::kMsPerDay);
}

// The UTC midnight after `t`, and the one at or before it.
state::TimeMs MidnightAfter(state::TimeMs t) {
  return state::TimeMs((processors::UtcDay(t) + 1) * state::kMsPerDay);
}
state::TimeMs MidnightAtOrBefore(state::TimeMs t) {
  return state::TimeMs(processors::UtcDay(t) * state::kMsPerDay);
}

}  // namespace

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
    task->fired_through_ = task->committed_fired_through_ = task->stored_fired_through_ = **fired;
  }
  return task;
}

namespace {

// Whether silent customers are woken daily (segments or churn risk to re-evaluate).
bool EvaluatesSilent(const TaskContext& ctx) {
  return (!ctx.ladder->segments().empty() || ctx.churn != nullptr) &&
         ctx.config->processing.silence_horizon_ms > 0;
}

}  // namespace

std::optional<state::TimeMs> PartitionTask::RestoredTimer(const TaskContext& ctx,
                                                          state::TimeMs last_seen,
                                                          state::TimeMs fired_through) {
  const int64_t retention = ctx.config->state.retention_ms;
  state::TimeMs first;
  if (EvaluatesSilent(ctx)) {
    first = MidnightAfter(last_seen);
  } else if (retention > 0) {
    first = ExpiryDue(last_seen, retention);
  } else {
    return std::nullopt;
  }
  // The chain's next link after what has fired: a wake inside the silence horizon
  // evaluates and schedules the next day; one past it schedules the expiry; one at or
  // after the expiry expires the customer (OnWake). Every link is a UTC midnight.
  if (fired_through.value() != std::numeric_limits<int64_t>::min() && first <= fired_through) {
    first = state::TimeMs(fired_through.value() + state::kMsPerDay);
  }
  return first;
}

void PartitionTask::SetPosition(std::string_view topic, state::Offset next) {
  auto it = positions_.find(topic);
  if (it == positions_.end()) {
    it = positions_.emplace(std::string(topic), Position{}).first;
    it->second.consumed = ctx_.probe->ConsumedCounter(topic, partition_);
  }
  it->second.next = next;
}

ops::Status PartitionTask::EmitChangelog() {
  bool changed = stream_time_dirty_ || members_dirty_ || fired_through_ != stored_fired_through_;
  for (const auto& [topic, pos] : positions_) changed = changed || pos.dirty;
  ops::Status failed;
  cache_.ForEachDirty([&](std::string_view id, const state::CustomerState& s) {
    changed = true;
    if (!failed.ok()) return;
    key_ = state::changelog::CustomerKey(id);
    if (s.events_total == 0) {  // expired
      failed = ctx_.sink->EmitChangelog(partition_, key_, std::nullopt);
      return;
    }
    out_.clear();
    state::EncodeCustomer(s, &out_);
    failed = ctx_.sink->EmitChangelog(partition_, key_, out_);
  });
  ENGAGED_RETURN_IF_ERROR(failed);
  if (!changed) return ops::Status::Ok();
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

ops::Status PartitionTask::Process(const InputRecord& r) {
  ++ctx_.counters->events_in;
  Advance(r);
  last_record_wall_ = ctx_.clock();
  const processors::Decoded d = decoder_.Decode(r.value);
  if (d.status == processors::DecodeStatus::kIgnored) {  // identify, page_ping, ...
    ++ctx_.counters->ignored;
    ctx_.probe->OnIgnored();
    return ops::Status::Ok();
  }
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
  // Silent customers' wakes up to this event's day come first, so that what they
  // decide does not depend on where commits fall.
  if (MidnightAtOrBefore(stream_time_) > fired_through_) {
    ENGAGED_RETURN_IF_ERROR(FireTimers(MidnightAtOrBefore(stream_time_)));
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
      return ops::Status::Ok();
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
  return ops::Status::Ok();
}

void PartitionTask::ScheduleAfterEvent(std::string_view customer_id, const state::CustomerState& s,
                                       state::TimeMs seen_before, bool was_new) {
  const int64_t retention = ctx_.config->state.retention_ms;
  state::TimeMs next;
  state::TimeMs before;
  if (evaluates_silent_) {
    next = MidnightAfter(s.last_seen);
    before = MidnightAfter(seen_before);
  } else if (retention > 0) {
    next = ExpiryDue(s.last_seen, retention);
    before = ExpiryDue(seen_before, retention);
  } else {
    return;
  }
  // One timer per customer per active day: an event on the same day leaves it as it is.
  if (!was_new && next == before) return;
  pending_timers_.emplace(next, std::string(customer_id));
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

state::TimeMs PartitionTask::TimerTime() const {
  const int64_t idle_ms = ctx_.config->processing.idle_timer_ms;
  const state::TimeMs now = ctx_.clock();
  if (idle_ms > 0 && now.value() - last_record_wall_.value() >= idle_ms) {
    return std::max(stream_time_, now);
  }
  return stream_time_;
}

ops::Status PartitionTask::FireTimers(state::TimeMs limit) {
  // The store's timers in (fired_through_, limit] and the pending ones up to `limit`,
  // merged in (due, customer) order and fired one at a time while the store is scanned:
  // a midnight that wakes millions of customers holds none of them in memory.
  std::pair<state::TimeMs, std::string> last{state::TimeMs(std::numeric_limits<int64_t>::min()),
                                             std::string()};
  const auto fire = [&](state::TimeMs due, std::string_view id) -> ops::Status {
    if (due == last.first && id == last.second) return ops::Status::Ok();  // stored and pending
    last.first = due;
    last.second.assign(id);
    ++ctx_.counters->timers_fired;
    ctx_.probe->OnTimerFired();
    return OnWake(due, id);
  };
  // Fires the pending timers due by `limit` that sort before `bound` (all, if null).
  // Firing may schedule more (a day later), which this loop also takes in order.
  const auto fire_pending = [&](const std::pair<state::TimeMs, std::string_view>* bound) {
    while (!pending_timers_.empty()) {
      const auto& next = *pending_timers_.begin();
      if (next.first > limit) break;
      if (bound != nullptr && !(std::pair<state::TimeMs, std::string_view>(next) < *bound)) break;
      auto node = pending_timers_.extract(pending_timers_.begin());
      ENGAGED_RETURN_IF_ERROR(fire(node.value().first, node.value().second));
    }
    return ops::Status::Ok();
  };
  if (limit > fired_through_) {
    ops::Status failed = ops::Status::Ok();
    ENGAGED_RETURN_IF_ERROR(ctx_.store->ForEachDueTimer(
        partition_, fired_through_, limit, [&](state::TimeMs at, std::string_view id) {
          const std::pair<state::TimeMs, std::string_view> key(at, id);
          failed = fire_pending(&key);
          if (failed.ok()) failed = fire(at, id);
          return failed.ok();
        }));
    ENGAGED_RETURN_IF_ERROR(failed);
    fired_through_ = limit;  // the commit deletes the store's timers up to here
  }
  return fire_pending(nullptr);
}

ops::Status PartitionTask::OnWake(state::TimeMs due, std::string_view customer_id) {
  // A customer that is not cached is read into `loaded` and cached only if the wake
  // changes it, so that a midnight's wakes do not flood the cache with clean entries.
  state::CustomerState* s = cache_.Find(customer_id);
  std::optional<state::CustomerState> loaded;
  if (s == nullptr) {
    auto stored = ctx_.store->GetCustomer(partition_, customer_id);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return ops::Status::Ok();  // expired and deleted
    loaded = std::move(*stored);
    s = &*loaded;
  }
  // Stale: the customer expired, or an event after this timer was set scheduled a
  // later one.
  if (s->events_total == 0 || due <= s->last_seen) return ops::Status::Ok();
  const auto keep = [&] {
    if (loaded) s = cache_.Insert(customer_id, std::move(*loaded));
    loaded.reset();
    cache_.MarkDirty(customer_id);
  };
  const int64_t retention = ctx_.config->state.retention_ms;
  if (retention > 0 && due >= ExpiryDue(s->last_seen, retention)) {
    // Deleted at the next commit; an event before then starts the customer afresh.
    CountMove("segment:", s->segment, "");
    CountMove("churn:", processors::churn::ChurnBandName(s->churn.band), "");
    *s = state::CustomerState();
    keep();
    expired_.emplace_back(customer_id);
    return ops::Status::Ok();
  }
  const int64_t horizon = ctx_.config->processing.silence_horizon_ms;
  const bool in_horizon = evaluates_silent_ && due.value() - s->last_seen.value() <= horizon;
  const state::TimeMs last_seen = s->last_seen;
  if (in_horizon) {
    bool changed = false;
    ENGAGED_RETURN_IF_ERROR(EvaluateSegments(customer_id, *s, due, &changed));
    ENGAGED_RETURN_IF_ERROR(EvaluateChurn(customer_id, *s, due, &changed));
    if (changed) keep();
    const state::TimeMs tomorrow(due.value() + state::kMsPerDay);
    if (tomorrow.value() - last_seen.value() <= horizon) {
      pending_timers_.emplace(tomorrow, std::string(customer_id));
      return ops::Status::Ok();
    }
  }
  // Past the horizon, only expiry remains.
  if (retention > 0 && ExpiryDue(last_seen, retention) > due) {
    pending_timers_.emplace(ExpiryDue(last_seen, retention), std::string(customer_id));
  }
  return ops::Status::Ok();
}

ops::Status PartitionTask::FireDueTimers() {
  // Also the pending timers at or before fired_through_ (scheduled by late events).
  return FireTimers(std::max(MidnightAtOrBefore(TimerTime()), fired_through_));
}

ops::Status PartitionTask::CollectCommit(
    state::StoreBatch& batch,
    std::vector<std::pair<state::TopicPartition, state::Offset>>& offsets) {
  cache_.ForEachDirty([&](std::string_view id, const state::CustomerState& s) {
    if (s.events_total == 0) {
      batch.DeleteCustomer(partition_, id);  // expired
    } else {
      batch.PutCustomer(partition_, id, s);
    }
  });
  // Every store timer up to fired_through_ has fired: one range tombstone, not one
  // delete per timer.
  if (fired_through_ > committed_fired_through_) {
    batch.DeleteTimers(partition_, committed_fired_through_, fired_through_);
  }
  for (const auto& [due, id] : pending_timers_) batch.PutTimer(partition_, due, id);
  for (auto& [topic, pos] : positions_) {
    if (!pos.dirty) continue;
    state::TopicPartition tp{topic, partition_};
    batch.PutOffset(tp, pos.next);
    offsets.emplace_back(std::move(tp), pos.next);
  }
  if (stream_time_dirty_) batch.PutStreamTime(partition_, stream_time_);
  if (fired_through_ != stored_fired_through_) batch.PutFiredThrough(partition_, fired_through_);
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

void PartitionTask::AfterCommit() {
  for (auto& [topic, pos] : positions_) pos.dirty = false;
  stream_time_dirty_ = false;
  members_dirty_ = false;
  pending_timers_.clear();
  committed_fired_through_ = fired_through_;
  stored_fired_through_ = fired_through_;
  cache_.MarkAllClean();
  for (const std::string& id : expired_) {
    const state::CustomerState* s = cache_.Find(id);
    if (s != nullptr && s->events_total == 0) cache_.Erase(id);
  }
  ctx_.counters->expired_customers += static_cast<int64_t>(expired_.size());
  ctx_.cache_counters->expired.fetch_add(expired_.size(), std::memory_order_relaxed);
  expired_.clear();
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
