#include "topologies/runner.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "fmt/format.h"
#include "ops/log.h"

namespace topologies {
namespace {

constexpr int kPollTimeoutMs = 100;
// Transactions aborted in a row, with no commit between, before the process gives up.
constexpr int kMaxConsecutiveAborts = 5;
constexpr double kMillisPerSecond = 1000.0;

const ops::Logger& Log() {
  static const ops::Logger logger("runner");
  return logger;
}

}  // namespace

Runner::Runner(const ProcessingConfig* config, Source* source, Topology* topology, Clock clock,
               const TopologyProbe* probe)
    : config_(config),
      source_(source),
      topology_(topology),
      clock_(std::move(clock)),
      probe_(probe) {
  source_->SetListener(topology_);
  const Source::GroupTimeouts group = source_->group_timeouts();
  stall_ms_ = group.session_ms / 2;
  hold_ms_ = group.heartbeat_ms;
}

bool Runner::MayCommit(bool wait) {
  state::TimeMs now = clock_();
  if (stall_ms_ > 0 && now.value() - turn_start_.value() > stall_ms_) {
    Log().Warn(
        "a turn of the poll loop took more than half the group session (the process was "
        "paused, or a restore ran long); holding commits for a heartbeat interval, in "
        "which librdkafka notices a session lost meanwhile",
        {{"stalled_ms", now.value() - turn_start_.value()}, {"hold_ms", hold_ms_}});
    hold_until_ = state::TimeMs(now.value() + hold_ms_);
    turn_start_ = now;  // the stall is seen; what follows is measured afresh
  }
  if (now < hold_until_) {
    if (!wait) return false;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min(hold_until_.value() - now.value(), hold_ms_)));
  }
  if (source_->AssignmentLost()) {
    if (!lost_logged_) Log().Warn("assignment lost; not committing", {});
    lost_logged_ = true;
    return false;
  }
  lost_logged_ = false;
  return true;
}

ops::Result<bool> Runner::CommitNow(StoreWrite write, Scope scope, bool wait_out_hold) {
  // Another member may own the partitions and have restored them; the loss reaches the
  // topology at a later poll (Topology::OnLost), which drops what this commit would
  // have written.
  if (!topology_->transactional() && !MayCommit(wait_out_hold)) return false;
  auto offsets = scope == Scope::kNextPartition ? topology_->CommitNext(write)
                 : scope == Scope::kFull        ? topology_->CommitFull(write)
                                                : topology_->Commit(write);
  if (!offsets.ok() && offsets.status().code() == ops::StatusCode::kAborted) {
    // Exactly-once: nothing since the last commit happened. Back to it, and on, unless
    // the same work keeps failing (a record the broker rejects would abort forever).
    if (++consecutive_aborts_ > kMaxConsecutiveAborts) {
      return ops::Status::Kafka(fmt::format("{} transactions in a row aborted; last: {}",
                                            consecutive_aborts_, offsets.status().message()));
    }
    Log().Warn("commit aborted; rewinding", {{"reason", offsets.status().message()}});
    auto seeks = topology_->Rewind();
    if (!seeks.ok()) return seeks.status();
    ENGAGED_RETURN_IF_ERROR(source_->Seek(*seeks));
    return false;
  }
  if (!offsets.ok()) return offsets.status();
  consecutive_aborts_ = 0;
  // Exactly-once commits the group's offsets in the transaction. A second, advisory
  // commit would only race the rebalances: librdkafka 2.0 takes an offset commit
  // refused with ILLEGAL_GENERATION, routine during a cooperative rebalance, as the
  // loss of every assigned partition, which stops an exactly-once process.
  if (!topology_->transactional()) CommitGroupOffsets(*offsets, scope == Scope::kAll);
  if (probe_ != nullptr) probe_->OnCommitted(clock_());
  return true;
}

Runner::Scope Runner::FullCacheScope() const {
  return !topology_->transactional() && topology_->task_count() > 1 ? Scope::kFull : Scope::kAll;
}

ops::Result<bool> Runner::ProcessRecord(const InputRecord& record, const std::atomic<bool>& stop) {
  auto processed = topology_->Process(record);
  // The wakes of a midnight filled a write-back cache before the record's turn.
  while (processed.ok() && *processed == Processed::kCommitFirst) {
    if (stop.load(std::memory_order_relaxed)) return false;
    auto committed = CommitNow(StoreWrite::kBackground, FullCacheScope());
    if (!committed.ok()) return committed.status();
    if (!*committed && !topology_->transactional()) {
      // Refused: the assignment is lost. Should the record's partition stay (librdkafka
      // can lose part of an assignment), the record must come again, not be skipped.
      const std::pair<state::TopicPartition, state::Offset> back{
          {std::string(record.topic), record.partition}, record.offset};
      if (auto s = source_->Seek({&back, 1}); !s.ok()) {
        Log().Warn("cannot seek back the record a lost assignment left unprocessed",
                   {{"error", s.ToString()}});
      }
    }
    if (!*committed) return false;
    processed = topology_->Process(record);
  }
  if (!processed.ok()) return processed.status();
  return true;
}

void Runner::CommitGroupOffsets(
    std::span<const std::pair<state::TopicPartition, state::Offset>> offsets, bool now) {
  if (topology_->assignment_changes() != group_offsets_assignment_) {
    // A rebalance since: some may name partitions another member owns now.
    group_offsets_.clear();
    group_offsets_assignment_ = topology_->assignment_changes();
  }
  for (const auto& [tp, next] : offsets) group_offsets_[tp] = next;
  const state::TimeMs t = clock_();
  if (group_offsets_.empty() || (!now && t < next_group_commit_)) return;
  const std::vector<std::pair<state::TopicPartition, state::Offset>> all(group_offsets_.begin(),
                                                                         group_offsets_.end());
  source_->OnCommitted(all);
  group_offsets_.clear();
  next_group_commit_ = state::TimeMs(t.value() + config_->commit_interval_ms);
}

ops::Status Runner::Run(const std::atomic<bool>& stop) {
  turn_start_ = clock_();
  state::TimeMs next_commit(turn_start_.value() + config_->commit_interval_ms);
  // At-least-once spreads the partitions' commits evenly over the interval, one
  // partition at a time: each still commits once per interval, and the loop stops for
  // a share of a full commit each time (docs/architecture.md). A transaction spans
  // every partition, so exactly-once commits them all at once.
  const bool spread = !topology_->transactional();
  ops::Status status;
  while (!stop.load(std::memory_order_relaxed)) {
    auto polled = source_->Poll(kPollTimeoutMs);
    if (!polled.ok()) {
      status = polled.status();
      break;
    }
    if (*polled == PollStatus::kEnd) break;
    std::optional<state::TimeMs> now;  // read once per turn
    if (*polled == PollStatus::kRecord) {
      const InputRecord& record = source_->record();
      auto processed = ProcessRecord(record, stop);
      if (!processed.ok()) {
        status = processed.status();
        break;
      }
      if (*processed && probe_ != nullptr && record.timestamp.value() >= 0) {
        now = clock_();
        probe_->OnEndToEnd(static_cast<double>(now->value() - record.timestamp.value()) /
                           kMillisPerSecond);
      }
    }
    const bool full = topology_->NeedsCommit();  // a cache's dirty entries are too many
    // The next turn starts at this one's end, or after its commit (MayCommit measures
    // turns from their start).
    const state::TimeMs turn_end = now ? *now : clock_();
    if (!full && turn_end < next_commit) {
      turn_start_ = turn_end;
    } else {
      const size_t tasks = topology_->task_count();
      // A full cache's partition commits out of turn; the turns go on as they were.
      const Scope scope = full                  ? FullCacheScope()
                          : spread && tasks > 1 ? Scope::kNextPartition
                                                : Scope::kAll;
      // The store write goes on while the next records are processed. A hold after a
      // stall skips this turn's commit.
      auto committed = CommitNow(StoreWrite::kBackground, scope, /*wait_out_hold=*/false);
      if (!committed.ok()) {
        status = committed.status();
        break;
      }
      const int64_t interval = config_->commit_interval_ms;
      turn_start_ = clock_();
      if (scope == Scope::kNextPartition) {
        next_commit = state::TimeMs(turn_start_.value() + interval / static_cast<int64_t>(tasks));
      } else if (scope == Scope::kAll) {
        next_commit = state::TimeMs(turn_start_.value() + interval);
      }
    }
  }
  if (!status.ok()) {
    // Nothing is committed past a failure: the next start resumes from the last commit.
    Log().Error("processing stopped on an error; not committing", {{"error", status.ToString()}});
    topology_->Abandon();
    source_->Close().IgnoreError();  // already failing; the first error is the one to report
    return status;
  }
  auto committed = CommitNow(StoreWrite::kWait, Scope::kAll);
  if (!committed.ok()) return committed.status();
  if (!*committed) {
    Log().Warn(
        "the last commit did not happen (aborted, or the assignment was lost); what came "
        "after the one before is processed again",
        {});
    // The commit before it may still be writing the store: it lands before Run returns
    // (the caller flushes and closes the store next), as a lost assignment that the
    // consumer's close hands to no listener would not land it.
    ENGAGED_RETURN_IF_ERROR(topology_->LandStoreWrite());
  }
  return source_->Close();
}

}  // namespace topologies
