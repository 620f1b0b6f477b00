#include "state/store.h"

#include <malloc.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <limits>
#include <vector>

#include "fmt/format.h"
#include "state/codec.h"
#include "state/keys.h"
#include "state/rocks_options.h"
#include "state/rocks_status.h"
#include "state/varint.h"

namespace state {
namespace {

constexpr char kCustomersCf[] = "customers";
constexpr char kTimersCf[] = "timers";
constexpr char kMetaCf[] = "meta";
constexpr int kBloomBitsPerKey = 10;
// Memtables may use this share of RocksDB's memory (charged to the block cache): a
// quarter when the block cache also holds the data blocks that lookups read, half
// when it holds only the index and filter blocks (StoreOptions::cache_read_blocks
// false). Larger memtables mean fewer flushes and less compaction: at 10 M customers
// and a 1 GiB budget, half gave 7-31 % more events per CPU-second than a quarter
// (docs/benchmarks.md, "Defaults for lookups and memtables").
constexpr double kMemtableShareBesideDataBlocks = 0.25;
constexpr double kMemtableShareAlone = 0.5;
// One memtable is at most this share of the memtable budget, and at most 64 MiB.
constexpr int kMemtablesPerBudget = 4;
constexpr size_t kMaxWriteBufferBytes = size_t{64} << 20;
constexpr double kMemtableBloomRatio = 0.1;  // of the memtable's size

// glibc raises its mmap threshold up to 32 MiB after freeing a large mmapped chunk, so
// memtable arena blocks and write batches then come from the heap and stay there as
// fragments once freed. A fixed threshold keeps them mmapped and returned on free.
constexpr int kMmapThresholdBytes = 256 << 10;
// A scan of a partition's customers reads SST files this much at a time.
constexpr size_t kScanReadaheadBytes = size_t{2} << 20;
// Free heap pages go back to the OS at most this often (at a commit).
constexpr auto kTrimEvery = std::chrono::seconds(1);

// Removes the files of loads (Store::Ingest) that a crash interrupted.
void RemoveIngestLeftovers(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().starts_with(kIngestFilePrefix)) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

void EncodeFixed64(uint64_t v, std::string* out) {
  char buf[sizeof(v)];
  std::memcpy(buf, &v, sizeof(v));  // little-endian on every platform we build for
  out->append(buf, sizeof(buf));
}

double MemtableShare(bool cache_read_blocks) {
  return cache_read_blocks ? kMemtableShareBesideDataBlocks : kMemtableShareAlone;
}

}  // namespace

rocksdb::ColumnFamilyOptions ColumnFamilyOptionsFor(const std::shared_ptr<rocksdb::Cache>& cache,
                                                    const StoreOptions& options) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;  // so that they count against the budget
  // Every file's index and filter blocks stay pinned (still charged to the cache): a
  // point lookup reads them in every level it checks, and pinned ones are reached
  // without a cache lookup.
  table.metadata_cache_options.unpartitioned_pinning = rocksdb::PinningTier::kAll;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.write_buffer_size =
      std::min(kMaxWriteBufferBytes, static_cast<size_t>(static_cast<double>(options.memory_bytes) *
                                                         MemtableShare(options.cache_read_blocks)) /
                                         kMemtablesPerBudget);
  // Most point lookups miss the memtable (the cache holds the hot customers): a bloom
  // filter over whole keys lets them skip the skip-list search.
  cf.memtable_whole_key_filtering = true;
  cf.memtable_prefix_bloom_size_ratio = kMemtableBloomRatio;
  // No compression by default: the encoded states are varint-packed and barely
  // compress (at 1 M customers lz4 below L1 saved 3 % of the SST bytes for 1.6 % of the
  // events per CPU-second; zstd in the last level holding data 17-26 % for 51 %:
  // docs/benchmarks.md).
  // Files written under another setting stay readable (each block records its
  // compression); compactions rewrite them.
  cf.compression = rocksdb::kNoCompression;
  cf.bottommost_compression = rocksdb::kNoCompression;
  if (options.compression != Compression::kNone) {
    cf.compression_per_level.assign(static_cast<size_t>(cf.num_levels), rocksdb::kLZ4Compression);
    cf.compression_per_level[0] = rocksdb::kNoCompression;
    cf.compression_per_level[1] = rocksdb::kNoCompression;
    cf.bottommost_compression = options.compression == Compression::kZstd
                                    ? rocksdb::kZSTD
                                    : rocksdb::kDisableCompressionOption;  // per level
  }
  return cf;
}

void EncodeMemberCounts(const MemberCounts& counts, std::string* out) {
  PutVarint64(counts.size(), out);
  for (const auto& [label, n] : counts) {
    PutBytes(label, out);
    PutSigned(n, out);
  }
}

ops::Result<MemberCounts> DecodeMemberCounts(std::string_view bytes) {
  MemberCounts counts;
  ByteReader r(bytes);
  const auto n = r.Varint64();
  for (uint64_t i = 0; n && i < *n; ++i) {
    const auto label = r.Bytes();
    const auto count = r.Signed();
    if (!label || !count) break;
    counts.emplace(std::string(*label), *count);
  }
  if (!n || counts.size() != *n || !r.empty()) {
    return ops::Status::Corruption("member counts are malformed");
  }
  return counts;
}

struct Store::Resources {
  std::shared_ptr<rocksdb::Cache> cache;
  std::shared_ptr<rocksdb::WriteBufferManager> write_buffers;
  std::shared_ptr<rocksdb::Statistics> statistics;
};

StoreBatch::StoreBatch(rocksdb::ColumnFamilyHandle* customers, rocksdb::ColumnFamilyHandle* timers,
                       rocksdb::ColumnFamilyHandle* meta)
    : batch_(std::make_unique<rocksdb::WriteBatch>()),
      customers_(customers),
      timers_(timers),
      meta_(meta) {}
StoreBatch::~StoreBatch() = default;
StoreBatch::StoreBatch(StoreBatch&&) noexcept = default;
StoreBatch& StoreBatch::operator=(StoreBatch&&) noexcept = default;
size_t StoreBatch::count() const { return static_cast<size_t>(batch_->Count()); }

void StoreBatch::PutCustomer(Partition p, std::string_view customer_id, const CustomerState& s) {
  scratch_.clear();
  EncodeCustomer(s, &scratch_);
  // Put fails only on a batch larger than 4 GiB, which a commit never reaches.
  batch_->Put(customers_, keys::Customer(p, customer_id), scratch_).PermitUncheckedError();
}

void StoreBatch::PutOffset(const TopicPartition& tp, Offset next) {
  scratch_.clear();
  EncodeFixed64(static_cast<uint64_t>(next.value()), &scratch_);
  batch_->Put(meta_, keys::OffsetKey(tp), scratch_).PermitUncheckedError();
}

void StoreBatch::PutStreamTime(Partition p, TimeMs t) {
  scratch_.clear();
  EncodeFixed64(static_cast<uint64_t>(t.value()), &scratch_);
  batch_->Put(meta_, keys::StreamTimeKey(p), scratch_).PermitUncheckedError();
}

void StoreBatch::DeleteTimers(Partition p, TimeMs after, TimeMs upto) {
  const std::string begin = after.value() == std::numeric_limits<int64_t>::min()
                                ? keys::PartitionPrefix(p)
                                : keys::Timer(p, TimeMs(after.value() + 1), "");
  const std::string end = keys::Timer(p, TimeMs(upto.value() + 1), "");
  batch_->DeleteRange(timers_, begin, end).PermitUncheckedError();
}

void StoreBatch::PutMemberCounts(Partition p, const MemberCounts& counts) {
  scratch_.clear();
  EncodeMemberCounts(counts, &scratch_);
  batch_->Put(meta_, keys::MemberCountsKey(p), scratch_).PermitUncheckedError();
}

void StoreBatch::PutChangelogOffset(Partition p, Offset next, TimeMs as_of) {
  scratch_.clear();
  EncodeFixed64(static_cast<uint64_t>(next.value()), &scratch_);
  batch_->Put(meta_, keys::ChangelogOffsetKey(p), scratch_).PermitUncheckedError();
  PutChangelogAsOf(p, as_of);
}

void StoreBatch::PutChangelogAsOf(Partition p, TimeMs t) {
  scratch_.clear();
  EncodeFixed64(static_cast<uint64_t>(t.value()), &scratch_);
  batch_->Put(meta_, keys::ChangelogAsOfKey(p), scratch_).PermitUncheckedError();
}

void StoreBatch::PutFiredThrough(Partition p, TimeMs t) {
  scratch_.clear();
  EncodeFixed64(static_cast<uint64_t>(t.value()), &scratch_);
  batch_->Put(meta_, keys::FiredThroughKey(p), scratch_).PermitUncheckedError();
}

void StoreBatch::PutEncodedCustomer(Partition p, std::string_view customer_id,
                                    std::string_view encoded) {
  batch_->Put(customers_, keys::Customer(p, customer_id), encoded).PermitUncheckedError();
}

size_t StoreBatch::bytes() const { return batch_->GetDataSize(); }

void StoreBatch::DeleteCustomer(Partition p, std::string_view customer_id) {
  batch_->Delete(customers_, keys::Customer(p, customer_id)).PermitUncheckedError();
}

void StoreBatch::PutTimer(Partition p, TimeMs due, std::string_view customer_id) {
  batch_->Put(timers_, keys::Timer(p, due, customer_id), rocksdb::Slice()).PermitUncheckedError();
}

void StoreBatch::DeleteTimer(Partition p, TimeMs due, std::string_view customer_id) {
  batch_->Delete(timers_, keys::Timer(p, due, customer_id)).PermitUncheckedError();
}

ops::Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  // Process-wide, and the same value whoever sets it: harmless to repeat.
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  auto resources = std::make_unique<Resources>();
  resources->cache = rocksdb::NewLRUCache(options.memory_bytes);
  resources->write_buffers = std::make_shared<rocksdb::WriteBufferManager>(
      static_cast<size_t>(static_cast<double>(options.memory_bytes) *
                          MemtableShare(options.cache_read_blocks)),
      resources->cache);
  resources->statistics = rocksdb::CreateDBStatistics();
  resources->statistics->set_stats_level(rocksdb::StatsLevel::kExceptDetailedTimers);

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.write_buffer_manager = resources->write_buffers;
  db_options.statistics = resources->statistics;
  const auto cf = ColumnFamilyOptionsFor(resources->cache, options);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, cf},
      {kCustomersCf, cf},
      {kTimersCf, cf},
      {kMetaCf, cf},
  };
  if (!options.read_only) RemoveIngestLeftovers(options.dir);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = options.read_only
               ? rocksdb::DB::OpenForReadOnly(db_options, options.dir, cfs, &handles, &raw)
               : rocksdb::DB::Open(db_options, options.dir, cfs, &handles, &raw);
  if (!s.ok()) {
    return FromRocks(s, fmt::format("cannot open the state store in '{}'", options.dir));
  }
  std::unique_ptr<Store> store(new Store());
  store->resources_ = std::move(resources);
  store->db_.reset(raw);
  store->default_ = handles[0];
  store->customers_ = handles[1];
  store->timers_ = handles[2];
  store->meta_ = handles[3];
  store->sync_ = options.sync_commits;
  store->cache_read_blocks_ = options.cache_read_blocks;
  store->dir_ = options.dir;
  return store;
}

Store::~Store() {
  if (db_ == nullptr) return;
  for (auto* h : {default_, customers_, timers_, meta_}) {
    db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();  // nothing left to do with a close error at exit
}

ops::Result<std::optional<CustomerState>> Store::GetCustomer(Partition p,
                                                             std::string_view customer_id) {
  std::string value;
  rocksdb::ReadOptions ro;
  ro.fill_cache = cache_read_blocks_;
  auto s = db_->Get(ro, customers_, keys::Customer(p, customer_id), &value);
  if (s.IsNotFound()) return std::optional<CustomerState>();
  if (!s.ok()) return FromRocks(s, "reading customer state");
  auto decoded = DecodeCustomer(value);
  if (!decoded.ok()) return decoded.status();
  return std::optional<CustomerState>(std::move(decoded).value());
}

ops::Result<std::optional<int64_t>> Store::GetMetaInt64(const std::string& key) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), meta_, key, &value);
  if (s.IsNotFound()) return std::optional<int64_t>();
  if (!s.ok()) return FromRocks(s, "reading state metadata");
  if (value.size() != sizeof(uint64_t)) {
    return ops::Status::Corruption(
        fmt::format("state metadata value has {} bytes, expected 8", value.size()));
  }
  uint64_t v = 0;
  std::memcpy(&v, value.data(), sizeof(v));
  return std::optional<int64_t>(static_cast<int64_t>(v));
}

ops::Result<std::optional<Offset>> Store::GetOffset(const TopicPartition& tp) {
  auto v = GetMetaInt64(keys::OffsetKey(tp));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<Offset>();
  return std::optional<Offset>(Offset(**v));
}

ops::Result<std::optional<TimeMs>> Store::GetStreamTime(Partition p) {
  auto v = GetMetaInt64(keys::StreamTimeKey(p));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<TimeMs>();
  return std::optional<TimeMs>(TimeMs(**v));
}

ops::Result<std::vector<std::pair<std::string, Offset>>> Store::GetOffsets(Partition p) {
  const std::string begin = keys::OffsetKey({"", p});
  const std::string end = keys::OffsetKey({"", Partition(p.value() + 1)});
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, meta_));
  std::vector<std::pair<std::string, Offset>> out;
  for (it->Seek(begin); it->Valid(); it->Next()) {
    const std::string_view value = it->value().ToStringView();
    if (value.size() != sizeof(uint64_t)) {
      return ops::Status::Corruption(fmt::format("offset of partition {} is malformed", p.value()));
    }
    uint64_t v = 0;
    std::memcpy(&v, value.data(), sizeof(v));
    out.emplace_back(std::string(it->key().ToStringView().substr(begin.size())),
                     Offset(static_cast<int64_t>(v)));
  }
  ENGAGED_RETURN_IF_ERROR(FromRocks(it->status(), "reading offsets"));
  return out;
}

ops::Result<std::optional<Offset>> Store::GetChangelogOffset(Partition p) {
  auto v = GetMetaInt64(keys::ChangelogOffsetKey(p));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<Offset>();
  return std::optional<Offset>(Offset(**v));
}

ops::Result<std::optional<TimeMs>> Store::GetChangelogAsOf(Partition p) {
  auto v = GetMetaInt64(keys::ChangelogAsOfKey(p));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<TimeMs>();
  return std::optional<TimeMs>(TimeMs(**v));
}

ops::Result<std::optional<TimeMs>> Store::GetFiredThrough(Partition p) {
  auto v = GetMetaInt64(keys::FiredThroughKey(p));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<TimeMs>();
  return std::optional<TimeMs>(TimeMs(**v));
}

ops::Result<MemberCounts> Store::GetMemberCounts(Partition p) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), meta_, keys::MemberCountsKey(p), &value);
  if (s.IsNotFound()) return MemberCounts();
  if (!s.ok()) return FromRocks(s, "reading member counts");
  auto counts = DecodeMemberCounts(value);
  if (!counts.ok()) {
    return ops::Status::Corruption(
        fmt::format("member counts of partition {}: {}", p.value(), counts.status().ToString()));
  }
  return counts;
}

ops::Status Store::Write(StoreBatch& batch) {
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  auto s = db_->Write(wo, batch.batch_.get());
  batch.batch_->Clear();
  // Blocks evicted from the block cache and states evicted from the write-back caches
  // leave free pages inside glibc's heaps; give them back to the OS at a commit so that
  // RSS follows the budget, at most once per kTrimEvery: at exactly-once's 100 ms
  // commits a trim per commit (a walk of the whole heap) would cost more than it saves.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_trim_ >= kTrimEvery) {
    malloc_trim(0);
    last_trim_ = now;
  }
  return FromRocks(s, "committing state");
}

ops::Status Store::WriteUnlogged(StoreBatch& batch) {
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  auto s = db_->Write(wo, batch.batch_.get());
  batch.batch_->Clear();
  return FromRocks(s, "writing restored state");
}

ops::Status Store::ForEachCustomer(
    const std::function<bool(Partition, std::string_view, const CustomerState&)>& fn) {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // a one-off scan must not evict the working set
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, customers_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (key.size() < 4) return ops::Status::Corruption("a customer key is shorter than 4 bytes");
    auto decoded = DecodeCustomer(it->value().ToStringView());
    if (!decoded.ok()) return decoded.status();
    const Partition p(static_cast<int32_t>(keys::GetBigEndian32(key)));
    if (!fn(p, key.substr(4), *decoded)) break;
  }
  return FromRocks(it->status(), "scanning customer state");
}

ops::Status Store::ForEachCustomerIn(
    Partition p, const std::function<bool(std::string_view, const CustomerState&)>& fn) {
  ops::Status failed;
  ENGAGED_RETURN_IF_ERROR(
      ForEachEncodedCustomerIn(p, [&](std::string_view id, std::string_view bytes) {
        auto decoded = DecodeCustomer(bytes);
        if (!decoded.ok()) {
          failed = decoded.status();
          return false;
        }
        return fn(id, *decoded);
      }));
  return failed;
}

ops::Status Store::ForEachEncodedCustomerIn(
    Partition p, const std::function<bool(std::string_view, std::string_view)>& fn) {
  const std::string begin = keys::PartitionPrefix(p);
  const std::string end = keys::PartitionPrefix(Partition(p.value() + 1));
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = kScanReadaheadBytes;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, customers_));
  for (it->Seek(begin); it->Valid(); it->Next()) {
    if (!fn(it->key().ToStringView().substr(begin.size()), it->value().ToStringView())) break;
  }
  return FromRocks(it->status(), "scanning customer state");
}

ops::Status Store::FindCustomer(std::string_view customer_id,
                                const std::function<void(Partition, const CustomerState&)>& fn) {
  // Customers are keyed partition-first; walk the partitions that exist by seeking to
  // the next partition prefix each time.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), customers_));
  std::string probe;
  for (it->SeekToFirst(); it->Valid();) {
    const auto partition = keys::GetBigEndian32(it->key().ToStringView());
    probe = keys::Customer(Partition(static_cast<int32_t>(partition)), customer_id);
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), customers_, probe, &value);
    if (s.ok()) {
      auto decoded = DecodeCustomer(value);
      if (!decoded.ok()) return decoded.status();
      fn(Partition(static_cast<int32_t>(partition)), decoded.value());
    } else if (!s.IsNotFound()) {
      return FromRocks(s, "reading customer state");
    }
    if (partition == UINT32_MAX) break;
    probe.clear();
    keys::PutBigEndian32(partition + 1, &probe);
    it->Seek(probe);
  }
  return FromRocks(it->status(), "scanning customer state");
}

ops::Status Store::ForEachDueTimer(Partition p, TimeMs after, TimeMs upto,
                                   const std::function<bool(TimeMs, std::string_view)>& fn) {
  if (upto <= after) return ops::Status::Ok();
  const std::string begin = after.value() == std::numeric_limits<int64_t>::min()
                                ? keys::PartitionPrefix(p)
                                : keys::Timer(p, TimeMs(after.value() + 1), "");
  return ScanTimers(p, begin, upto, fn);
}

ops::Status Store::ForEachDueTimerAfter(Partition p, TimeMs due, std::string_view customer_id,
                                        TimeMs upto,
                                        const std::function<bool(TimeMs, std::string_view)>& fn) {
  if (upto < due) return ops::Status::Ok();
  // The smallest key after (due, customer_id): the id with a zero byte appended.
  std::string begin = keys::Timer(p, due, customer_id);
  begin.push_back('\0');
  return ScanTimers(p, begin, upto, fn);
}

ops::Status Store::ScanTimers(Partition p, std::string_view begin, TimeMs upto,
                              const std::function<bool(TimeMs, std::string_view)>& fn) {
  const std::string end = keys::Timer(p, TimeMs(upto.value() + 1), "");
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, timers_));
  for (it->Seek(rocksdb::Slice(begin.data(), begin.size())); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (!fn(keys::TimerDue(key), key.substr(keys::kTimerPrefixBytes))) break;
  }
  return FromRocks(it->status(), "scanning timers");
}

ops::Result<bool> Store::PartitionEmpty(rocksdb::ColumnFamilyHandle* cf, Partition p) {
  const std::string end = keys::PartitionPrefix(Partition(p.value() + 1));
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf));
  it->Seek(keys::PartitionPrefix(p));
  const bool empty = !it->Valid();
  ENGAGED_RETURN_IF_ERROR(FromRocks(it->status(), "scanning the state store"));
  return empty;
}

ops::Status Store::DropPartition(Partition p) {
  const std::string begin = keys::PartitionPrefix(p);
  const std::string end = keys::PartitionPrefix(Partition(p.value() + 1));
  rocksdb::WriteBatch batch;
  for (auto* cf : {customers_, timers_}) {
    auto empty = PartitionEmpty(cf, p);
    if (!empty.ok()) return empty.status();
    if (!*empty) batch.DeleteRange(cf, begin, end).PermitUncheckedError();
  }
  const std::string offsets_begin = std::string(1, keys::kOffsetPrefix) + begin;
  const std::string offsets_end = std::string(1, keys::kOffsetPrefix) + end;
  batch.DeleteRange(meta_, offsets_begin, offsets_end).PermitUncheckedError();
  batch.Delete(meta_, keys::StreamTimeKey(p)).PermitUncheckedError();
  batch.Delete(meta_, keys::MemberCountsKey(p)).PermitUncheckedError();
  batch.Delete(meta_, keys::ChangelogOffsetKey(p)).PermitUncheckedError();
  batch.Delete(meta_, keys::ChangelogAsOfKey(p)).PermitUncheckedError();
  batch.Delete(meta_, keys::FiredThroughKey(p)).PermitUncheckedError();
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  return FromRocks(db_->Write(wo, &batch), fmt::format("dropping partition {}", p.value()));
}

ops::Status Store::DropTimers(Partition p) {
  auto empty = PartitionEmpty(timers_, p);
  if (!empty.ok()) return empty.status();
  if (*empty) return ops::Status::Ok();
  rocksdb::WriteBatch batch;
  batch
      .DeleteRange(timers_, keys::PartitionPrefix(p),
                   keys::PartitionPrefix(Partition(p.value() + 1)))
      .PermitUncheckedError();
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  return FromRocks(db_->Write(wo, &batch),
                   fmt::format("dropping the timers of partition {}", p.value()));
}

ops::Status Store::Checkpoint(const std::string& out_dir) {
  rocksdb::Checkpoint* raw = nullptr;
  ENGAGED_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(out_dir),
                   fmt::format("writing a checkpoint to '{}'", out_dir));
}

StoreStats Store::Stats() const {
  StoreStats st;
  const auto prop = [&](rocksdb::ColumnFamilyHandle* cf, const std::string& name) {
    uint64_t v = 0;
    return db_->GetIntProperty(cf, name, &v) ? v : 0;
  };
  st.estimated_customers = prop(customers_, rocksdb::DB::Properties::kEstimateNumKeys);
  for (auto* cf : {customers_, timers_, meta_}) {
    st.live_sst_bytes += prop(cf, rocksdb::DB::Properties::kLiveSstFilesSize);
    st.pending_compaction_bytes +=
        prop(cf, rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
    st.memtable_bytes += prop(cf, rocksdb::DB::Properties::kCurSizeAllMemTables);
    st.table_readers_bytes += prop(cf, rocksdb::DB::Properties::kEstimateTableReadersMem);
  }
  st.background_errors = prop(customers_, rocksdb::DB::Properties::kBackgroundErrors);
  st.block_cache_usage_bytes = resources_->cache->GetUsage();
  st.block_cache_capacity_bytes = resources_->cache->GetCapacity();
  st.block_cache_pinned_bytes = resources_->cache->GetPinnedUsage();
  const auto& stats = *resources_->statistics;
  st.block_cache_hits = stats.getTickerCount(rocksdb::BLOCK_CACHE_HIT);
  st.block_cache_misses = stats.getTickerCount(rocksdb::BLOCK_CACHE_MISS);
  st.stall_micros = stats.getTickerCount(rocksdb::STALL_MICROS);
  return st;
}

ops::Status Store::Flush() {
  rocksdb::FlushOptions fo;
  // The metadata last: a crash in between must not leave a changelog position durable
  // whose state (written without the WAL by a restore) is not.
  ENGAGED_RETURN_IF_ERROR(
      FromRocks(db_->Flush(fo, {customers_, timers_}), "flushing the state store"));
  return FromRocks(db_->Flush(fo, meta_), "flushing the state store");
}

}  // namespace state
