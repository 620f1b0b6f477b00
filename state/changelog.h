#pragma once

// The changelog: a compacted Kafka topic per application with one partition per input
// partition, of which the local RocksDB state is a materialisation (state/FORMAT.md,
// "Changelog"). At each commit a partition task writes the state of every customer it
// changed (a tombstone for a deleted one), then one meta record: the partition's input
// offsets, stream time, fired-through time and member counts as of that commit. The
// meta record closes the commit: on restore, records after the last meta record belong
// to a commit that never completed and are not applied.
//
// This file holds the record encodings and the restorer, which applies one partition's
// records to the Store. Reading the topic is the Kafka layer's work (topologies/kafka).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ops/status.h"
#include "state/customer_state.h"
#include "state/store.h"
#include "state/types.h"

namespace state::changelog {

// Record keys. A customer's record is 'c' followed by the id bytes; the meta record of
// a partition is "m". Values: the customer's codec bytes (state/codec.h), or null for a
// deleted customer; the meta record's encoding is below.
inline constexpr char kCustomerKeyPrefix = 'c';
inline constexpr std::string_view kMetaKey = "m";
std::string CustomerKey(std::string_view customer_id);

// One partition as of one commit.
struct PartitionMeta {
  // The next offset to consume of each input topic of the partition.
  std::vector<std::pair<std::string, Offset>> offsets;
  TimeMs stream_time{0};
  // Every timer due at or before this has fired (a UTC midnight, or INT64_MIN).
  TimeMs fired_through{0};
  MemberCounts members;
  bool operator==(const PartitionMeta&) const = default;
};

// Version byte, then zig-zag varints for stream_time and fired_through, the offsets
// (varint count; per topic: length-prefixed name, varint offset), then the member
// counts (store.h EncodeMemberCounts).
void EncodeMeta(const PartitionMeta& meta, std::string* out);
ops::Result<PartitionMeta> DecodeMeta(std::string_view bytes);

// Partition `p`'s meta as the store holds it (its last commit).
ops::Result<PartitionMeta> StoredMeta(Store& store, Partition p);

// The timer a restored customer last seen at `last_seen` needs, given the time its
// partition's timers have fired through; nullopt for none. Supplied by the topology,
// which owns timer policy.
using NextTimerFn = std::function<std::optional<TimeMs>(TimeMs last_seen, TimeMs fired_through)>;

// What one restore did.
struct RestoreStats {
  int64_t records = 0;    // records read
  int64_t applied = 0;    // records applied to the store
  int64_t discarded = 0;  // records after the last meta record (an unfinished commit)
  bool changed = false;   // the store's state of the partition changed
  // The customers named by the discarded records, once each.
  std::vector<std::string> discarded_customers;
};

// Applies one partition's changelog records, in offset order, to the store. Records
// collect in a StoreLoader; the meta record that closes their commit marks it, and once
// the loader holds `ingest_bytes` the closed records go into the store as sorted SST
// files (Store::Ingest: no WAL, no memtable), followed by the commit's meta (without
// the WAL). After the last record, Finish drops what no meta record closed, loads the
// rest, records the changelog position, rebuilds the partition's timers from its
// customers (loaded the same way), and flushes the meta, which makes the restore
// complete: a crash before that leaves the changelog position behind the loaded
// state, and the next restore reads those records again (applying one twice changes
// nothing, as the last value of a key wins).
//
// Owned by the caller of one restore; used from one thread; not thread-safe.
class Restorer {
 public:
  // `store` must outlive the restorer. `max_pending_bytes`: the records of one commit
  // held at most; past it they are loaded before their meta record arrives (a compacted
  // changelog keeps only the newest meta record, so its older records all come before
  // it). `ingest_bytes`: closed records held before they are loaded. Unit: bytes.
  // `as_of`: the wall-clock time the restore started; every changelog position it
  // records is recorded as current as of then (Store's ChangelogAsOf).
  Restorer(Store* store, Partition p, NextTimerFn next_timer, TimeMs as_of,
           size_t max_pending_bytes = kDefaultMaxPendingBytes,
           size_t ingest_bytes = kDefaultIngestBytes);

  // One record at changelog offset `offset`; `value` nullopt is a tombstone.
  ops::Status Apply(Offset offset, std::string_view key, std::optional<std::string_view> value);
  // The changelog ends at `end` (the next offset). Completes the restore.
  ops::Result<RestoreStats> Finish(Offset end);

  static constexpr size_t kDefaultMaxPendingBytes = size_t{256} << 20;
  static constexpr size_t kDefaultIngestBytes = size_t{64} << 20;

 private:
  ops::Status ApplyMeta(std::string_view value, Offset offset);
  // Loads the records (those up to the last meta record when `closed_only`), then
  // writes the meta and position not written yet.
  ops::Status Write(bool closed_only);
  ops::Status RebuildTimers();

  Store* store_;
  Partition partition_;
  NextTimerFn next_timer_;
  TimeMs as_of_;
  size_t max_pending_bytes_;
  size_t ingest_bytes_;
  StoreLoader loader_;
  bool marked_ = false;  // a meta record arrived since the last load (the loader's mark)
  // Not written yet: the last meta record's content, and the changelog position.
  std::optional<PartitionMeta> meta_;
  std::optional<Offset> position_;
  // The customers of the records since the last meta record (or the last spill).
  std::vector<std::string> unclosed_;
  bool applied_meta_ = false;
  RestoreStats stats_;
  bool warned_spill_ = false;
};

}  // namespace state::changelog
