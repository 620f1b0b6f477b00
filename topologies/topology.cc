#include "topologies/topology.h"

#include <chrono>

#include "ops/log.h"
#include "state/changelog.h"

namespace topologies {
namespace {

const ops::Logger& Log() {
  static const ops::Logger logger("topology");
  return logger;
}

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
           .cache_counters = &cache_counters_} {}

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
  if (ctx_.sink->changelog()) {
    for (auto& [p, task] : tasks_) ENGAGED_RETURN_IF_ERROR(task->EmitChangelog());
  }
  state::StoreBatch batch = store_->NewBatch();
  std::vector<std::pair<state::TopicPartition, state::Offset>> offsets;
  for (auto& [p, task] : tasks_) ENGAGED_RETURN_IF_ERROR(task->CollectCommit(batch, offsets));
  // Outputs, changelog records (and, exactly-once, the offsets) are durable before the
  // store records them.
  auto positions = ctx_.sink->Commit(offsets);
  if (!positions.ok()) return positions.status();
  for (const auto& [p, next] : *positions) batch.PutChangelogOffset(p, next);
  if (!batch.empty()) ENGAGED_RETURN_IF_ERROR(store_->Write(batch));
  for (auto& [p, task] : tasks_) task->AfterCommit();
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
      store_, p, [&ctx](const state::CustomerState& s, state::TimeMs fired_through) {
        return PartitionTask::RestoredTimer(ctx, s, fired_through);
      });
  auto end = changelog_->Read(p, **from, [&](const ChangelogRecord& r) {
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
  return ops::Status::Ok();
}

ops::Result<std::vector<std::optional<state::Offset>>> Topology::StartTasks(
    std::span<const state::TopicPartition> partitions) {
  std::vector<std::optional<state::Offset>> starts;
  for (const auto& tp : partitions) {
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
  const std::vector<state::TopicPartition> assigned(assigned_.begin(), assigned_.end());
  auto starts = StartTasks(assigned);
  if (!starts.ok()) return starts.status();
  std::vector<std::pair<state::TopicPartition, state::Offset>> seeks;
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
  assigned_count_.store(static_cast<int>(assigned_.size()));
  probe_->SetAssignedPartitions(static_cast<int>(assigned_.size()));
  ready_.store(true);
  return starts;
}

ops::Status Topology::OnLost(std::span<const state::TopicPartition> partitions) {
  if (!ctx_.sink->transactional()) return OnRevoked(partitions);
  probe_->OnRebalance();
  ENGAGED_RETURN_IF_ERROR(ctx_.sink->Abort());
  abandoned_ = true;
  tasks_.clear();
  return ops::Status::Aborted(
      "partitions lost to a session timeout: the open transaction was aborted; restart to "
      "restore from the changelog");
}

void Topology::Abandon() {
  abandoned_ = true;
  tasks_.clear();
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
  // A task serves one partition number across the input topics; it goes when none of
  // its topic-partitions is assigned any more.
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    const bool still_assigned =
        std::any_of(assigned_.begin(), assigned_.end(),
                    [&](const auto& tp) { return tp.partition == it->first; });
    it = still_assigned ? std::next(it) : tasks_.erase(it);
  }
  RebalanceCacheBudget();
  PublishMembers();
  assigned_count_.store(static_cast<int>(assigned_.size()));
  probe_->SetAssignedPartitions(static_cast<int>(assigned_.size()));
  return ops::Status::Ok();
}

void Topology::PublishMembers() {
  state::MemberCounts totals;
  for (const auto& [p, task] : tasks_) {
    for (const auto& [label, n] : task->member_counts()) totals[label] += n;
  }
  probe_->SetMembers(totals);
}

}  // namespace topologies
