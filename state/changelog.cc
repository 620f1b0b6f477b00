#include "state/changelog.h"

#include <limits>

#include "fmt/format.h"
#include "ops/log.h"
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

Restorer::Restorer(Store* store, Partition p, NextTimerFn next_timer, size_t max_pending_bytes)
    : store_(store),
      partition_(p),
      next_timer_(std::move(next_timer)),
      max_pending_bytes_(max_pending_bytes),
      batch_(store->NewBatch()) {}

ops::Status Restorer::Apply(Offset offset, std::string_view key,
                            std::optional<std::string_view> value) {
  ++stats_.records;
  if (key == kMetaKey) {
    if (!value) return ops::Status::Ok();  // a meta tombstone: nothing to apply
    ENGAGED_RETURN_IF_ERROR(ApplyPending());
    return ApplyMeta(*value, offset);
  }
  if (key.empty() || key.front() != kCustomerKeyPrefix) {
    return ops::Status::Corruption(
        fmt::format("changelog partition {} offset {}: a key of unknown kind", partition_.value(),
                    offset.value()));
  }
  pending_.push_back({std::string(key.substr(1)),
                      value ? std::optional<std::string>(std::string(*value)) : std::nullopt});
  pending_bytes_ += key.size() + (value ? value->size() : 0);
  if (pending_bytes_ > max_pending_bytes_) {
    if (!warned_spill_) {
      Log().Info(
          "changelog records before a meta record exceed the restore buffer; applying them",
          {{"partition", partition_.value()}, {"bytes", static_cast<int64_t>(pending_bytes_)}});
    }
    warned_spill_ = true;
    ENGAGED_RETURN_IF_ERROR(ApplyPending());
  }
  return ops::Status::Ok();
}

ops::Status Restorer::ApplyPending() {
  for (const Pending& r : pending_) {
    if (r.value) {
      batch_.PutEncodedCustomer(partition_, r.key, *r.value);
    } else {
      batch_.DeleteCustomer(partition_, r.key);
    }
    ++stats_.applied;
    ENGAGED_RETURN_IF_ERROR(WriteIfFull());
  }
  if (!pending_.empty()) stats_.changed = true;
  pending_.clear();
  pending_bytes_ = 0;
  return ops::Status::Ok();
}

ops::Status Restorer::ApplyMeta(std::string_view value, Offset offset) {
  auto meta = DecodeMeta(value);
  if (!meta.ok()) {
    return ops::Status::Corruption(fmt::format("changelog partition {} offset {}: {}",
                                               partition_.value(), offset.value(),
                                               meta.status().ToString()));
  }
  for (const auto& [topic, next] : meta->offsets) batch_.PutOffset({topic, partition_}, next);
  batch_.PutStreamTime(partition_, meta->stream_time);
  batch_.PutFiredThrough(partition_, meta->fired_through);
  batch_.PutMemberCounts(partition_, meta->members);
  batch_.PutChangelogOffset(partition_, Offset(offset.value() + 1));
  ++stats_.applied;
  stats_.changed = true;
  last_meta_ = std::move(meta).value();
  return WriteIfFull();
}

ops::Status Restorer::WriteIfFull() {
  if (batch_.bytes() < kBatchBytes) return ops::Status::Ok();
  return store_->Write(batch_);
}

ops::Result<RestoreStats> Restorer::Finish(Offset end) {
  stats_.discarded = static_cast<int64_t>(pending_.size());
  if (!pending_.empty()) {
    Log().Warn("changelog records of an unfinished commit were not applied",
               {{"partition", partition_.value()}, {"records", stats_.discarded}});
  }
  pending_.clear();
  // With nothing unfinished, the position moves to the end (past transaction markers).
  if (stats_.discarded == 0 && last_meta_) batch_.PutChangelogOffset(partition_, end);
  if (!batch_.empty()) ENGAGED_RETURN_IF_ERROR(store_->Write(batch_));
  if (stats_.changed) ENGAGED_RETURN_IF_ERROR(RebuildTimers());
  return stats_;
}

ops::Status Restorer::RebuildTimers() {
  auto fired = store_->GetFiredThrough(partition_);
  if (!fired.ok()) return fired.status();
  const TimeMs fired_through = fired->value_or(TimeMs(std::numeric_limits<int64_t>::min()));
  batch_.DeleteAllTimers(partition_);
  ops::Status failed;
  ENGAGED_RETURN_IF_ERROR(
      store_->ForEachCustomerIn(partition_, [&](std::string_view id, const CustomerState& s) {
        if (const auto due = next_timer_(s, fired_through)) batch_.PutTimer(partition_, *due, id);
        failed = WriteIfFull();
        return failed.ok();
      }));
  ENGAGED_RETURN_IF_ERROR(failed);
  return store_->Write(batch_);
}

}  // namespace state::changelog
