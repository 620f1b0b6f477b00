#include "state/store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <cstring>
#include <vector>

#include "fmt/format.h"
#include "state/codec.h"
#include "state/keys.h"

namespace state {
namespace {

constexpr char kCustomersCf[] = "customers";
constexpr char kMetaCf[] = "meta";
constexpr int kBloomBitsPerKey = 10;

ops::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return ops::Status::Ok();
  if (s.IsCorruption()) return ops::Status::Corruption(fmt::format("{}: {}", what, s.ToString()));
  return ops::Status::IoError(fmt::format("{}: {}", what, s.ToString()));
}

rocksdb::ColumnFamilyOptions CustomerCfOptions() {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.compression = rocksdb::kLZ4Compression;
  cf.bottommost_compression = rocksdb::kZSTD;
  return cf;
}

void EncodeFixed64(uint64_t v, std::string* out) {
  char buf[sizeof(v)];
  std::memcpy(buf, &v, sizeof(v));  // little-endian on every platform we build for
  out->append(buf, sizeof(buf));
}

}  // namespace

StoreBatch::StoreBatch(rocksdb::ColumnFamilyHandle* customers, rocksdb::ColumnFamilyHandle* meta)
    : batch_(std::make_unique<rocksdb::WriteBatch>()), customers_(customers), meta_(meta) {}
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

ops::Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {kCustomersCf, CustomerCfOptions()},
      {kMetaCf, rocksdb::ColumnFamilyOptions()},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(db_options, options.dir, cfs, &handles, &raw);
  if (!s.ok()) {
    return FromRocks(s, fmt::format("cannot open the state store in '{}'", options.dir));
  }
  std::unique_ptr<Store> store(new Store());
  store->db_.reset(raw);
  store->default_ = handles[0];
  store->customers_ = handles[1];
  store->meta_ = handles[2];
  store->sync_ = options.sync_commits;
  return store;
}

Store::~Store() {
  if (db_ == nullptr) return;
  for (auto* h : {default_, customers_, meta_}) {
    db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();  // nothing left to do with a close error at exit
}

ops::Result<std::optional<CustomerState>> Store::GetCustomer(Partition p,
                                                             std::string_view customer_id) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), customers_, keys::Customer(p, customer_id), &value);
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

ops::Status Store::Write(StoreBatch& batch) {
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  auto s = db_->Write(wo, batch.batch_.get());
  batch.batch_->Clear();
  return FromRocks(s, "committing state");
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

ops::Status Store::Flush() {
  rocksdb::FlushOptions fo;
  auto s = db_->Flush(fo, {customers_, meta_});
  return FromRocks(s, "flushing the state store");
}

}  // namespace state
