#include "state/store.h"

#include <gtest/gtest.h>

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
