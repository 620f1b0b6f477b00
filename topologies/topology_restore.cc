// Topology's restores from the changelog (state/changelog.h): where each starts, the
// groups of partitions read together and then loaded on two threads, and the sealing
// of an unfinished at-least-once commit.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <map>

#include "ops/log.h"
#include "state/changelog.h"
#include "state/codec.h"
#include "topologies/clock.h"
#include "topologies/topology.h"

namespace topologies {
namespace {

const ops::Logger& Log() {
  static const ops::Logger logger("topology");
  return logger;
}

// Partitions are restored this many at a time: their records are read together, then
// loaded on two threads.
constexpr size_t kPartitionsPerRead = 8;
// A group's restorers hold the write-back caches' share of the memory budget in
// records between loads, together (Restorer's ingest_bytes), and at least this much.
constexpr size_t kMinRestoreBufferBytes = size_t{64} << 20;
// A restore reads the clock once per this many records plus one, and logs its progress
// at most this often.
constexpr int64_t kRestoreClockMask = 4095;
constexpr auto kRestoreProgressEvery = std::chrono::seconds(5);

}  // namespace

struct Topology::Restoring {
  state::Partition partition;
  state::Offset from;
  state::changelog::Restorer restorer;
  std::chrono::steady_clock::time_point start{};  // of its group's restore
  double read_seconds = 0;                        // reading the records (the rest is loading them)
  size_t group_size = 1;  // the partitions restored together with it, itself included
};

ops::Status Topology::RecordCurrent(state::Partition p, state::TimeMs as_of) {
  state::StoreBatch batch = store_->NewBatch();
  batch.PutChangelogAsOf(p, as_of);
  return store_->Write(batch);
}

ops::Result<std::optional<state::Offset>> Topology::RestoreStart(state::Partition p) {
  auto local = store_->GetChangelogOffset(p);
  if (!local.ok()) return local.status();
  auto bounds = changelog_->Bounds(p);
  if (!bounds.ok()) return bounds.status();
  const state::Offset first = bounds->first;
  const state::Offset end = bounds->second;
  const auto drop = [&]() -> ops::Result<std::optional<state::Offset>> {
    ENGAGED_RETURN_IF_ERROR(store_->DropPartition(p));
    return std::optional<state::Offset>(first);
  };
  if (!local->has_value()) {
    if (end <= first) return std::optional<state::Offset>();  // nothing logged yet
    // State here without a changelog position is not known to match the changelog.
    return drop();
  }
  const state::Offset at = **local;
  if (at > end) {
    Log().Warn("local state is ahead of the changelog (was the topic recreated?); dropping it",
               {{"partition", p.value()}, {"local", at.value()}, {"end", end.value()}});
    return drop();
  }
  if (at == end) {  // nothing logged since: the copy is current now
    ENGAGED_RETURN_IF_ERROR(RecordCurrent(p, ctx_.clock()));
    return std::optional<state::Offset>();
  }
  if (at < first) {
    Log().Warn(
        "the changelog starts after the local state's position (records deleted); "
        "dropping it",
        {{"partition", p.value()}, {"local", at.value()}, {"first", first.value()}});
    return drop();
  }
  // Behind the changelog: caught up from its own position, unless the copy is so old
  // that the broker may have removed tombstones it has not applied.
  const int64_t max_age = local_copy_max_age_ms_.load();
  auto as_of = store_->GetChangelogAsOf(p);
  if (!as_of.ok()) return as_of.status();
  if (max_age > 0 && as_of->has_value()) {
    const int64_t age = ctx_.clock().value() - (*as_of)->value();
    if (age > max_age) {
      Log().Warn(
          "the local state is older than state.local_copy_max_age_ms; dropping it and "
          "restoring the partition from the start of the changelog",
          {{"partition", p.value()},
           {"age_ms", age},
           {"max_age_ms", max_age},
           {"local", at.value()},
           {"end", end.value()}});
      return drop();
    }
  }
  return std::optional<state::Offset>(at);
}

ops::Status Topology::RestoreAll(std::span<const state::Partition> partitions) {
  if (changelog_ == nullptr) return ops::Status::Ok();
  std::vector<std::unique_ptr<Restoring>> group;
  const TaskContext& ctx = ctx_;
  for (const state::Partition p : partitions) {
    auto from = RestoreStart(p);
    if (!from.ok()) return from.status();
    if (!from->has_value()) continue;
    group.push_back(std::make_unique<Restoring>(Restoring{
        .partition = p,
        .from = **from,
        .restorer = state::changelog::Restorer(
            store_, p,
            [&ctx](state::TimeMs last_seen, state::TimeMs fired_through) {
              return PartitionTask::RestoredTimer(ctx, last_seen, fired_through);
            },
            ctx.clock(), state::changelog::Restorer::kDefaultMaxPendingBytes,
            std::max(cache_budget_bytes_, kMinRestoreBufferBytes) / kPartitionsPerRead),
    }));
    if (group.size() == kPartitionsPerRead) {
      ENGAGED_RETURN_IF_ERROR(RestoreGroup(group));
      group.clear();
    }
  }
  return group.empty() ? ops::Status::Ok() : RestoreGroup(group);
}

ops::Status Topology::RestoreGroup(std::span<const std::unique_ptr<Restoring>> group) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::pair<state::Partition, state::Offset>> from;
  std::map<state::Partition, Restoring*> by_partition;
  for (const auto& r : group) {
    restoring_.fetch_add(1);
    probe_->OnRestoreStart();
    Log().Info("restoring partition from the changelog",
               {{"partition", r->partition.value()}, {"from_offset", r->from.value()}});
    r->group_size = group.size();
    r->start = start;
    from.emplace_back(r->partition, r->from);
    by_partition.emplace(r->partition, r.get());
  }
  // A long restore logs its progress every kRestoreProgressEvery.
  auto last_log = start;
  int64_t read = 0;
  auto ends = changelog_->Read(from, [&](const ChangelogRecord& record) {
    if ((++read & kRestoreClockMask) == 0 &&
        std::chrono::steady_clock::now() - last_log > kRestoreProgressEvery) {
      last_log = std::chrono::steady_clock::now();
      Log().Info("restoring partitions from the changelog",
                 {{"partitions", static_cast<int64_t>(group.size())},
                  {"records", read},
                  {"records_per_s", static_cast<double>(read) / SecondsSince(start)}});
    }
    return by_partition.at(record.partition)
        ->restorer.Apply(record.offset, record.key, record.value);
  });
  std::vector<std::optional<ops::Result<state::changelog::RestoreStats>>> stats(group.size());
  if (ends.ok()) {
    // Loading what was read: a partition at a time on this thread and on a helper.
    const double read_seconds = SecondsSince(start);
    std::atomic<size_t> next{0};
    const auto load = [&] {
      for (size_t k = next++; k < group.size(); k = next++) {
        group[k]->read_seconds = read_seconds;
        stats[k] = group[k]->restorer.Finish((*ends)[k]);
      }
    };
    auto helper = std::async(std::launch::async, load);
    load();
    helper.get();
  }
  ops::Status failed = ends.status();
  for (size_t k = 0; k < group.size(); ++k) {
    ops::Status s = Restored(*group[k], stats[k] ? std::move(*stats[k]) : ends.status());
    if (failed.ok()) failed = std::move(s);
  }
  return failed;
}

ops::Status Topology::Restored(Restoring& r, ops::Result<state::changelog::RestoreStats> stats) {
  const double seconds = SecondsSince(r.start);
  restoring_.fetch_sub(1);
  // The group's time is shared by its partitions: the metric's records over its
  // seconds is the instance's restore rate.
  probe_->OnRestoreEnd(stats.ok() ? stats->records : 0,
                       seconds / static_cast<double>(r.group_size));
  if (!stats.ok()) return stats.status();
  const state::Partition p = r.partition;
  Log().Info("partition restored", {{"partition", p.value()},
                                    {"records", stats->records},
                                    {"applied", stats->applied},
                                    {"discarded", stats->discarded},
                                    {"partitions_together", static_cast<int64_t>(r.group_size)},
                                    {"seconds", seconds},
                                    {"read_seconds", r.read_seconds}});
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
  const state::TimeMs now = ctx_.clock();
  for (const auto& [partition, span] : *positions) {
    batch.PutChangelogOffset(partition, span.next, now);
  }
  ENGAGED_RETURN_IF_ERROR(store_->Write(batch));
  Log().Info("sealed an unfinished commit in the changelog",
             {{"partition", p.value()}, {"customers", static_cast<int64_t>(customers.size())}});
  return ops::Status::Ok();
}

}  // namespace topologies
