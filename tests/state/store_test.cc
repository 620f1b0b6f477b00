#include "state/store.h"

#include <gtest/gtest.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/table_properties.h>

#include <memory>
#include <string>

#include "state/rocks_options.h"
#include "tests/testutil/temp_dir.h"

namespace state {
namespace {

TEST(StoreTest, CommitsStateAndOffsetsTogetherAndReadsThemAfterReopen) {
  testutil::TempDir dir;
  const TopicPartition tp{"events", Partition(3)};
  {
    auto store = Store::Open({.dir = dir.path().string()});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    CustomerState s;
    s.events_total = 7;
    StoreBatch batch = (*store)->NewBatch();
    batch.PutCustomer(Partition(3), "alice", s);
    batch.PutOffset(tp, Offset(1234));
    batch.PutStreamTime(Partition(3), TimeMs(99));
    ASSERT_TRUE((*store)->Write(batch).ok());
    EXPECT_TRUE(batch.empty());
  }
  auto store = Store::Open({.dir = dir.path().string()});
  ASSERT_TRUE(store.ok());
  auto offset = (*store)->GetOffset(tp);
  ASSERT_TRUE(offset.ok());
  ASSERT_TRUE(offset->has_value());
  EXPECT_EQ(**offset, Offset(1234));
  auto other = (*store)->GetOffset({"events", Partition(4)});
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
  auto customer = (*store)->GetCustomer(Partition(3), "alice");
  ASSERT_TRUE(customer.ok());
  ASSERT_TRUE(customer->has_value());
  EXPECT_EQ((*customer)->events_total, 7);
  auto missing = (*store)->GetCustomer(Partition(2), "alice");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value()) << "state is partition-scoped";
  auto st = (*store)->GetStreamTime(Partition(3));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->value_or(TimeMs(0)), TimeMs(99));
}

TEST(StoreTest, FindCustomerLooksInEveryPartition) {
  testutil::TempDir dir;
  auto store = Store::Open({.dir = dir.path().string()});
  ASSERT_TRUE(store.ok());
  StoreBatch batch = (*store)->NewBatch();
  CustomerState s;
  for (int p : {0, 5, 9}) {
    s.events_total = p;
    batch.PutCustomer(Partition(p), "bob", s);
    batch.PutCustomer(Partition(p), "bobby", s);
  }
  ASSERT_TRUE((*store)->Write(batch).ok());
  std::vector<int> seen;
  ASSERT_TRUE((*store)
                  ->FindCustomer("bob",
                                 [&](Partition p, const CustomerState& cs) {
                                   EXPECT_EQ(cs.events_total, p.value());
                                   seen.push_back(p.value());
                                 })
                  .ok());
  EXPECT_EQ(seen, (std::vector<int>{0, 5, 9}));
}

TEST(StoreTest, OpenFailsWithAClearErrorOnAnUnusableDirectory) {
  auto store = Store::Open({.dir = "/proc/engaged-cannot-create-this"});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("cannot open the state store"), std::string::npos);
}

}  // namespace
}  // namespace state

namespace state {
namespace {

std::vector<std::pair<int64_t, std::string>> Due(Store& store, Partition p, int64_t upto) {
  std::vector<std::pair<int64_t, std::string>> out;
  EXPECT_TRUE(store
                  .ForEachDueTimer(p, TimeMs(upto),
                                   [&](TimeMs due, std::string_view id) {
                                     out.emplace_back(due.value(), std::string(id));
                                     return true;
                                   })
                  .ok());
  return out;
}

TEST(TimerTest, FireInDueOrderPerPartitionAndOnlyWhenDue) {
  testutil::TempDir dir;
  auto store = Store::Open({.dir = dir.path().string()});
  ASSERT_TRUE(store.ok());
  StoreBatch batch = (*store)->NewBatch();
  batch.PutTimer(Partition(1), TimeMs(300), "c");
  batch.PutTimer(Partition(1), TimeMs(100), "b");
  batch.PutTimer(Partition(1), TimeMs(100), "a");
  batch.PutTimer(Partition(1), TimeMs(-5), "neg");
  batch.PutTimer(Partition(2), TimeMs(50), "other-partition");
  ASSERT_TRUE((*store)->Write(batch).ok());
  using V = std::vector<std::pair<int64_t, std::string>>;
  EXPECT_EQ(Due(**store, Partition(1), 99), (V{{-5, "neg"}}));
  EXPECT_EQ(Due(**store, Partition(1), 100), (V{{-5, "neg"}, {100, "a"}, {100, "b"}}));
  EXPECT_EQ(Due(**store, Partition(1), 1000), (V{{-5, "neg"}, {100, "a"}, {100, "b"}, {300, "c"}}));
  EXPECT_EQ(Due(**store, Partition(2), 1000), (V{{50, "other-partition"}}));
  EXPECT_TRUE(Due(**store, Partition(0), 1000).empty());
}

// A scan that stopped after a timer goes on with the next one in (due, customer)
// order: a longer id with the same prefix comes after, the same id at a later due too.
TEST(TimerTest, AScanGoesOnAfterTheTimerItStoppedAt) {
  testutil::TempDir dir;
  auto store = Store::Open({.dir = dir.path().string()});
  ASSERT_TRUE(store.ok());
  StoreBatch batch = (*store)->NewBatch();
  for (const char* id : {"a", "b", "bb", "c"}) batch.PutTimer(Partition(1), TimeMs(100), id);
  batch.PutTimer(Partition(1), TimeMs(200), "b");
  batch.PutTimer(Partition(1), TimeMs(300), "a");
  batch.PutTimer(Partition(2), TimeMs(100), "c2");
  ASSERT_TRUE((*store)->Write(batch).ok());
  using V = std::vector<std::pair<int64_t, std::string>>;
  const auto after = [&](int64_t due, const std::string& id, int64_t upto) {
    V out;
    EXPECT_TRUE((*store)
                    ->ForEachDueTimerAfter(Partition(1), TimeMs(due), id, TimeMs(upto),
                                           [&](TimeMs at, std::string_view c) {
                                             out.emplace_back(at.value(), std::string(c));
                                             return true;
                                           })
                    .ok());
    return out;
  };
  EXPECT_EQ(after(100, "b", 200), (V{{100, "bb"}, {100, "c"}, {200, "b"}}));
  EXPECT_EQ(after(100, "c", 1000), (V{{200, "b"}, {300, "a"}}));
  EXPECT_EQ(after(100, "a", 100), (V{{100, "b"}, {100, "bb"}, {100, "c"}}));
  EXPECT_TRUE(after(300, "a", 1000).empty());
  EXPECT_TRUE(after(100, "b", 99).empty());
}

TEST(TimerTest, CancelledTimersDoNotFireAndTimersSurviveARestart) {
  testutil::TempDir dir;
  {
    auto store = Store::Open({.dir = dir.path().string()});
    ASSERT_TRUE(store.ok());
    StoreBatch batch = (*store)->NewBatch();
    batch.PutTimer(Partition(0), TimeMs(10), "keep");
    batch.PutTimer(Partition(0), TimeMs(20), "cancel");
    ASSERT_TRUE((*store)->Write(batch).ok());
    batch.DeleteTimer(Partition(0), TimeMs(20), "cancel");
    ASSERT_TRUE((*store)->Write(batch).ok());
  }
  auto store = Store::Open({.dir = dir.path().string()});
  ASSERT_TRUE(store.ok());
  using V = std::vector<std::pair<int64_t, std::string>>;
  EXPECT_EQ(Due(**store, Partition(0), 100), (V{{10, "keep"}}));
}

TEST(TimerTest, ScanningStopsWhenTheCallbackSaysSo) {
  testutil::TempDir dir;
  auto store = Store::Open({.dir = dir.path().string()});
  ASSERT_TRUE(store.ok());
  StoreBatch batch = (*store)->NewBatch();
  for (int i = 0; i < 10; ++i) batch.PutTimer(Partition(0), TimeMs(i), "c" + std::to_string(i));
  ASSERT_TRUE((*store)->Write(batch).ok());
  int seen = 0;
  ASSERT_TRUE((*store)
                  ->ForEachDueTimer(Partition(0), TimeMs(100),
                                    [&](TimeMs, std::string_view) { return ++seen < 3; })
                  .ok());
  EXPECT_EQ(seen, 3);
}

TEST(StoreTest, DropPartitionRemovesOnlyThatPartition) {
  testutil::TempDir dir;
  auto store = Store::Open({.dir = dir.path().string()});
  ASSERT_TRUE(store.ok());
  StoreBatch batch = (*store)->NewBatch();
  CustomerState s;
  s.events_total = 1;
  for (int p : {1, 2}) {
    batch.PutCustomer(Partition(p), "x", s);
    batch.PutTimer(Partition(p), TimeMs(5), "x");
    batch.PutOffset({"t", Partition(p)}, Offset(9));
    batch.PutStreamTime(Partition(p), TimeMs(9));
    batch.PutMemberCounts(Partition(p), {{"segment:a", 1}});
    batch.PutChangelogOffset(Partition(p), Offset(4), TimeMs(1700000000000));
  }
  ASSERT_TRUE((*store)->Write(batch).ok());
  ASSERT_TRUE((*store)->DropPartition(Partition(1)).ok());
  EXPECT_FALSE((*store)->GetChangelogOffset(Partition(1))->has_value());
  EXPECT_FALSE((*store)->GetChangelogAsOf(Partition(1))->has_value());
  EXPECT_EQ(*(*store)->GetChangelogAsOf(Partition(2)),
            std::optional<TimeMs>(TimeMs(1700000000000)));
  EXPECT_TRUE((*store)->GetMemberCounts(Partition(1))->empty());
  EXPECT_EQ((*store)->GetMemberCounts(Partition(2))->size(), 1u);
  EXPECT_FALSE((*store)->GetCustomer(Partition(1), "x")->has_value());
  EXPECT_FALSE((*store)->GetOffset({"t", Partition(1)})->has_value());
  EXPECT_FALSE((*store)->GetStreamTime(Partition(1))->has_value());
  EXPECT_TRUE(Due(**store, Partition(1), 100).empty());
  EXPECT_TRUE((*store)->GetCustomer(Partition(2), "x")->has_value());
  EXPECT_TRUE((*store)->GetOffset({"t", Partition(2)})->has_value());
  EXPECT_EQ(Due(**store, Partition(2), 100).size(), 1u);
}

TEST(StoreTest, TheChangelogPositionsTimeSurvivesAReopenPerPartition) {
  testutil::TempDir dir;
  {
    auto store = Store::Open({.dir = dir.path().string()});
    ASSERT_TRUE(store.ok());
    EXPECT_FALSE((*store)->GetChangelogAsOf(Partition(0))->has_value()) << "never recorded";
    StoreBatch batch = (*store)->NewBatch();
    batch.PutChangelogOffset(Partition(0), Offset(5), TimeMs(1700000000000));
    batch.PutChangelogAsOf(Partition(3), TimeMs(1700000000001));
    ASSERT_TRUE((*store)->Write(batch).ok());
  }
  auto store = Store::Open({.dir = dir.path().string()});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->GetChangelogOffset(Partition(0)), std::optional<Offset>(Offset(5)));
  EXPECT_EQ(*(*store)->GetChangelogAsOf(Partition(0)), std::optional<TimeMs>(TimeMs(1700000000000)))
      << "a position is recorded with its time";
  EXPECT_EQ(*(*store)->GetChangelogAsOf(Partition(3)),
            std::optional<TimeMs>(TimeMs(1700000000001)));
  EXPECT_FALSE((*store)->GetChangelogAsOf(Partition(1))->has_value());
}

TEST(StoreTest, MemberCountsRoundTripPerPartition) {
  testutil::TempDir dir;
  auto store = Store::Open({.dir = dir.path().string()});
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->GetMemberCounts(Partition(0))->empty());
  const MemberCounts counts = {{"churn:high", 3}, {"segment:active", 12}, {"segment:x", -1}};
  StoreBatch batch = (*store)->NewBatch();
  batch.PutMemberCounts(Partition(0), counts);
  ASSERT_TRUE((*store)->Write(batch).ok());
  auto got = (*store)->GetMemberCounts(Partition(0));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, counts);
  EXPECT_TRUE((*store)->GetMemberCounts(Partition(1))->empty());
}

TEST(StoreTest, CheckpointIsAConsistentReadableCopy) {
  testutil::TempDir dir;
  auto store = Store::Open({.dir = dir.File("db")});
  ASSERT_TRUE(store.ok());
  StoreBatch batch = (*store)->NewBatch();
  CustomerState s;
  s.events_total = 3;
  batch.PutCustomer(Partition(0), "a", s);
  batch.PutOffset({"t", Partition(0)}, Offset(3));
  ASSERT_TRUE((*store)->Write(batch).ok());
  ASSERT_TRUE((*store)->Checkpoint(dir.File("backup")).ok());
  EXPECT_FALSE((*store)->Checkpoint(dir.File("backup")).ok()) << "the target must not exist";
  s.events_total = 4;
  batch.PutCustomer(Partition(0), "a", s);
  ASSERT_TRUE((*store)->Write(batch).ok());
  auto copy = Store::Open({.dir = dir.File("backup"), .read_only = true});
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ((*(*copy)->GetCustomer(Partition(0), "a"))->events_total, 3);
  EXPECT_EQ(**(*copy)->GetOffset({"t", Partition(0)}), Offset(3));
}

TEST(StoreTest, ReadOnlyOpenWorksBesideAWriterAndStatsAreFilled) {
  testutil::TempDir dir;
  auto writer = Store::Open({.dir = dir.path().string(), .memory_bytes = size_t{32} << 20});
  ASSERT_TRUE(writer.ok());
  StoreBatch batch = (*writer)->NewBatch();
  CustomerState s;
  for (int i = 0; i < 1000; ++i) batch.PutCustomer(Partition(0), "c" + std::to_string(i), s);
  ASSERT_TRUE((*writer)->Write(batch).ok());
  ASSERT_TRUE((*writer)->Flush().ok());
  EXPECT_FALSE(Store::Open({.dir = dir.path().string()}).ok()) << "a second writer is refused";
  auto reader = Store::Open({.dir = dir.path().string(), .read_only = true});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_TRUE((*reader)->GetCustomer(Partition(0), "c7")->has_value());
  const StoreStats st = (*writer)->Stats();
  EXPECT_GT(st.live_sst_bytes, 0u);
  EXPECT_GT(st.estimated_customers, 500u);
  EXPECT_EQ(st.block_cache_capacity_bytes, size_t{32} << 20);
  EXPECT_EQ(st.background_errors, 0u);
}

// state.cache_read_blocks: lookups fill the block cache with the data blocks they read,
// or, off, leave it to index and filter blocks and memtables.
TEST(StoreTest, LookupsFillTheBlockCacheOnlyWhenAskedTo) {
  testutil::TempDir dir;
  {
    auto store = Store::Open({.dir = dir.path().string()});
    ASSERT_TRUE(store.ok());
    StoreBatch batch = (*store)->NewBatch();
    CustomerState s;
    s.segment = "a segment name long enough to make each customer take some room";
    for (int i = 0; i < 20000; ++i) {
      s.events_total = i;
      batch.PutCustomer(Partition(0), "customer-" + std::to_string(i), s);
    }
    ASSERT_TRUE((*store)->Write(batch).ok());
    ASSERT_TRUE((*store)->Flush().ok());
  }
  // Bytes of the block cache held by blocks no one pins: the data blocks lookups read.
  const auto read_blocks = [&](bool cache_read_blocks) -> uint64_t {
    auto store = Store::Open({.dir = dir.path().string(), .cache_read_blocks = cache_read_blocks});
    EXPECT_TRUE(store.ok());
    for (int i = 0; i < 20000; i += 7) {
      auto c = (*store)->GetCustomer(Partition(0), "customer-" + std::to_string(i));
      EXPECT_TRUE(c.ok() && c->has_value() && (*c)->events_total == i) << i;
    }
    const StoreStats st = (*store)->Stats();
    return st.block_cache_usage_bytes - st.block_cache_pinned_bytes;
  };
  const uint64_t filled = read_blocks(true);
  const uint64_t not_filled = read_blocks(false);
  EXPECT_GT(filled, uint64_t{256} << 10) << "the data blocks read (about 1.5 MB of state)";
  EXPECT_LT(not_filled, uint64_t{16} << 10);
}

// With the data blocks out of the block cache, memtables get half of RocksDB's memory
// instead of a quarter; one memtable is a quarter of that, and at most 64 MiB.
TEST(StoreTest, MemtablesGrowWhenLookupsLeaveTheBlockCacheAlone) {
  const auto cache = rocksdb::NewLRUCache(size_t{8} << 20);
  constexpr size_t kMemory = size_t{400} << 20;
  const auto memtable = [&](size_t memory_bytes, bool cache_read_blocks) {
    StoreOptions options;
    options.memory_bytes = memory_bytes;
    options.cache_read_blocks = cache_read_blocks;
    return ColumnFamilyOptionsFor(cache, options).write_buffer_size;
  };
  EXPECT_EQ(memtable(kMemory, true), kMemory / 16);
  EXPECT_EQ(memtable(kMemory, false), kMemory / 8);
  EXPECT_EQ(memtable(size_t{4} << 30, false), size_t{64} << 20);
}

rocksdb::ColumnFamilyOptions CompressedOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                               Compression compression) {
  StoreOptions options;
  options.compression = compression;
  return ColumnFamilyOptionsFor(cache, options);
}

// state.compression: none by default; lz4 below level 1 (flushes write level 0
// uncompressed); with zstd, zstd in RocksDB's bottommost level (the last that holds data).
TEST(StoreTest, CompressionAppliesBelowLevelOneAndZstdAtTheBottom) {
  const auto cache = rocksdb::NewLRUCache(size_t{8} << 20);
  const auto none = CompressedOptions(cache, Compression::kNone);
  EXPECT_TRUE(none.compression_per_level.empty());
  EXPECT_EQ(none.compression, rocksdb::kNoCompression);
  EXPECT_EQ(none.bottommost_compression, rocksdb::kNoCompression);
  for (const Compression c : {Compression::kLz4, Compression::kZstd}) {
    const auto cf = CompressedOptions(cache, c);
    ASSERT_EQ(cf.compression_per_level.size(), static_cast<size_t>(cf.num_levels));
    EXPECT_EQ(cf.compression_per_level[0], rocksdb::kNoCompression);
    EXPECT_EQ(cf.compression_per_level[1], rocksdb::kNoCompression);
    for (size_t level = 2; level < cf.compression_per_level.size(); ++level) {
      EXPECT_EQ(cf.compression_per_level[level], rocksdb::kLZ4Compression) << level;
    }
    EXPECT_EQ(cf.bottommost_compression,
              c == Compression::kZstd ? rocksdb::kZSTD : rocksdb::kDisableCompressionOption);
  }
}

// The RocksDB this links writes what state.compression asks for: a flush leaves an
// uncompressed file, a full compaction into the last level that holds data (level 1
// here) a zstd one, and the compressed file is the smaller (repeated bytes).
TEST(StoreTest, TheLinkedRocksDbCompressesTheBottomLevelWithZstd) {
  testutil::TempDir dir;
  const auto cache = rocksdb::NewLRUCache(size_t{8} << 20);
  rocksdb::Options options(rocksdb::DBOptions(), CompressedOptions(cache, Compression::kZstd));
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir.path().string(), &raw).ok());
  const std::unique_ptr<rocksdb::DB> db(raw);
  const std::string value(200, 'x');
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "customer-" + std::to_string(i), value).ok());
  }
  ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
  // Compression name and data bytes of the one live table.
  const auto table = [&]() -> std::pair<std::string, uint64_t> {
    rocksdb::TablePropertiesCollection tables;
    EXPECT_TRUE(db->GetPropertiesOfAllTables(&tables).ok());
    EXPECT_EQ(tables.size(), 1u);
    if (tables.empty()) return {"", 0};
    return {tables.begin()->second->compression_name, tables.begin()->second->data_size};
  };
  const auto flushed = table();
  EXPECT_EQ(flushed.first, "NoCompression");
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  ASSERT_TRUE(db->CompactRange(compact, nullptr, nullptr).ok());
  const auto compacted = table();
  EXPECT_EQ(compacted.first, "ZSTD");
  EXPECT_LT(compacted.second * 4, flushed.second) << "200 repeated bytes per value";
}

}  // namespace
}  // namespace state
