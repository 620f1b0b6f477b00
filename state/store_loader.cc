// StoreLoader and Store::Ingest: bulk loads by SST ingestion (store.h).

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "fmt/format.h"
#include "state/keys.h"
#include "state/rocks_status.h"
#include "state/store.h"

namespace state {
namespace {

// Keys and values are copied into blocks of this size (larger ones get their own).
constexpr size_t kBlockBytes = size_t{1} << 20;

}  // namespace

StoreLoader::StoreLoader() = default;
StoreLoader::~StoreLoader() = default;
StoreLoader::StoreLoader(StoreLoader&&) noexcept = default;
StoreLoader& StoreLoader::operator=(StoreLoader&&) noexcept = default;

std::string_view StoreLoader::Copy(std::string_view a, std::string_view b) {
  const size_t n = a.size() + b.size();
  if (n > block_left_) {
    // The next block kept by Clear, when it is large enough; else a new one there.
    if (used_blocks_ == blocks_.size() || blocks_[used_blocks_].size < n) {
      const size_t size = std::max(n, kBlockBytes);
      blocks_.insert(blocks_.begin() + static_cast<std::ptrdiff_t>(used_blocks_),
                     Block{std::make_unique_for_overwrite<char[]>(size), size});
    }
    block_at_ = blocks_[used_blocks_].data.get();
    block_left_ = blocks_[used_blocks_].size;
    ++used_blocks_;
  }
  char* out = block_at_;
  if (!a.empty()) std::memcpy(out, a.data(), a.size());
  if (!b.empty()) std::memcpy(out + a.size(), b.data(), b.size());
  block_at_ += n;
  block_left_ -= n;
  bytes_ += n;
  return {out, n};
}

// The keys' common prefix (a partition, often more) is skipped, and the next 8 bytes
// compare as one integer, which settles most comparisons without a memcmp.
void StoreLoader::SortByKey(std::vector<Entry>::iterator first, std::vector<Entry>::iterator last) {
  size_t common = first->key.size();
  for (auto it = first + 1; it != last && common > 0; ++it) {
    const size_t n = std::min(common, it->key.size());
    common = static_cast<size_t>(std::mismatch(first->key.begin(),
                                               first->key.begin() + static_cast<std::ptrdiff_t>(n),
                                               it->key.begin())
                                     .first -
                                 first->key.begin());
  }
  uint32_t seq = 0;
  for (auto it = first; it != last; ++it) {
    uint64_t prefix = 0;  // zero-padded past the key's end
    for (size_t i = 0; i < sizeof(prefix); ++i) {
      const size_t at = common + i;
      const uint8_t byte = at < it->key.size() ? static_cast<uint8_t>(it->key[at]) : 0;
      prefix = (prefix << 8) | byte;
    }
    it->prefix = prefix;
    it->seq = seq++;
  }
  const size_t skip = common + sizeof(uint64_t);
  std::sort(first, last, [skip](const Entry& a, const Entry& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    // Equal prefixes: the rest decides, then the length (a key that ends inside the
    // prefix was padded with zeros), then the order added.
    const std::string_view ta = a.key.size() > skip ? a.key.substr(skip) : std::string_view();
    const std::string_view tb = b.key.size() > skip ? b.key.substr(skip) : std::string_view();
    if (const int c = ta.compare(tb); c != 0) return c < 0;
    if (a.key.size() != b.key.size()) return a.key.size() < b.key.size();
    return a.seq < b.seq;
  });
}

void StoreLoader::PutEncodedCustomer(Partition p, std::string_view customer_id,
                                     std::string_view encoded) {
  const std::string prefix = keys::PartitionPrefix(p);
  const std::string_view key = Copy(prefix, customer_id);
  customers_.push_back({key, Copy(encoded), /*deleted=*/false, 0, 0});
  bytes_ += sizeof(Entry);
}

void StoreLoader::DeleteCustomer(Partition p, std::string_view customer_id) {
  const std::string prefix = keys::PartitionPrefix(p);
  customers_.push_back({Copy(prefix, customer_id), {}, /*deleted=*/true, 0, 0});
  bytes_ += sizeof(Entry);
}

void StoreLoader::PutTimer(Partition p, TimeMs due, std::string_view customer_id) {
  const std::string prefix = keys::Timer(p, due, "");
  timers_.push_back({Copy(prefix, customer_id), {}, /*deleted=*/false, 0, 0});
  bytes_ += sizeof(Entry);
}

void StoreLoader::Mark() { mark_ = {customers_.size(), timers_.size(), bytes_}; }

void StoreLoader::RollbackToMark() {
  // The memory of the dropped entries stays in their blocks until Clear.
  customers_.resize(mark_.customers);
  timers_.resize(mark_.timers);
  bytes_ = mark_.bytes;
}

bool StoreLoader::empty() const { return customers_.empty() && timers_.empty(); }

void StoreLoader::Clear() {
  // The blocks stay for the next entries: fresh ones would fault their pages in again.
  customers_.clear();
  timers_.clear();
  used_blocks_ = 0;
  block_left_ = 0;
  block_at_ = nullptr;
  bytes_ = 0;
  mark_ = {};
}

void StoreLoader::DropBefore(const Cut& cut) {
  StoreLoader rest;
  for (size_t i = cut.customers; i < customers_.size(); ++i) {
    const Entry& e = customers_[i];
    rest.customers_.push_back({rest.Copy(e.key), rest.Copy(e.value), e.deleted, 0, 0});
    rest.bytes_ += sizeof(Entry);
  }
  for (size_t i = cut.timers; i < timers_.size(); ++i) {
    rest.timers_.push_back({rest.Copy(timers_[i].key), {}, timers_[i].deleted, 0, 0});
    rest.bytes_ += sizeof(Entry);
  }
  *this = std::move(rest);
}

ops::Status Store::Ingest(StoreLoader& loader, bool to_mark) {
  const StoreLoader::Cut cut =
      to_mark ? loader.mark_
              : StoreLoader::Cut{loader.customers_.size(), loader.timers_.size(), loader.bytes_};
  struct Part {
    rocksdb::ColumnFamilyHandle* cf;
    std::vector<StoreLoader::Entry>* entries;
    size_t n;
    const char* name;
  };
  for (const Part& part : {Part{customers_, &loader.customers_, cut.customers, "customers"},
                           Part{timers_, &loader.timers_, cut.timers, "timers"}}) {
    if (part.n == 0) continue;
    const auto first = part.entries->begin();
    const auto last = first + static_cast<std::ptrdiff_t>(part.n);
    StoreLoader::SortByKey(first, last);
    // Loads may run on several threads at once: each writes a file of its own.
    const std::string path = fmt::format("{}/{}{}.sst", dir_, kIngestFilePrefix, ++ingests_);
    const std::string what = fmt::format("loading {} into the state store", part.name);
    // Uncompressed whatever state.compression says: a restore is on the way to ready,
    // and compactions compress what they rewrite.
    rocksdb::Options options = db_->GetOptions(part.cf);
    options.compression = rocksdb::kNoCompression;
    options.compression_per_level.clear();
    options.bottommost_compression = rocksdb::kNoCompression;
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options, part.cf);
    ENGAGED_RETURN_IF_ERROR(FromRocks(writer.Open(path), what));
    rocksdb::Status s;
    for (auto it = first; it != last && s.ok(); ++it) {
      if (it + 1 != last && (it + 1)->key == it->key) continue;  // a later change wins
      s = it->deleted ? writer.Delete(it->key) : writer.Put(it->key, it->value);
    }
    if (s.ok()) s = writer.Finish();
    if (s.ok()) {
      rocksdb::IngestExternalFileOptions io;
      io.move_files = true;           // a hard link, not a copy
      io.write_global_seqno = false;  // the sequence number lives in the manifest
      s = db_->IngestExternalFile(part.cf, {path}, io);
    }
    std::error_code ignored;  // gone after a successful move; else a partial file
    std::filesystem::remove(path, ignored);
    ENGAGED_RETURN_IF_ERROR(FromRocks(s, what));
  }
  if (to_mark) {
    loader.DropBefore(cut);
  } else {
    loader.Clear();
  }
  return ops::Status::Ok();
}

}  // namespace state
