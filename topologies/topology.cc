#include "topologies/topology.h"

#include <algorithm>
#include <chrono>

#include "ops/log.h"
#include "topologies/clock.h"

namespace topologies {
namespace {

// engaged_processing_duration_seconds times one record in this many.
constexpr uint64_t kTimedEvery = 16;

const ops::Logger& Log() {
  static const ops::Logger logger("topology");
  return logger;
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
           .cache_counters = &cache_counters_,
           .land_store_write = [this] { return LandStoreWrite(); }},
      writer_(std::make_unique<state::StoreWriter>(store)),
      local_copy_max_age_ms_(config->state.local_copy_max_age_ms) {
  if (!config->input.keyed_by_customer) {
    forwarded_topics_.insert(config->input.topics.begin(), config->input.topics.end());
  }
}

Topology::~Topology() {
  // The write of the last commit, if still in flight, lands before the store goes.
  if (auto s = LandStoreWrite(); !s.ok()) {
    Log().Error("the last commit's store write failed; the next start resumes before it",
                {{"error", s.ToString()}});
  }
}

ops::Status Topology::set_store_write(state::StoreWriter::WriteFn write) {
  ENGAGED_RETURN_IF_ERROR(LandStoreWrite());
  writer_ = std::make_unique<state::StoreWriter>(std::move(write));
  return ops::Status::Ok();
}

ops::Status Topology::LandStoreWrite() {
  if (!writer_->in_flight()) return ops::Status::Ok();
  ENGAGED_RETURN_IF_ERROR(writer_->Await());
  for (PartitionTask* task : writing_tasks_) task->EndWrite();
  writing_tasks_.clear();
  probe_->OnStoreWrite(writer_->last_write_seconds());
  Log().Debug("store write landed", {{"store_records", writing_records_},
                                     {"store_write_s", writer_->last_write_seconds()}});
  return ops::Status::Ok();
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

ops::Result<Processed> Topology::Process(const InputRecord& r) {
  // One record in kTimedEvery is timed: the two clock reads cost about 5 % of a cached
  // record's processing, and a sample shows the distribution as well.
  const bool timed = processed_++ % kTimedEvery == 0;
  const auto start =
      timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  // The last commit's store write has landed: its customers may be evicted again.
  if (writer_->landed()) ENGAGED_RETURN_IF_ERROR(LandStoreWrite());
  if (Forwarded(r.topic)) {
    ENGAGED_RETURN_IF_ERROR(ForwarderFor(r.partition).Forward(r));
    return Processed::kDone;
  }
  auto task = TaskFor(r.partition);
  if (!task.ok()) return task.status();
  auto processed = (*task)->Process(r);
  if (timed && processed.ok() && *processed == Processed::kDone) {
    probe_->OnProcessed(SecondsSince(start));
  }
  return processed;
}

ops::Result<std::vector<std::pair<state::TopicPartition, state::Offset>>> Topology::Commit(
    StoreWrite write) {
  std::vector<PartitionTask*> all;
  for (auto& [p, task] : tasks_) all.push_back(task.get());
  return CommitTasks(write, all);
}

ops::Result<std::vector<std::pair<state::TopicPartition, state::Offset>>> Topology::CommitNext(
    StoreWrite write) {
  std::vector<PartitionTask*> next;
  if (!tasks_.empty()) {
    // The first task after the one committed last, in partition order.
    auto it = tasks_.upper_bound(last_committed_);
    if (it == tasks_.end()) it = tasks_.begin();
    last_committed_ = it->first;
    next.push_back(it->second.get());
  }
  return CommitTasks(write, next);
}

ops::Result<std::vector<std::pair<state::TopicPartition, state::Offset>>> Topology::CommitFull(
    StoreWrite write) {
  std::vector<PartitionTask*> full;
  for (auto& [p, task] : tasks_) {
    if (task->NeedsCommit()) full.push_back(task.get());
  }
  if (full.empty()) return Commit(write);
  return CommitTasks(write, full);
}

ops::Result<std::vector<std::pair<state::TopicPartition, state::Offset>>> Topology::CommitTasks(
    StoreWrite write, std::span<PartitionTask* const> tasks) {
  const auto start = std::chrono::steady_clock::now();
  // One store write at a time, and the timers below read the store.
  ENGAGED_RETURN_IF_ERROR(LandStoreWrite());
  // Where a commit's time goes, for the debug log line below. Unit: seconds.
  auto lap_start = start;
  const auto lap = [&lap_start] {
    const double seconds = SecondsSince(lap_start);
    lap_start = std::chrono::steady_clock::now();
    return seconds;
  };
  // Timers first: what they emit must be flushed with the rest before the state that
  // records it is written.
  for (PartitionTask* task : tasks) ENGAGED_RETURN_IF_ERROR(task->FireDueTimers());
  const double timers_s = lap();
  const bool changelog = ctx_.sink->changelog();
  // At-least-once: the outputs are durable before any changelog record says that the
  // commit happened, or a crash in between would restore past outputs never written.
  // (In a transaction, all of it is visible together or not at all.)
  if (changelog && !ctx_.sink->transactional()) ENGAGED_RETURN_IF_ERROR(ctx_.sink->Flush());
  const double outputs_s = lap();
  state::StoreBatch batch = store_->NewBatch();
  std::vector<std::pair<state::TopicPartition, state::Offset>> offsets;
  for (PartitionTask* task : tasks) {
    ENGAGED_RETURN_IF_ERROR(task->CollectCommit(batch, offsets, changelog));
  }
  for (const auto& [p, f] : forwarders_) f->CollectCommit(offsets);
  const double collect_s = lap();
  // Outputs, changelog records (and, exactly-once, the offsets) are durable before the
  // store records them.
  auto positions = ctx_.sink->Commit(offsets);
  if (!positions.ok()) return positions.status();
  const double sink_s = lap();
  const state::TimeMs now = ctx_.clock();
  for (const auto& [p, span] : *positions) {
    if (!ctx_.sink->transactional()) CheckChangelogSpan(p, span);
    changelog_next_[p] = span.next;
    batch.PutChangelogOffset(p, span.next, now);
  }
  if (changelog && !batch.empty()) {
    // Each committed partition's copy is current now (its changelog partition is this
    // instance's to write): recorded whenever the store is written anyway, so that an
    // idle partition's age is not that of its last change.
    for (PartitionTask* task : tasks) {
      if (!positions->contains(task->partition())) batch.PutChangelogAsOf(task->partition(), now);
    }
  }
  const auto records = static_cast<int64_t>(batch.count());
  for (PartitionTask* task : tasks) task->BeginWrite();
  for (auto& [p, f] : forwarders_) f->AfterCommit();
  const bool background = write == StoreWrite::kBackground && changelog;
  if (background && !batch.empty()) {
    writing_records_ = records;
    writing_tasks_.assign(tasks.begin(), tasks.end());
    writer_->Start(std::move(batch));
  } else {
    if (!batch.empty()) {
      ENGAGED_RETURN_IF_ERROR(writer_->Write(batch));
      probe_->OnStoreWrite(writer_->last_write_seconds());
    }
    for (PartitionTask* task : tasks) task->EndWrite();
  }
  Log().Debug("committed", {{"partitions", static_cast<int64_t>(tasks.size())},
                            {"store_records", records},
                            {"timers_s", timers_s},
                            {"outputs_flush_s", outputs_s},
                            {"collect_s", collect_s},
                            {"sink_commit_s", sink_s},
                            {background ? "store_write_started_s" : "store_write_s", lap()}});
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

void Topology::CheckChangelogSpan(state::Partition p, const ChangelogSpan& span) {
  const auto expected = changelog_next_.find(p);
  if (expected == changelog_next_.end()) return;  // nothing written or restored before
  const int64_t since = span.next.value() - expected->second.value();
  if (span.first < expected->second || since < span.records) {
    Log().Warn(
        "the changelog partition ends before this instance's last write to it (was the "
        "topic recreated?)",
        {{"partition", p.value()},
         {"expected_from", expected->second.value()},
         {"first", span.first.value()}});
    return;
  }
  const int64_t foreign = since - span.records;
  if (foreign == 0) return;
  probe_->OnChangelogForeignRecords(foreign);
  Log().Warn(
      "another writer appended to this partition's changelog since this instance's last "
      "commit to it (at-least-once has no fencing: a paused instance's late commit, or a "
      "second deployment with the same changelog topic); until this instance writes the "
      "customers those records name again, a restore may read older states for them",
      {{"partition", p.value()},
       {"foreign_records", foreign},
       {"from", expected->second.value()},
       {"to", span.next.value()}});
}

ops::Result<std::vector<std::optional<state::Offset>>> Topology::StartTasks(
    std::span<const state::TopicPartition> partitions) {
  // The store is read below (restores, offsets, the tasks' stream times).
  ENGAGED_RETURN_IF_ERROR(LandStoreWrite());
  // Every partition without a task is restored first (one pass), then the tasks start.
  std::vector<state::Partition> restore;
  for (const auto& tp : partitions) {
    if (!Forwarded(tp.topic) && !tasks_.contains(tp.partition) &&
        std::find(restore.begin(), restore.end(), tp.partition) == restore.end()) {
      restore.push_back(tp.partition);
    }
  }
  ENGAGED_RETURN_IF_ERROR(RestoreAll(restore));
  // Where this instance's next records of each restored partition should land: the
  // changelog position the restore (or the seal of an unfinished commit) recorded.
  for (const state::Partition p : restore) {
    changelog_next_.erase(p);
    if (changelog_ == nullptr) continue;
    auto at = store_->GetChangelogOffset(p);
    if (!at.ok()) return at.status();
    if (at->has_value()) changelog_next_[p] = **at;
  }
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
  // The write in flight is the last committed transaction's: the rewind starts there.
  ENGAGED_RETURN_IF_ERROR(LandStoreWrite());
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
  OnAssignmentChange();
  if (!starts.ok()) return starts.status();
  PublishMembers();
  PublishAssignment();
  ready_.store(true);
  return starts;
}

ops::Status Topology::OnLost(std::span<const state::TopicPartition> partitions) {
  probe_->OnRebalance();
  if (!ctx_.sink->transactional()) {
    // Another member may own the partitions already, and have restored them from the
    // changelog: a commit now would append to their changelog after that member's own
    // commits, and a later restore would take this instance's older states of the
    // customers it wrote. So their work since their last commit is dropped (the member
    // that owns them now redoes it; its outputs may repeat, with the same event ids),
    // and the other partitions carry on. The write in flight belongs to a commit that
    // succeeded.
    ENGAGED_RETURN_IF_ERROR(LandStoreWrite());
    Release(partitions, "partition lost; its work since its last commit is dropped");
    return ops::Status::Ok();
  }
  ENGAGED_RETURN_IF_ERROR(ctx_.sink->Abort());
  Abandon();
  return ops::Status::Aborted(
      "partitions lost to a session timeout: the open transaction was aborted; restart to "
      "restore from the changelog");
}

void Topology::Abandon() {
  // The write in flight belongs to a commit that succeeded; let it land.
  if (auto s = LandStoreWrite(); !s.ok()) {
    Log().Error("the last commit's store write failed", {{"error", s.ToString()}});
  }
  abandoned_ = true;
  tasks_.clear();
  forwarders_.clear();
}

void Topology::OnAssignmentChange() {
  ++assignment_changes_;
  for (auto& [p, task] : tasks_) task->RecommitPositions();
  for (auto& [p, f] : forwarders_) f->RecommitPositions();
}

ops::Status Topology::OnRevoked(std::span<const state::TopicPartition> partitions) {
  probe_->OnRebalance();
  if (!abandoned_) {
    auto committed = Commit();
    if (!committed.ok()) return committed.status();
  }
  Release(partitions, "partition revoked");
  return ops::Status::Ok();
}

void Topology::Release(std::span<const state::TopicPartition> partitions, const char* why) {
  for (const auto& tp : partitions) {
    assigned_.erase(tp);
    Log().Info(why, {{"topic", tp.topic}, {"partition", tp.partition.value()}});
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
    if (!still_assigned) changelog_next_.erase(it->first);
    it = still_assigned ? std::next(it) : tasks_.erase(it);
  }
  OnAssignmentChange();
  RebalanceCacheBudget();
  PublishMembers();
  PublishAssignment();
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
