// StoreLoader and Store::Ingest: bulk loads by SST ingestion (state/store_loader.cc).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "state/store.h"
#include "tests/testutil/temp_dir.h"

namespace state {
namespace {

using Customers = std::map<std::string, std::string>;

Customers EncodedCustomers(Store& store, Partition p) {
  Customers out;
  EXPECT_TRUE(store
                  .ForEachEncodedCustomerIn(p,
                                            [&](std::string_view id, std::string_view bytes) {
                                              out.emplace(id, bytes);
                                              return true;
                                            })
                  .ok());
  return out;
}

class StoreLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open({.dir = dir_.path().string()});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  testutil::TempDir dir_;
  std::unique_ptr<Store> store_;
};

// A restore writes its files uncompressed under any state.compression: the same
// compressible load takes as many SST bytes with zstd as without.
TEST(StoreLoaderCompressionTest, LoadedFilesAreNotCompressed) {
  const auto live_sst_bytes = [](Compression compression) -> uint64_t {
    testutil::TempDir dir;
    StoreOptions options;
    options.dir = dir.path().string();
    options.compression = compression;
    auto store = Store::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return 0;
    StoreLoader loader;
    const std::string encoded(200, 'x');  // zstd would take it to a few bytes
    for (int i = 0; i < 20000; ++i) {
      loader.PutEncodedCustomer(Partition(0), "customer-" + std::to_string(i), encoded);
    }
    EXPECT_TRUE((*store)->Ingest(loader).ok());
    return (*store)->Stats().live_sst_bytes;
  };
  const uint64_t none = live_sst_bytes(Compression::kNone);
  const uint64_t zstd = live_sst_bytes(Compression::kZstd);
  EXPECT_GT(none, uint64_t{4'000'000}) << "20,000 values of 200 bytes";
  EXPECT_GT(zstd * 10, none * 9) << "zstd " << zstd << " bytes against " << none;
}

// Changes in random order against a model, over ids that share long prefixes and ids
// that end inside the 8 bytes the sort compares as one integer ("ab", "ab\0", ...).
TEST_F(StoreLoaderTest, TheLastChangeOfEachKeyWinsWhateverTheKeys) {
  std::vector<std::string> ids = {"a",
                                  "ab",
                                  std::string("ab\0", 3),
                                  std::string("ab\0\0", 4),
                                  "abc",
                                  "abcdefgh",
                                  "abcdefghi",
                                  "abcdefgh\x01",
                                  "b",
                                  "\xff"};
  for (int i = 0; i < 300; ++i) ids.push_back("customer-" + std::to_string(i * 7919 % 1000));
  std::mt19937 rng(7);
  std::map<std::string, std::optional<std::string>> model;
  StoreLoader loader;
  for (int i = 0; i < 3000; ++i) {
    const std::string& id = ids[rng() % ids.size()];
    if (rng() % 4 == 0) {
      loader.DeleteCustomer(Partition(2), id);
      model[id] = std::nullopt;
    } else {
      const std::string value = "v" + std::to_string(i);
      loader.PutEncodedCustomer(Partition(2), id, value);
      model[id] = value;
    }
  }
  ASSERT_TRUE(store_->Ingest(loader).ok());
  EXPECT_TRUE(loader.empty());
  Customers expected;
  for (const auto& [id, value] : model) {
    if (value) expected.emplace(id, *value);
  }
  EXPECT_EQ(EncodedCustomers(*store_, Partition(2)), expected);
}

TEST_F(StoreLoaderTest, IngestedStateIsNewerThanWhatWasStoredAndSurvivesAReopen) {
  CustomerState s;
  s.events_total = 1;
  StoreBatch batch = store_->NewBatch();
  batch.PutCustomer(Partition(0), "old", s);
  batch.PutCustomer(Partition(0), "gone", s);
  ASSERT_TRUE(store_->Write(batch).ok());
  StoreLoader loader;
  loader.PutEncodedCustomer(Partition(0), "old", "new bytes");
  loader.DeleteCustomer(Partition(0), "gone");
  ASSERT_TRUE(store_->Ingest(loader).ok());
  store_.reset();
  auto reopened = Store::Open({.dir = dir_.path().string()});
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(EncodedCustomers(**reopened, Partition(0)), (Customers{{"old", "new bytes"}}));
}

TEST_F(StoreLoaderTest, IngestUpToTheMarkKeepsTheRestAndRollbackDropsIt) {
  StoreLoader loader;
  loader.PutEncodedCustomer(Partition(1), "a", "1");
  loader.PutEncodedCustomer(Partition(1), "b", "1");
  loader.Mark();
  loader.PutEncodedCustomer(Partition(1), "c", "1");
  loader.PutEncodedCustomer(Partition(1), "a", "2");
  ASSERT_TRUE(store_->Ingest(loader, /*to_mark=*/true).ok());
  EXPECT_EQ(EncodedCustomers(*store_, Partition(1)), (Customers{{"a", "1"}, {"b", "1"}}));
  EXPECT_FALSE(loader.empty()) << "the entries after the mark stay";
  loader.Mark();
  loader.PutEncodedCustomer(Partition(1), "d", "1");
  loader.RollbackToMark();
  ASSERT_TRUE(store_->Ingest(loader).ok());
  EXPECT_EQ(EncodedCustomers(*store_, Partition(1)),
            (Customers{{"a", "2"}, {"b", "1"}, {"c", "1"}}));
}

TEST_F(StoreLoaderTest, TimersLoadInDueOrder) {
  StoreLoader loader;
  for (int64_t due : {50, 10, 40, 20, 30}) {
    loader.PutTimer(Partition(3), TimeMs(due), "c" + std::to_string(due));
  }
  ASSERT_TRUE(store_->Ingest(loader).ok());
  std::vector<std::pair<int64_t, std::string>> fired;
  ASSERT_TRUE(store_
                  ->ForEachDueTimer(Partition(3), TimeMs(40),
                                    [&](TimeMs due, std::string_view id) {
                                      fired.emplace_back(due.value(), id);
                                      return true;
                                    })
                  .ok());
  EXPECT_EQ(fired, (std::vector<std::pair<int64_t, std::string>>{
                       {10, "c10"}, {20, "c20"}, {30, "c30"}, {40, "c40"}}));
}

TEST_F(StoreLoaderTest, TwoThreadsLoadAtOnce) {
  const auto load = [&](Partition p, ops::Status* out) {
    StoreLoader loader;
    for (int i = 0; i < 2000; ++i) loader.PutEncodedCustomer(p, "c" + std::to_string(i), "x");
    *out = store_->Ingest(loader);
  };
  ops::Status a;
  ops::Status b;
  std::thread other(load, Partition(4), &a);
  load(Partition(5), &b);
  other.join();
  ASSERT_TRUE(a.ok()) << a.ToString();
  ASSERT_TRUE(b.ok()) << b.ToString();
  EXPECT_EQ(EncodedCustomers(*store_, Partition(4)).size(), 2000u);
  EXPECT_EQ(EncodedCustomers(*store_, Partition(5)).size(), 2000u);
}

TEST_F(StoreLoaderTest, OpenRemovesTheFilesOfAnInterruptedLoad) {
  store_.reset();
  const auto leftover = dir_.path() / (std::string(kIngestFilePrefix) + "7.sst");
  std::ofstream(leftover) << "half an SST";
  auto store = Store::Open({.dir = dir_.path().string()});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(leftover));
}

TEST_F(StoreLoaderTest, DropTimersDeletesOnlyThatPartitionsTimers) {
  StoreBatch batch = store_->NewBatch();
  batch.PutTimer(Partition(6), TimeMs(5), "a");
  batch.PutTimer(Partition(7), TimeMs(5), "b");
  ASSERT_TRUE(store_->Write(batch).ok());
  ASSERT_TRUE(store_->DropTimers(Partition(6)).ok());
  ASSERT_TRUE(store_->DropTimers(Partition(8)).ok()) << "a partition without timers";
  int left = 0;
  for (int p : {6, 7}) {
    ASSERT_TRUE(store_
                    ->ForEachDueTimer(Partition(p), TimeMs(10),
                                      [&](TimeMs, std::string_view) {
                                        ++left;
                                        return true;
                                      })
                    .ok());
  }
  EXPECT_EQ(left, 1);
}

}  // namespace
}  // namespace state
