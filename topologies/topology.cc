#include "topologies/topology.h"

#include <chrono>

#include "ops/log.h"

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
                   Clock clock, ChurnModels* churn)
    : store_(store),
      probe_(probe),
      churn_(churn),
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
  ENGAGED_RETURN_IF_ERROR(ctx_.sink->Flush());
  state::StoreBatch batch = store_->NewBatch();
  std::vector<std::pair<state::TopicPartition, state::Offset>> offsets;
  for (auto& [p, task] : tasks_) ENGAGED_RETURN_IF_ERROR(task->CollectCommit(batch, offsets));
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

ops::Result<std::vector<std::optional<state::Offset>>> Topology::OnAssigned(
    std::span<const state::TopicPartition> partitions) {
  probe_->OnRebalance();
  std::vector<std::optional<state::Offset>> starts;
  for (const auto& tp : partitions) {
    auto stored = store_->GetOffset(tp);
    if (!stored.ok()) return stored.status();
    starts.push_back(*stored);
    auto task = TaskFor(tp.partition);
    if (!task.ok()) return task.status();
    assigned_.insert(tp);
    Log().Info("partition assigned",
               {{"topic", tp.topic},
                {"partition", tp.partition.value()},
                {"resume_offset", stored->has_value() ? (*stored)->value() : int64_t{-1}}});
  }
  PublishMembers();
  assigned_count_.store(static_cast<int>(assigned_.size()));
  probe_->SetAssignedPartitions(static_cast<int>(assigned_.size()));
  ready_.store(true);
  return starts;
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
