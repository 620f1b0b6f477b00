#pragma once

// The durable state of one engaged instance: one RocksDB database with a column family
// for customer state and one for metadata (consumed offsets). Key layout in
// state/FORMAT.md.
//
// Owned by the composition root (one per process); shared by the partition tasks of
// the processing thread. Reads and writes are thread-safe (RocksDB's guarantees); a
// WriteBatch is used from one thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ops/status.h"
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
};

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
  size_t count() const;
  bool empty() const { return count() == 0; }

 private:
  friend class Store;
  StoreBatch(rocksdb::ColumnFamilyHandle* customers, rocksdb::ColumnFamilyHandle* meta);
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  rocksdb::ColumnFamilyHandle* customers_;
  rocksdb::ColumnFamilyHandle* meta_;
  std::string scratch_;  // reused encoding buffer
};

class Store {
 public:
  static ops::Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  StoreBatch NewBatch() const { return StoreBatch(customers_, meta_); }

  // The stored state of `customer_id` in partition `p`, or nullopt when there is none.
  ops::Result<std::optional<CustomerState>> GetCustomer(Partition p, std::string_view customer_id);
  // The offset to resume `tp` from, or nullopt when nothing was ever committed for it.
  ops::Result<std::optional<Offset>> GetOffset(const TopicPartition& tp);
  // The stored stream time of `p`, or nullopt.
  ops::Result<std::optional<TimeMs>> GetStreamTime(Partition p);
  // Writes `batch` atomically, with the WAL. The batch is emptied.
  ops::Status Write(StoreBatch& batch);

  // Calls `fn` for every partition that holds state of `customer_id` (at most one
  // when the input is keyed by customer id).
  ops::Status FindCustomer(std::string_view customer_id,
                           const std::function<void(Partition, const CustomerState&)>& fn);

  // Flushes memtables so that a later open replays no WAL. Used on clean shutdown.
  ops::Status Flush();

 private:
  Store() = default;
  ops::Result<std::optional<int64_t>> GetMetaInt64(const std::string& key);
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* customers_ = nullptr;  // owned by db_'s handle list below
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* default_ = nullptr;
  bool sync_ = false;
};

}  // namespace state
