#include "state/customer_cache.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace state {
namespace {

CustomerState WithEvents(int64_t n) {
  CustomerState s;
  s.events_total = n;
  return s;
}

TEST(CustomerCacheTest, FindsInsertedEntriesAndCountsHitsAndMisses) {
  CustomerCache cache(1 << 20);
  EXPECT_EQ(cache.Find("a"), nullptr);
  cache.Insert("a", WithEvents(1))->events_total = 2;
  ASSERT_NE(cache.Find("a"), nullptr);
  EXPECT_EQ(cache.Find("a")->events_total, 2);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 1u);
}

TEST(CustomerCacheTest, EvictsLeastRecentlyUsedCleanEntriesToTheBound) {
  const size_t one = CustomerCache::EstimateBytes("c0", CustomerState());
  CustomerCache cache(3 * one);
  for (int i = 0; i < 3; ++i) cache.Insert("c" + std::to_string(i), WithEvents(i));
  ASSERT_NE(cache.Find("c0"), nullptr);  // c1 is now the least recently used
  cache.Insert("c3", WithEvents(3));
  cache.EvictToBudget();
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_LE(cache.bytes(), 3 * one);
  EXPECT_EQ(cache.Find("c1"), nullptr);
  EXPECT_NE(cache.Find("c0"), nullptr);
  EXPECT_NE(cache.Find("c3"), nullptr);
}

TEST(CustomerCacheTest, InsertEvictsCleanEntriesAtOnceToStayWithinTheBound) {
  const size_t one = CustomerCache::EstimateBytes("c0", CustomerState());
  CustomerCache cache(3 * one);
  for (int i = 0; i < 10; ++i) {
    cache.Insert("c" + std::to_string(i), WithEvents(i));
    EXPECT_LE(cache.bytes(), 3 * one) << "after inserting c" << i;
  }
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.Find("c6"), nullptr);
  EXPECT_NE(cache.Find("c9"), nullptr);
}

// Entries found since they last passed the back of the queue get a second chance; the
// entry inserted is never the one evicted, even when every other was found.
TEST(CustomerCacheTest, InsertGivesFoundEntriesASecondChanceAndKeepsTheNewOne) {
  const size_t one = CustomerCache::EstimateBytes("c0", CustomerState());
  CustomerCache cache(2 * one);
  cache.Insert("c0", WithEvents(0));
  cache.Insert("c1", WithEvents(1));
  ASSERT_NE(cache.Find("c0"), nullptr);
  ASSERT_NE(cache.Find("c1"), nullptr);
  cache.Insert("c2", WithEvents(2));
  EXPECT_LE(cache.bytes(), 2 * one) << "within the bound at once";
  EXPECT_NE(cache.Find("c2"), nullptr);
  EXPECT_NE(cache.Find("c1"), nullptr) << "found last: kept";
  EXPECT_EQ(cache.Find("c0"), nullptr) << "found first, then passed the back unused: evicted";
  // c1 and c2 were just found; c3's insert gives both a second chance, then evicts the
  // one that reaches the back first unused again (c1, inserted before c2).
  cache.Insert("c3", WithEvents(3));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_NE(cache.Find("c3"), nullptr);
}

TEST(CustomerCacheTest, InsertKeepsDirtyEntriesAndTheOneItReturns) {
  const size_t one = CustomerCache::EstimateBytes("c0", CustomerState());
  CustomerCache cache(one);
  cache.Insert("c0", WithEvents(0));
  cache.MarkDirty("c0");
  CustomerState* c1 = cache.Insert("c1", WithEvents(1));
  ASSERT_NE(c1, nullptr);
  EXPECT_EQ(cache.size(), 2u) << "the dirty c0 stays, over the bound, until a commit";
  EXPECT_EQ(c1->events_total, 1);
  EXPECT_NE(cache.Find("c0"), nullptr);
}

TEST(CustomerCacheTest, MarkDirtyMarksTheNamedEntryWhateverWasFoundLast) {
  CustomerCache cache(1 << 20);
  cache.Insert("a", WithEvents(1));
  cache.Insert("b", WithEvents(2));
  ASSERT_NE(cache.Find("b"), nullptr);
  cache.MarkDirty("a");  // not the entry found last
  std::vector<std::string> dirty;
  cache.ForEachDirty([&](std::string_view id, const CustomerState&) { dirty.emplace_back(id); });
  EXPECT_EQ(dirty, std::vector<std::string>{"a"});
  // The entry found last is erased, and an entry of the same id comes back.
  cache.Erase("b");
  cache.MarkDirty("a");
  cache.Insert("b", WithEvents(3));
  cache.BeginWrite();
  cache.EndWrite();
  cache.MarkDirty("b");
  dirty.clear();
  cache.ForEachDirty([&](std::string_view id, const CustomerState& s) {
    dirty.emplace_back(id);
    EXPECT_EQ(s.events_total, 3);
  });
  EXPECT_EQ(dirty, std::vector<std::string>{"b"});
}

TEST(CustomerCacheTest, ForEachDirtyVisitsInTheStoresKeyOrder) {
  CustomerCache cache(1 << 20);
  // Bytes compare unsigned, as RocksDB's keys do: "\xff" sorts after "c".
  for (const char* id : {"c", "\xff", "a", "b2", "b"}) {
    cache.Insert(id, WithEvents(1));
    cache.MarkDirty(id);
  }
  cache.Insert("a0", WithEvents(1));  // clean: not visited
  std::vector<std::string> dirty;
  cache.ForEachDirty([&](std::string_view id, const CustomerState&) { dirty.emplace_back(id); });
  EXPECT_EQ(dirty, (std::vector<std::string>{"a", "b", "b2", "c", "\xff"}));
  // Visiting in order changes nothing else: the same entries are written and cleaned.
  cache.BeginWrite();
  cache.EndWrite();
  for (const char* id : {"a", "b", "b2", "c", "\xff", "a0"}) EXPECT_TRUE(cache.IsClean(id)) << id;
}

TEST(CustomerCacheTest, KeepsEntriesBeingWrittenUntilTheWriteEnds) {
  const size_t one = CustomerCache::EstimateBytes("c0", CustomerState());
  CustomerCache cache(2 * one);
  cache.Insert("c0", WithEvents(1));
  cache.MarkDirty("c0");
  cache.Insert("c1", WithEvents(1));
  cache.MarkDirty("c1");
  cache.BeginWrite();
  EXPECT_EQ(cache.dirty_bytes(), 0u);
  EXPECT_FALSE(cache.IsClean("c0"));
  // c1 changes again while the write is in flight: it stays dirty after it.
  ASSERT_NE(cache.Find("c1"), nullptr);
  cache.MarkDirty("c1");
  // The least recently used entry (c0) is being written: Insert stops there, and
  // EvictToBudget passes over it.
  for (int i = 2; i < 6; ++i) cache.Insert("c" + std::to_string(i), WithEvents(i));
  EXPECT_EQ(cache.size(), 6u);
  cache.EvictToBudget();
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.IsClean("c0"));
  EXPECT_FALSE(cache.IsClean("c1"));
  EXPECT_FALSE(cache.IsClean("c2")) << "c2 was clean and evicted";
  cache.EndWrite();
  EXPECT_TRUE(cache.IsClean("c0"));
  EXPECT_FALSE(cache.IsClean("c1"));
  // Bookkeeping reads are not lookups: the hit ratio counts events' lookups only.
  const uint64_t hits = cache.hits();
  ASSERT_NE(cache.FindClean("c0"), nullptr);
  EXPECT_EQ(cache.FindClean("c0")->events_total, 1);
  EXPECT_EQ(cache.FindClean("c1"), nullptr) << "dirty";
  EXPECT_EQ(cache.hits(), hits);
  std::vector<std::string> dirty;
  cache.ForEachDirty([&](std::string_view id, const CustomerState&) { dirty.emplace_back(id); });
  EXPECT_EQ(dirty, std::vector<std::string>{"c1"});
  cache.set_max_bytes(one);
  cache.EvictToBudget();
  EXPECT_EQ(cache.size(), 1u) << "c0 is clean once written, and goes";
  EXPECT_NE(cache.Find("c1"), nullptr);
}

// The index against a model, through many inserts and erases of ids that collide
// in its slots (backward-shift deletion must keep every probe sequence unbroken).
TEST(CustomerCacheTest, FindsWhatAModelHoldsThroughRandomInsertsAndErases) {
  CustomerCache cache(size_t{1} << 30);
  std::map<std::string, int64_t> model;
  std::mt19937 rng(11);
  for (int i = 0; i < 40000; ++i) {
    const std::string id = "c" + std::to_string(rng() % 700);
    const auto it = model.find(id);
    switch (rng() % 3) {
      case 0:
        if (it == model.end()) {
          cache.Insert(id, WithEvents(i));
          model[id] = i;
        }
        break;
      case 1:
        cache.Erase(id);
        model.erase(id);
        break;
      default: {
        const CustomerState* s = cache.Find(id);
        ASSERT_EQ(s != nullptr, it != model.end()) << id << " at step " << i;
        if (s != nullptr) {
          ASSERT_EQ(s->events_total, it->second) << id;
        }
      }
    }
    ASSERT_EQ(cache.size(), model.size()) << "at step " << i;
  }
  for (const auto& [id, events] : model) {
    const CustomerState* s = cache.Find(id);
    ASSERT_NE(s, nullptr) << id;
    EXPECT_EQ(s->events_total, events);
  }
}

TEST(CustomerCacheTest, NeverEvictsDirtyEntriesAndAsksForACommit) {
  const size_t one = CustomerCache::EstimateBytes("c0", CustomerState());
  CustomerCache cache(2 * one);
  for (int i = 0; i < 4; ++i) {
    const std::string id = "c" + std::to_string(i);
    cache.Insert(id, WithEvents(i));
    cache.MarkDirty(id);
  }
  EXPECT_TRUE(cache.NeedsCommit());
  cache.EvictToBudget();
  EXPECT_EQ(cache.size(), 4u) << "dirty entries stay until committed";
  int dirty = 0;
  cache.ForEachDirty([&](std::string_view, const CustomerState&) { ++dirty; });
  EXPECT_EQ(dirty, 4);
  cache.BeginWrite();
  cache.EndWrite();
  EXPECT_FALSE(cache.NeedsCommit());
  cache.EvictToBudget();
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.dirty_bytes(), 0u);
}

TEST(CustomerCacheTest, TracksGrowthOfAnEntry) {
  CustomerCache cache(1 << 20);
  CustomerState* s = cache.Insert("a", CustomerState());
  const size_t before = cache.bytes();
  s->segment = std::string(1000, 'x');
  cache.MarkDirty("a");
  EXPECT_GE(cache.bytes(), before + 1000);
  EXPECT_EQ(cache.dirty_bytes(), cache.bytes());
}

}  // namespace
}  // namespace state
