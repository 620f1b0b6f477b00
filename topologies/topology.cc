#include "topologies/topology.h"

#include <chrono>

#include "ops/log.h"
#include "state/changelog.h"
#include "state/codec.h"

namespace topologies {
namespace {

const ops::Logger& Log() {
  static const ops::Logger logger("topology");
  return logger;
}

// A restore reads the clock once per this many records plus one, and logs its progress
// at most this often.
constexpr int64_t kRestoreClockMask = 4095;
constexpr auto kRestoreProgressEvery = std::chrono::seconds(5);

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Topology::Topology(const Config* config, state::Store* store, Sink* sink, TopologyProbe* probe,
                   Clock clock, ChurnModels* churn, ChangelogReader* changelog)
    : store_(store),
      probe_(probe),
      churn_(churn),
      changelog_(changelog),
      ladder_(config->segments, config->features),
      cache_budget_bytes_(CacheMemoryBytes(config->state)),
      ctx_{.config = config,
           .store = store,
           .sink = sink,
           .probe = probe,
           .ladder = &ladder_,
           .churn = churn,
           .clock = std::move(clock),
           .counters = &counters_,
           .cache_counters = &cache_counters_} {
  if (!config->input.keyed_by_customer) {
    forwarded_topics_.insert(config->input.topics.begin(), config->input.topics.end());
  }
}

Forwarder& Topology::ForwarderFor(state::Partition p) {
  auto& f = forwarders_[p];
  if (f == nullptr) f = std::make_unique<Forwarder>(p, ctx_);
  return *f;
}

ops::Result<PartitionTask*> Topology::TaskFor(state::Partition p) {
  auto it = tasks_.find(p);
  if (it != tasks_.end()) return it->second.get();
  auto task = PartitionTask::Create(p, ctx_);
  if (!task.ok()) return task.status();
  PartitionTask* created = tasks_.emplace(p, std::move(task).value()).first->second.get();
  RebalanceCacheBudget();
  return created;
}

void Topology::RebalanceCacheBudget() {
  if (tasks_.empty()) return;
  for (auto& [p, task] : tasks_) task->SetCacheBudget(cache_budget_bytes_ / tasks_.size());
}

bool Topology::NeedsCommit() const {
  return std::any_of(tasks_.begin(), tasks_.end(),
                     [](const auto& kv) { return kv.second->NeedsCommit(); });
}

ops::Status Topology::Process(const InputRecord& r) {
  const auto start = std::chrono::steady_clock::now();
  if (Forwarded(r.topic)) return ForwarderFor(r.partition).Forward(r);
  auto task = TaskFor(r.partition);
  if (!task.ok()) return task.status();
  ENGAGED_RETURN_IF_ERROR((*task)->Process(r));
  probe_->OnProcessed(SecondsSince(start));
  return ops::Status::Ok();
}

ops::Result<std::vector<std::pair<state::TopicPartition, state::Offset>>> Topology::Commit() {
  const auto start = std::chrono::steady_clock::now();
  // Timers first: what they emit must be flushed with the rest before the state that
  // records it is written.
  for (auto& [p, task] : tasks_) ENGAGED_RETURN_IF_ERROR(task->FireDueTimers());
  const bool changelog = ctx_.sink->changelog();
  // At-least-once: the outputs are durable before any changelog record says that the
  // commit happened, or a crash in between would restore past outputs never written.
  // (In a transaction, all of it is visible together or not at all.)
  if (changelog && !ctx_.sink->transactional()) ENGAGED_RETURN_IF_ERROR(ctx_.sink->Flush());
  state::StoreBatch batch = store_->NewBatch();
  std::vector<std::pair<state::TopicPartition, state::Offset>> offsets;
  for (auto& [p, task] : tasks_) {
    ENGAGED_RETURN_IF_ERROR(task->CollectCommit(batch, offsets, changelog));
  }
  for (const auto& [p, f] : forwarders_) f->CollectCommit(offsets);
  // Outputs, changelog records (and, exactly-once, the offsets) are durable before the
  // store records them.
  auto positions = ctx_.sink->Commit(offsets);
  if (!positions.ok()) return positions.status();
  for (const auto& [p, next] : *positions) batch.PutChangelogOffset(p, next);
  if (!batch.empty()) ENGAGED_RETURN_IF_ERROR(store_->Write(batch));
  for (auto& [p, task] : tasks_) task->AfterCommit();
  for (auto& [p, f] : forwarders_) f->AfterCommit();
  PublishMembers();
  probe_->OnCommit(SecondsSince(start));
  if (churn_ != nullptr) {
    // Between commits, so that one commit's outputs all come from one model.
    auto reloaded = churn_->ReloadChanged();
    if (!reloaded.ok()) {
      Log().Error("cannot reload the churn model; the previous one stays in use",
                  {{"error", reloaded.status().ToString()}});
    } else if (*reloaded) {
      Log().Info("churn model reloaded", {});
    }
  }
  return offsets;
}

ops::Result<std::optional<state::Offset>> Topology::RestoreStart(state::Partition p) {
  auto local = store_->GetChangelogOffset(p);
  if (!local.ok()) return local.status();
  auto bounds = changelog_->Bounds(p);
  if (!bounds.ok()) return bounds.status();
  const auto [first, end] = *bounds;
  if (!local->has_value()) {
    if (end <= first) return std::optional<state::Offset>();  // nothing logged yet
    // State here without a changelog position is not known to match the changelog.
    ENGAGED_RETURN_IF_ERROR(store_->DropPartition(p));
    return std::optional<state::Offset>(first);
  }
  if (**local > end) {
    Log().Warn("local state is ahead of the changelog (was the topic recreated?); dropping it",
               {{"partition", p.value()}, {"local", (*local)->value()}, {"end", end.value()}});
    ENGAGED_RETURN_IF_ERROR(store_->DropPartition(p));
    return std::optional<state::Offset>(first);
  }
  if (**local == end) return std::optional<state::Offset>();
  return *local;
}

ops::Status Topology::Restore(state::Partition p) {
  if (changelog_ == nullptr) return ops::Status::Ok();
  const auto start = std::chrono::steady_clock::now();
  auto from = RestoreStart(p);
  if (!from.ok()) return from.status();
  if (!from->has_value()) return ops::Status::Ok();
  restoring_.fetch_add(1);
  probe_->OnRestoreStart();
  Log().Info("restoring partition from the changelog",
             {{"partition", p.value()}, {"from_offset", (*from)->value()}});
  const TaskContext& ctx = ctx_;
  state::changelog::Restorer restorer(
      store_, p, [&ctx](state::TimeMs last_seen, state::TimeMs fired_through) {
        return PartitionTask::RestoredTimer(ctx, last_seen, fired_through);
      });
  // A long restore logs its progress every kRestoreProgressEvery.
  auto last_log = std::chrono::steady_clock::now();
  int64_t read = 0;
  auto end = changelog_->Read(p, **from, [&](const ChangelogRecord& r) {
    if ((++read & kRestoreClockMask) == 0 &&
        std::chrono::steady_clock::now() - last_log > kRestoreProgressEvery) {
      last_log = std::chrono::steady_clock::now();
      Log().Info("restoring partition from the changelog",
                 {{"partition", p.value()},
                  {"records", read},
                  {"offset", r.offset.value()},
                  {"records_per_s", static_cast<double>(read) / SecondsSince(start)}});
    }
    return restorer.Apply(r.offset, r.key, r.value);
  });
  ops::Result<state::changelog::RestoreStats> stats =
      end.ok() ? restorer.Finish(*end) : ops::Result<state::changelog::RestoreStats>(end.status());
  const double seconds = SecondsSince(start);
  restoring_.fetch_sub(1);
  probe_->OnRestoreEnd(stats.ok() ? stats->records : 0, seconds);
  if (!stats.ok()) return stats.status();
  Log().Info(
      "partition restored",
      {{"partition", p.value()},
       {"records", stats->records},
       {"applied", stats->applied},
       {"discarded", stats->discarded},
       {"seconds", seconds},
       {"records_per_s", seconds > 0 ? static_cast<double>(stats->records) / seconds : 0.0}});
  if (!stats->discarded_customers.empty() && ctx_.sink->changelog() &&
      !ctx_.sink->transactional()) {
    return SealUnfinishedCommit(p, stats->discarded_customers);
  }
  return ops::Status::Ok();
}

ops::Status Topology::SealUnfinishedCommit(state::Partition p,
                                           const std::vector<std::string>& customers) {
  std::string bytes;
  for (const std::string& id : customers) {
    auto s = store_->GetCustomer(p, id);
    if (!s.ok()) return s.status();
    std::optional<std::string_view> value;
    if (s->has_value()) {
      bytes.clear();
      state::EncodeCustomer(**s, &bytes);
      value = bytes;
    }
    ENGAGED_RETURN_IF_ERROR(ctx_.sink->EmitChangelog(p, state::changelog::CustomerKey(id), value));
  }
  auto meta = state::changelog::StoredMeta(*store_, p);
  if (!meta.ok()) return meta.status();
  bytes.clear();
  state::changelog::EncodeMeta(*meta, &bytes);
  ENGAGED_RETURN_IF_ERROR(ctx_.sink->EmitChangelog(p, state::changelog::kMetaKey, bytes));
  auto positions = ctx_.sink->Commit({});
  if (!positions.ok()) return positions.status();
  state::StoreBatch batch = store_->NewBatch();
  for (const auto& [partition, next] : *positions) batch.PutChangelogOffset(partition, next);
  ENGAGED_RETURN_IF_ERROR(store_->Write(batch));
  Log().Info("sealed an unfinished commit in the changelog",
             {{"partition", p.value()}, {"customers", static_cast<int64_t>(customers.size())}});
  return ops::Status::Ok();
}

ops::Result<std::vector<std::optional<state::Offset>>> Topology::StartTasks(
    std::span<const state::TopicPartition> partitions) {
  std::vector<std::optional<state::Offset>> starts;
  for (const auto& tp : partitions) {
    if (Forwarded(tp.topic)) {
      // Stateless: resumes from the group's committed offset.
      ForwarderFor(tp.partition);
      assigned_.insert(tp);
      starts.emplace_back();
      Log().Info("input partition assigned for repartitioning",
                 {{"topic", tp.topic}, {"partition", tp.partition.value()}});
      continue;
    }
    if (tasks_.find(tp.partition) == tasks_.end()) {
      ENGAGED_RETURN_IF_ERROR(Restore(tp.partition));
    }
    auto stored = store_->GetOffset(tp);
    if (!stored.ok()) return stored.status();
    starts.push_back(*stored);
    auto task = TaskFor(tp.partition);
    if (!task.ok()) return task.status();
    if (stored->has_value()) (*task)->SetPosition(tp.topic, **stored);
    assigned_.insert(tp);
    Log().Info("partition assigned",
               {{"topic", tp.topic},
                {"partition", tp.partition.value()},
                {"resume_offset", stored->has_value() ? (*stored)->value() : int64_t{-1}}});
  }
  return starts;
}

ops::Result<std::vector<std::pair<state::TopicPartition, state::Offset>>> Topology::Rewind() {
  probe_->OnTransactionAborted();
  tasks_.clear();
  std::vector<std::pair<state::TopicPartition, state::Offset>> seeks;
  for (auto& [p, f] : forwarders_) {
    for (auto& seek : f->Rewind()) seeks.push_back(std::move(seek));
  }
  std::vector<state::TopicPartition> assigned;
  for (const auto& tp : assigned_) {
    if (!Forwarded(tp.topic)) assigned.push_back(tp);
  }
  auto starts = StartTasks(assigned);
  if (!starts.ok()) return starts.status();
  for (size_t i = 0; i < assigned.size(); ++i) {
    // A partition never committed starts again from its beginning.
    seeks.emplace_back(assigned[i], (*starts)[i].value_or(kOffsetBeginning));
  }
  PublishMembers();
  Log().Warn("transaction aborted; state and input rewound to the last commit",
             {{"partitions", static_cast<int64_t>(assigned.size())}});
  return seeks;
}

ops::Result<std::vector<std::optional<state::Offset>>> Topology::OnAssigned(
    std::span<const state::TopicPartition> partitions) {
  probe_->OnRebalance();
  auto starts = StartTasks(partitions);
  if (!starts.ok()) return starts.status();
  PublishMembers();
  PublishAssignment();
  ready_.store(true);
  return starts;
}

ops::Status Topology::OnLost(std::span<const state::TopicPartition> partitions) {
  if (!ctx_.sink->transactional()) return OnRevoked(partitions);
  probe_->OnRebalance();
  ENGAGED_RETURN_IF_ERROR(ctx_.sink->Abort());
  Abandon();
  return ops::Status::Aborted(
      "partitions lost to a session timeout: the open transaction was aborted; restart to "
      "restore from the changelog");
}

void Topology::Abandon() {
  abandoned_ = true;
  tasks_.clear();
  forwarders_.clear();
}

ops::Status Topology::OnRevoked(std::span<const state::TopicPartition> partitions) {
  probe_->OnRebalance();
  if (!abandoned_) {
    auto committed = Commit();
    if (!committed.ok()) return committed.status();
  }
  for (const auto& tp : partitions) {
    assigned_.erase(tp);
    Log().Info("partition revoked", {{"topic", tp.topic}, {"partition", tp.partition.value()}});
  }
  for (auto it = forwarders_.begin(); it != forwarders_.end();) {
    const bool still_assigned = std::any_of(
        assigned_.begin(), assigned_.end(),
        [&](const auto& tp) { return tp.partition == it->first && Forwarded(tp.topic); });
    it = still_assigned ? std::next(it) : forwarders_.erase(it);
  }
  // A task serves one partition number across the input topics; it goes when none of
  // its topic-partitions is assigned any more.
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    const bool still_assigned = std::any_of(
        assigned_.begin(), assigned_.end(),
        [&](const auto& tp) { return tp.partition == it->first && !Forwarded(tp.topic); });
    it = still_assigned ? std::next(it) : tasks_.erase(it);
  }
  RebalanceCacheBudget();
  PublishMembers();
  PublishAssignment();
  return ops::Status::Ok();
}

void Topology::PublishAssignment() {
  assigned_count_.store(static_cast<int>(assigned_.size()));
  probe_->SetAssignedPartitions(static_cast<int>(assigned_.size()));
  std::lock_guard lock(owned_mu_);
  owned_.clear();
  for (const auto& [p, task] : tasks_) owned_.insert(p);
}

bool Topology::Owns(state::Partition p) const {
  std::lock_guard lock(owned_mu_);
  return owned_.contains(p);
}

void Topology::PublishMembers() {
  state::MemberCounts totals;
  for (const auto& [p, task] : tasks_) {
    for (const auto& [label, n] : task->member_counts()) totals[label] += n;
  }
  probe_->SetMembers(totals);
}

}  // namespace topologies
