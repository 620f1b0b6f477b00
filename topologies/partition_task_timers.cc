// The partition task's timers (docs/segments.md, "Silent customers"): scheduling a
// customer's next wake after an event, firing what is due in (due, customer) order,
// what a wake does, and the timer a customer restored from the changelog needs.

#include <algorithm>
#include <limits>

#include "topologies/churn_models.h"
#include "topologies/partition_task.h"
#include "topologies/timer_days.h"

namespace topologies {

using timer_days::EvaluatesSilent;
using timer_days::ExpiryDue;
using timer_days::MidnightAfter;
using timer_days::MidnightAtOrBefore;

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
  HoldTimer(next, customer_id);
}

state::TimeMs PartitionTask::TimerTime() const {
  const int64_t idle_ms = ctx_.config->processing.idle_timer_ms;
  const state::TimeMs now = ctx_.clock();
  if (idle_ms > 0 && now.value() - last_record_wall_.value() >= idle_ms) {
    return std::max(stream_time_, now);
  }
  return stream_time_;
}

ops::Result<bool> PartitionTask::FireTimers(state::TimeMs limit) {
  if (limit > fired_through_) {
    // The store write in flight may hold timers the scans must see.
    ENGAGED_RETURN_IF_ERROR(ctx_.land_store_write());
  }
  // One midnight at a time, in due order: what a midnight's wakes schedule for the next
  // is then due after the pass that schedules it, and can go to the store
  // (SpillTimersAfter) instead of waiting in memory, however many midnights stream time
  // moved over at once.
  for (;;) {
    auto next = NextTimerDue(limit);
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    auto finished = FireThrough(**next);
    if (!finished.ok()) return finished.status();
    if (!*finished) return false;
  }
  fired_through_ = std::max(fired_through_, limit);  // the commit deletes store timers to here
  return true;
}

ops::Result<std::optional<state::TimeMs>> PartitionTask::NextTimerDue(state::TimeMs limit) {
  // A pass that stopped for a commit goes on first: its timers are all due at one
  // midnight, the earliest after fired_through_.
  if (resume_after_ && resume_after_->first <= limit) {
    return std::optional<state::TimeMs>(resume_after_->first);
  }
  std::optional<state::TimeMs> next;
  if (!pending_timers_.empty() && pending_timers_.Top().first <= limit) {
    next = pending_timers_.Top().first;
  }
  ENGAGED_RETURN_IF_ERROR(ctx_.store->ForEachDueTimer(partition_, fired_through_, limit,
                                                      [&](state::TimeMs due, std::string_view) {
                                                        if (!next || due < *next) next = due;
                                                        return false;  // the first is the earliest
                                                      }));
  return next;
}

ops::Result<bool> PartitionTask::FireThrough(state::TimeMs limit) {
  // The store's timers in (fired_through_, limit] and the pending ones up to `limit`,
  // merged in (due, customer) order and fired one at a time while the store is scanned:
  // the customers a midnight wakes are not held in memory, and their next wakes only
  // up to kMaxPendingTimers.
  //
  // Only a pass that moves fired_through_ (all of whose timers are due at `limit`)
  // spills or stops for a commit. What it spills is due after fired_through_, where the
  // next pass's scan finds it and no commit's range tombstone reaches, and FireTimers
  // has landed the store write in flight. When it stops, the commit writes its pending
  // timers, due after fired_through_ too, and the pass goes on after the last timer it
  // fired. (A pass over late timers, due at or before fired_through_, holds what it
  // schedules and does not stop: those timers must fire before the commit.)
  const bool moves = limit > fired_through_;
  std::pair<state::TimeMs, std::string> last =
      resume_after_ ? *resume_after_
                    : std::pair(state::TimeMs(std::numeric_limits<int64_t>::min()), std::string());
  bool stopped = false;
  // Stops before a wake that could grow the cache past its bound of dirty entries.
  const auto stop_for_commit = [&] {
    stopped = stopped || (moves && cache_.NeedsCommit());
    return stopped;
  };
  const auto spill_if_full = [&]() -> ops::Status {
    if (!moves || pending_timers_.size() < spill_timers_at_) return ops::Status::Ok();
    return SpillTimersAfter(limit);
  };
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
    while (!pending_timers_.empty() && !stop_for_commit()) {
      const auto& next = pending_timers_.Top();
      if (next.first > limit) break;
      if (bound != nullptr && !(std::pair<state::TimeMs, std::string_view>(next) < *bound)) break;
      const auto [due, id] = pending_timers_.Pop();
      ENGAGED_RETURN_IF_ERROR(fire(due, id));
      ENGAGED_RETURN_IF_ERROR(spill_if_full());
    }
    return ops::Status::Ok();
  };
  if (!moves) {
    ENGAGED_RETURN_IF_ERROR(fire_pending(nullptr));
    return true;
  }
  ops::Status failed = ops::Status::Ok();
  const auto fire_stored = [&](state::TimeMs at, std::string_view id) {
    const std::pair<state::TimeMs, std::string_view> key(at, id);
    failed = fire_pending(&key);
    if (failed.ok() && !stop_for_commit()) failed = fire(at, id);
    if (failed.ok()) failed = spill_if_full();
    return failed.ok() && !stopped;
  };
  ENGAGED_RETURN_IF_ERROR(
      resume_after_ ? ctx_.store->ForEachDueTimerAfter(partition_, resume_after_->first,
                                                       resume_after_->second, limit, fire_stored)
                    : ctx_.store->ForEachDueTimer(partition_, fired_through_, limit, fire_stored));
  ENGAGED_RETURN_IF_ERROR(failed);
  ENGAGED_RETURN_IF_ERROR(fire_pending(nullptr));
  if (stopped) {
    if (last.first > fired_through_) resume_after_ = std::move(last);
    return false;
  }
  resume_after_.reset();
  fired_through_ = limit;
  return true;
}

void PartitionTask::HoldTimer(state::TimeMs due, std::string_view customer_id) {
  pending_timers_.Push(due, customer_id);
  auto& peak = ctx_.counters->timers_held_peak;
  peak = std::max(peak, static_cast<int64_t>(pending_timers_.size()));
}

ops::Status PartitionTask::SpillTimersAfter(state::TimeMs limit) {
  // Written ahead of their commit, and safe so: timers are not logged, and one whose
  // scheduling is lost with the commit (a crash, a revocation) only wakes its customer
  // for nothing: the wake finds the timer stale, or evaluates the same state at the
  // same time again. The pass that scheduled them is repeated after a crash and
  // schedules the same keys.
  const std::vector<TimerQueue::Timer> later = pending_timers_.TakeAfter(limit);
  if (!later.empty()) {
    state::StoreBatch batch = ctx_.store->NewBatch();
    for (const auto& [due, id] : later) batch.PutTimer(partition_, due, id);
    ENGAGED_RETURN_IF_ERROR(ctx_.store->Write(batch));
    const auto n = static_cast<int64_t>(later.size());
    ctx_.counters->timers_spilled += n;
    ctx_.probe->OnTimersSpilled(n);
  }
  // What is left is due by `limit` and fires in this pass; the next spill waits for
  // as many again, so that it is never a write of a handful.
  spill_timers_at_ = pending_timers_.size() + kMaxPendingTimers;
  return ops::Status::Ok();
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
    // A change a wake at `due` made carries `due` as its time. Such a wake is repeated
    // when a crash or a rewind follows a commit in the middle of its pass; it must not
    // decide again on the state it already moved (a ladder could take a second step).
    // Only in a pass that moves fired_through_: the wake of a late event, at a midnight
    // already fired through, may find that midnight's change and must still evaluate.
    const bool repeated =
        due > fired_through_ && (s->segment_entered_at == due || s->churn.since == due);
    if (!repeated) {
      ENGAGED_RETURN_IF_ERROR(EvaluateSegments(customer_id, *s, due, &changed));
      ENGAGED_RETURN_IF_ERROR(EvaluateChurn(customer_id, *s, due, &changed));
    }
    if (changed) keep();
    const state::TimeMs tomorrow(due.value() + state::kMsPerDay);
    if (tomorrow.value() - last_seen.value() <= horizon) {
      HoldTimer(tomorrow, customer_id);
      return ops::Status::Ok();
    }
  }
  // Past the horizon, only expiry remains.
  if (retention > 0 && ExpiryDue(last_seen, retention) > due) {
    HoldTimer(ExpiryDue(last_seen, retention), customer_id);
  }
  return ops::Status::Ok();
}

ops::Status PartitionTask::FireDueTimers() {
  // Also the pending timers at or before fired_through_ (scheduled by late events).
  auto finished = FireTimers(std::max(MidnightAtOrBefore(TimerTime()), fired_through_));
  return finished.ok() ? ops::Status::Ok() : finished.status();
}

}  // namespace topologies
