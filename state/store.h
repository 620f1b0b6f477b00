#pragma once

// The durable state of one engaged instance: one RocksDB database with column
// families for customer state, timers and metadata (consumed offsets, stream times).
// Key layout in state/FORMAT.md. Memory: one LRU block cache, with the memtables
// charged to it through a WriteBufferManager, so RocksDB stays within
// StoreOptions::memory_bytes. Open fixes glibc's mmap threshold (256 KiB) and Write
// calls malloc_trim, so that freed memory goes back to the OS (docs/benchmarks.md,
// "Memory").
//
// Owned by the composition root (one per process); shared by the partition tasks of
// the processing thread. Reads and writes are thread-safe (RocksDB's guarantees); a
// WriteBatch is used from one thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ops/status.h"
#include "state/compression.h"
#include "state/customer_state.h"
#include "state/types.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace state {

struct StoreOptions {
  // Directory of the RocksDB database; created when missing.
  std::string dir;
  // Fsync the WAL on every commit. Off by default: a commit then survives the process
  // being killed (the WAL is in the OS page cache) but not the machine losing power.
  bool sync_commits = false;
  // Open without taking the lock, for reading beside a running instance (inspect).
  bool read_only = false;
  // RocksDB's memory: block cache, index and filter blocks, and memtables (charged to
  // the cache). Default 256 MiB. Unit: bytes.
  size_t memory_bytes = size_t{256} << 20;
  // Whether the data blocks that GetCustomer reads are kept in the block cache. Off,
  // they are read from the files (the OS page cache) each time, the block cache holds
  // index and filter blocks and memtables only, and memtables may take half of
  // memory_bytes instead of a quarter (docs/benchmarks.md, "Defaults for lookups and
  // memtables").
  bool cache_read_blocks = false;
  // SST compression. None by default: the encoded states barely compress, and
  // compressing costs lookups and compactions CPU (docs/benchmarks.md).
  Compression compression = Compression::kNone;
};

// Health figures of the store, for the state probe. Thread-safe to collect.
struct StoreStats {
  uint64_t estimated_customers = 0;      // rocksdb.estimate-num-keys of the customers CF
  uint64_t live_sst_bytes = 0;           // all column families
  uint64_t block_cache_usage_bytes = 0;  // including charged memtables
  uint64_t block_cache_capacity_bytes = 0;
  uint64_t block_cache_pinned_bytes = 0;  // entries in use: pinned blocks, charged memtables
  uint64_t block_cache_hits = 0;          // cumulative
  uint64_t block_cache_misses = 0;        // cumulative
  uint64_t pending_compaction_bytes = 0;
  uint64_t stall_micros = 0;  // cumulative time writes were stalled
  uint64_t background_errors = 0;
  uint64_t memtable_bytes = 0;
  uint64_t table_readers_bytes = 0;  // SST readers' memory outside the block cache
};

// Customers per label of one partition ("segment:NAME", "churn:BAND"), kept by its
// partition task and committed with the customers' state, so that counts built from
// it are exact for the committed state.
using MemberCounts = std::map<std::string, int64_t, std::less<>>;

// MemberCounts as bytes (varint count, then label bytes and zig-zag count per entry),
// as stored in the meta CF and in the changelog's meta record.
void EncodeMemberCounts(const MemberCounts& counts, std::string* out);
ops::Result<MemberCounts> DecodeMemberCounts(std::string_view bytes);

// A set of changes written atomically by Store::Write. Made by Store::NewBatch and
// valid while that Store lives.
class StoreBatch {
 public:
  ~StoreBatch();
  StoreBatch(StoreBatch&&) noexcept;
  StoreBatch& operator=(StoreBatch&&) noexcept;

  void PutCustomer(Partition p, std::string_view customer_id, const CustomerState& s);
  // Records that every record of `tp` before `next` has been processed.
  void PutOffset(const TopicPartition& tp, Offset next);
  // Records the stream time (the largest event time seen) of partition `p`.
  void PutStreamTime(Partition p, TimeMs t);
  void DeleteCustomer(Partition p, std::string_view customer_id);
  // A timer of `customer_id` due at `due`. A customer keeps its own due times (in its
  // state), so cancelling names the same triple.
  void PutTimer(Partition p, TimeMs due, std::string_view customer_id);
  void DeleteTimer(Partition p, TimeMs due, std::string_view customer_id);
  // Deletes every timer of `p` due in (after, upto], with one range tombstone.
  void DeleteTimers(Partition p, TimeMs after, TimeMs upto);
  void PutMemberCounts(Partition p, const MemberCounts& counts);
  // Records that every changelog record of `p` before `next` is reflected in the store,
  // and that this was the changelog's end at wall-clock time `as_of` (PutChangelogAsOf):
  // a position is never recorded without its time.
  void PutChangelogOffset(Partition p, Offset next, TimeMs as_of);
  // Records that the store's copy of `p` was current (its changelog position at the
  // changelog's end) at wall-clock time `t`.
  void PutChangelogAsOf(Partition p, TimeMs t);
  // Records that every timer of `p` due at or before `t` has fired.
  void PutFiredThrough(Partition p, TimeMs t);
  // A customer's state as codec bytes (from the changelog), written as they are.
  void PutEncodedCustomer(Partition p, std::string_view customer_id, std::string_view encoded);
  size_t count() const;
  // The bytes of the pending changes (for splitting large writes). Unit: bytes.
  size_t bytes() const;
  bool empty() const { return count() == 0; }

 private:
  friend class Store;
  StoreBatch(rocksdb::ColumnFamilyHandle* customers, rocksdb::ColumnFamilyHandle* timers,
             rocksdb::ColumnFamilyHandle* meta);
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  rocksdb::ColumnFamilyHandle* customers_;
  rocksdb::ColumnFamilyHandle* timers_;
  rocksdb::ColumnFamilyHandle* meta_;
  std::string scratch_;  // reused encoding buffer
};

// Ingest's files in the store's directory are named this, a number and ".sst"; Open
// removes any a crash left behind.
inline constexpr std::string_view kIngestFilePrefix = "engaged-ingest-";

// A bulk load for restores: customers (codec bytes or deletions) and timers, added in
// any order, of which the last change of each key wins. Store::Ingest sorts them into
// SST files that RocksDB takes in whole (IngestExternalFile), which skips the WAL, the
// memtable's skip list and its flush. Holds its entries in memory until ingested.
// Used from one thread; not tied to a Store.
class StoreLoader {
 public:
  StoreLoader();
  ~StoreLoader();
  StoreLoader(StoreLoader&&) noexcept;
  StoreLoader& operator=(StoreLoader&&) noexcept;

  void PutEncodedCustomer(Partition p, std::string_view customer_id, std::string_view encoded);
  void DeleteCustomer(Partition p, std::string_view customer_id);
  void PutTimer(Partition p, TimeMs due, std::string_view customer_id);
  // Marks the entries so far: Store::Ingest(loader, /*to_mark=*/true) takes only those,
  // and RollbackToMark drops the ones after it.
  void Mark();
  void RollbackToMark();
  // The bytes of the entries (their keys, values and index). Unit: bytes.
  size_t bytes() const { return bytes_; }
  bool empty() const;
  // Drops every entry; keeps the memory for the next ones.
  void Clear();

 private:
  friend class Store;
  struct Entry {
    std::string_view key;
    std::string_view value;
    bool deleted;
    uint32_t seq;     // set by Ingest: the order of the changes of one key
    uint64_t prefix;  // set by Ingest: 8 key bytes past the keys' common prefix
  };
  struct Cut {
    size_t customers = 0;
    size_t timers = 0;
    size_t bytes = 0;
  };
  std::string_view Copy(std::string_view a, std::string_view b = {});
  // Drops the entries before `cut`, keeping (a copy of) the rest.
  void DropBefore(const Cut& cut);
  // Sorts by key, the changes of one key in the order they were added.
  static void SortByKey(std::vector<Entry>::iterator first, std::vector<Entry>::iterator last);

  std::vector<Entry> customers_;
  std::vector<Entry> timers_;
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size;
  };
  std::vector<Block> blocks_;  // the bytes of keys and values
  size_t used_blocks_ = 0;     // blocks_[0, used_blocks_) hold entries
  size_t block_left_ = 0;
  char* block_at_ = nullptr;
  size_t bytes_ = 0;
  Cut mark_;
};

class Store {
 public:
  static ops::Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  StoreBatch NewBatch() const { return StoreBatch(customers_, timers_, meta_); }

  // The stored state of `customer_id` in partition `p`, or nullopt when there is none.
  ops::Result<std::optional<CustomerState>> GetCustomer(Partition p, std::string_view customer_id);
  // The offset to resume `tp` from, or nullopt when nothing was ever committed for it.
  ops::Result<std::optional<Offset>> GetOffset(const TopicPartition& tp);
  // The stored next offset of every input topic of partition `p`, by topic.
  ops::Result<std::vector<std::pair<std::string, Offset>>> GetOffsets(Partition p);
  // The stored member counts of `p`; empty when none were stored.
  ops::Result<MemberCounts> GetMemberCounts(Partition p);
  // The stored stream time of `p`, or nullopt.
  ops::Result<std::optional<TimeMs>> GetStreamTime(Partition p);
  // The next changelog offset of `p` to apply, or nullopt when none was ever applied.
  ops::Result<std::optional<Offset>> GetChangelogOffset(Partition p);
  // The wall-clock time at which the copy of `p` was last known current, or nullopt
  // (never, or by a version of engaged that did not record it).
  ops::Result<std::optional<TimeMs>> GetChangelogAsOf(Partition p);
  // The time up to which `p`'s timers have fired, or nullopt.
  ops::Result<std::optional<TimeMs>> GetFiredThrough(Partition p);
  // Writes `batch` atomically, with the WAL. The batch is emptied. Then returns the
  // process's free heap pages to the OS (malloc_trim), at most once a second.
  ops::Status Write(StoreBatch& batch);
  // Writes `batch` atomically without the WAL, for bulk loads (restores): it is durable
  // only once Flush() returns, and a crash before loses it (so a bulk load must record
  // its own progress in the same batches). The batch is emptied.
  ops::Status WriteUnlogged(StoreBatch& batch);

  // Writes the loader's entries (those before its mark when `to_mark`) into sorted SST
  // files, one per column family, and ingests them, newer than everything stored. Durable
  // on return; removes what it wrote from the loader.
  ops::Status Ingest(StoreLoader& loader, bool to_mark = false);

  // Calls `fn` for every partition that holds state of `customer_id` (at most one
  // when the input is keyed by customer id).
  ops::Status FindCustomer(std::string_view customer_id,
                           const std::function<void(Partition, const CustomerState&)>& fn);

  // Calls `fn(partition, customer_id, state)` for every stored customer, in key order
  // (partition, then id); stops early when `fn` returns false. A full scan: for tools
  // (`engaged fit --state-dir`), not for the hot path.
  ops::Status ForEachCustomer(
      const std::function<bool(Partition, std::string_view, const CustomerState&)>& fn);

  // The same for the customers of partition `p` only.
  ops::Status ForEachCustomerIn(
      Partition p, const std::function<bool(std::string_view, const CustomerState&)>& fn);
  // The same with each state's codec bytes, not decoded (valid during the call).
  ops::Status ForEachEncodedCustomerIn(
      Partition p, const std::function<bool(std::string_view id, std::string_view bytes)>& fn);

  // Calls `fn(due, customer_id)` for every timer of `p` due at or before `upto`, in
  // due-time order; stops early when `fn` returns false. Work is proportional to the
  // number of due timers.
  ops::Status ForEachDueTimer(
      Partition p, TimeMs upto,
      const std::function<bool(TimeMs due, std::string_view customer_id)>& fn) {
    return ForEachDueTimer(p, TimeMs(std::numeric_limits<int64_t>::min()), upto, fn);
  }
  // The same for the timers due in (after, upto]: seeking past `after` skips the
  // deleted timers of earlier firings instead of stepping over their tombstones.
  ops::Status ForEachDueTimer(
      Partition p, TimeMs after, TimeMs upto,
      const std::function<bool(TimeMs due, std::string_view customer_id)>& fn);
  // The same for the timers after (due, customer_id) in (due, customer) order, up to
  // `upto`: a scan that stopped after that timer goes on where it left off.
  ops::Status ForEachDueTimerAfter(
      Partition p, TimeMs due, std::string_view customer_id, TimeMs upto,
      const std::function<bool(TimeMs due, std::string_view customer_id)>& fn);

  // Deletes every customer, timer, offset, stream time, member count, changelog offset
  // and fired-through time of `p` (DeleteRange). A column family that holds nothing of
  // `p` gets no range tombstone: one would keep files ingested after it out of the
  // bottom level (Ingest), costing a compaction of everything restored.
  ops::Status DropPartition(Partition p);
  // Deletes every timer of `p`, the same way.
  ops::Status DropTimers(Partition p);

  // Writes a consistent copy of the database to `out_dir` (which must not exist),
  // hard-linking SST files where the filesystem allows.
  ops::Status Checkpoint(const std::string& out_dir);

  StoreStats Stats() const;

  // Flushes memtables, the meta CF last, so that a later open replays no WAL and what
  // WriteUnlogged wrote is durable. Used after a restore and on clean shutdown.
  ops::Status Flush();

 private:
  Store() = default;
  ops::Result<std::optional<int64_t>> GetMetaInt64(const std::string& key);
  // Whether `cf` holds no key of partition `p`.
  ops::Result<bool> PartitionEmpty(rocksdb::ColumnFamilyHandle* cf, Partition p);
  // Calls `fn` for the timers of `p` from key `begin` to those due at `upto`.
  ops::Status ScanTimers(Partition p, std::string_view begin, TimeMs upto,
                         const std::function<bool(TimeMs, std::string_view)>& fn);
  struct Resources;  // block cache, write buffer manager, statistics
  std::unique_ptr<Resources> resources_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* customers_ = nullptr;  // destroyed in ~Store before db_
  rocksdb::ColumnFamilyHandle* timers_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* default_ = nullptr;
  bool sync_ = false;
  bool cache_read_blocks_ = false;
  std::string dir_;
  std::atomic<uint64_t> ingests_{0};                   // names the files Ingest writes
  std::chrono::steady_clock::time_point last_trim_{};  // of the last malloc_trim
};

}  // namespace state
