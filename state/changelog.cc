#include "state/changelog.h"

#include <algorithm>
#include <limits>

#include "fmt/format.h"
#include "ops/log.h"
#include "state/codec.h"
#include "state/varint.h"

namespace state::changelog {
namespace {

constexpr uint8_t kMetaVersion = 1;

const ops::Logger& Log() {
  static const ops::Logger logger("changelog");
  return logger;
}

}  // namespace

std::string CustomerKey(std::string_view customer_id) {
  std::string k;
  k.reserve(1 + customer_id.size());
  k.push_back(kCustomerKeyPrefix);
  k.append(customer_id);
  return k;
}

void EncodeMeta(const PartitionMeta& meta, std::string* out) {
  out->push_back(static_cast<char>(kMetaVersion));
  PutSigned(meta.stream_time.value(), out);
  PutSigned(meta.fired_through.value(), out);
  PutVarint64(meta.offsets.size(), out);
  for (const auto& [topic, offset] : meta.offsets) {
    PutBytes(topic, out);
    PutVarint64(static_cast<uint64_t>(offset.value()), out);
  }
  EncodeMemberCounts(meta.members, out);
}

ops::Result<PartitionMeta> DecodeMeta(std::string_view bytes) {
  ByteReader r(bytes);
  const auto version = r.Byte();
  if (!version || *version != kMetaVersion) {
    return ops::Status::Corruption(
        fmt::format("changelog meta record: unknown version {}", version ? int{*version} : -1));
  }
  PartitionMeta meta;
  const auto stream_time = r.Signed();
  const auto fired_through = r.Signed();
  const auto n = r.Varint64();
  if (!stream_time || !fired_through || !n) {
    return ops::Status::Corruption("changelog meta record is truncated");
  }
  meta.stream_time = TimeMs(*stream_time);
  meta.fired_through = TimeMs(*fired_through);
  for (uint64_t i = 0; i < *n; ++i) {
    const auto topic = r.Bytes();
    const auto offset = r.Varint64();
    if (!topic || !offset) return ops::Status::Corruption("changelog meta record: bad offsets");
    meta.offsets.emplace_back(std::string(*topic), Offset(static_cast<int64_t>(*offset)));
  }
  auto members = DecodeMemberCounts(r.rest());  // the rest of the record
  if (!members.ok()) return ops::Status::Corruption("changelog meta record: bad member counts");
  meta.members = std::move(members).value();
  return meta;
}

ops::Result<PartitionMeta> StoredMeta(Store& store, Partition p) {
  PartitionMeta meta;
  auto offsets = store.GetOffsets(p);
  if (!offsets.ok()) return offsets.status();
  meta.offsets = std::move(offsets).value();
  auto stream_time = store.GetStreamTime(p);
  if (!stream_time.ok()) return stream_time.status();
  meta.stream_time = stream_time->value_or(TimeMs(0));
  auto fired = store.GetFiredThrough(p);
  if (!fired.ok()) return fired.status();
  meta.fired_through = fired->value_or(TimeMs(std::numeric_limits<int64_t>::min()));
  auto members = store.GetMemberCounts(p);
  if (!members.ok()) return members.status();
  meta.members = std::move(members).value();
  return meta;
}

Restorer::Restorer(Store* store, Partition p, NextTimerFn next_timer, TimeMs as_of,
                   size_t max_pending_bytes, size_t ingest_bytes)
    : store_(store),
      partition_(p),
      next_timer_(std::move(next_timer)),
      as_of_(as_of),
      max_pending_bytes_(max_pending_bytes),
      ingest_bytes_(ingest_bytes) {}

ops::Status Restorer::Apply(Offset offset, std::string_view key,
                            std::optional<std::string_view> value) {
  ++stats_.records;
  if (key == kMetaKey) {
    if (!value) return ops::Status::Ok();  // a meta tombstone: nothing to apply
    return ApplyMeta(*value, offset);
  }
  if (key.empty() || key.front() != kCustomerKeyPrefix) {
    return ops::Status::Corruption(
        fmt::format("changelog partition {} offset {}: a key of unknown kind", partition_.value(),
                    offset.value()));
  }
  const std::string_view id = key.substr(1);
  if (value) {
    loader_.PutEncodedCustomer(partition_, id, *value);
  } else {
    loader_.DeleteCustomer(partition_, id);
  }
  unclosed_.emplace_back(id);
  if (loader_.bytes() <= ingest_bytes_) return ops::Status::Ok();
  if (marked_) return Write(/*closed_only=*/true);
  if (loader_.bytes() <= max_pending_bytes_) return ops::Status::Ok();
  if (!warned_spill_) {
    Log().Info(
        "changelog records before a meta record exceed the restore buffer; applying them",
        {{"partition", partition_.value()}, {"bytes", static_cast<int64_t>(loader_.bytes())}});
  }
  warned_spill_ = true;
  stats_.applied += static_cast<int64_t>(unclosed_.size());
  stats_.changed = true;
  unclosed_.clear();
  return Write(/*closed_only=*/false);
}

ops::Status Restorer::ApplyMeta(std::string_view value, Offset offset) {
  auto meta = DecodeMeta(value);
  if (!meta.ok()) {
    return ops::Status::Corruption(fmt::format("changelog partition {} offset {}: {}",
                                               partition_.value(), offset.value(),
                                               meta.status().ToString()));
  }
  meta_ = std::move(meta).value();
  position_ = Offset(offset.value() + 1);
  stats_.applied += static_cast<int64_t>(unclosed_.size()) + 1;
  stats_.changed = true;
  unclosed_.clear();
  applied_meta_ = true;
  loader_.Mark();
  marked_ = true;
  return ops::Status::Ok();
}

ops::Status Restorer::Write(bool closed_only) {
  ENGAGED_RETURN_IF_ERROR(store_->Ingest(loader_, closed_only));
  marked_ = false;
  StoreBatch batch = store_->NewBatch();
  if (meta_) {
    for (const auto& [topic, next] : meta_->offsets) batch.PutOffset({topic, partition_}, next);
    batch.PutStreamTime(partition_, meta_->stream_time);
    batch.PutFiredThrough(partition_, meta_->fired_through);
    batch.PutMemberCounts(partition_, meta_->members);
  }
  if (position_) batch.PutChangelogOffset(partition_, *position_, as_of_);
  meta_.reset();
  position_.reset();
  return batch.empty() ? ops::Status::Ok() : store_->WriteUnlogged(batch);
}

ops::Result<RestoreStats> Restorer::Finish(Offset end) {
  stats_.discarded = static_cast<int64_t>(unclosed_.size());
  if (!unclosed_.empty()) {
    Log().Warn("changelog records of an unfinished commit were not applied",
               {{"partition", partition_.value()}, {"records", stats_.discarded}});
    // Everything after the last meta record (or the last load) goes.
    if (marked_) {
      loader_.RollbackToMark();
    } else {
      loader_.Clear();
    }
    std::sort(unclosed_.begin(), unclosed_.end());
    unclosed_.erase(std::unique(unclosed_.begin(), unclosed_.end()), unclosed_.end());
    stats_.discarded_customers = std::move(unclosed_);
    unclosed_.clear();
  } else if (applied_meta_) {
    // Nothing unfinished: the position moves to the end (past transaction markers).
    position_ = end;
  }
  ENGAGED_RETURN_IF_ERROR(Write(/*closed_only=*/false));
  if (stats_.changed) ENGAGED_RETURN_IF_ERROR(RebuildTimers());
  if (stats_.changed) ENGAGED_RETURN_IF_ERROR(store_->Flush());
  return stats_;
}

ops::Status Restorer::RebuildTimers() {
  auto fired = store_->GetFiredThrough(partition_);
  if (!fired.ok()) return fired.status();
  const TimeMs fired_through = fired->value_or(TimeMs(std::numeric_limits<int64_t>::min()));
  ENGAGED_RETURN_IF_ERROR(store_->DropTimers(partition_));
  StoreLoader timers;
  ops::Status failed;
  ENGAGED_RETURN_IF_ERROR(store_->ForEachEncodedCustomerIn(
      partition_, [&](std::string_view id, std::string_view bytes) {
        auto last_seen = DecodeLastSeen(bytes);
        if (!last_seen.ok()) {
          failed = last_seen.status();
          return false;
        }
        if (const auto due = next_timer_(*last_seen, fired_through)) {
          timers.PutTimer(partition_, *due, id);
        }
        if (timers.bytes() >= ingest_bytes_) failed = store_->Ingest(timers);
        return failed.ok();
      }));
  ENGAGED_RETURN_IF_ERROR(failed);
  return store_->Ingest(timers);
}

}  // namespace state::changelog
