#include "state/store_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "tests/testutil/temp_dir.h"

namespace state {
namespace {

// A batch holding one customer with `events` events.
StoreBatch OneCustomer(Store& store, int64_t events) {
  CustomerState s;
  s.events_total = events;
  StoreBatch batch = store.NewBatch();
  batch.PutCustomer(Partition(0), "alice", s);
  return batch;
}

int64_t EventsOf(Store& store) {
  auto customer = store.GetCustomer(Partition(0), "alice");
  EXPECT_TRUE(customer.ok() && customer->has_value());
  return customer.ok() && customer->has_value() ? (*customer)->events_total : -1;
}

TEST(StoreWriterTest, WritesInTheBackgroundUntilAwaited) {
  testutil::TempDir dir;
  auto store = Store::Open({.dir = dir.path().string()});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  StoreWriter writer(store->get());
  EXPECT_FALSE(writer.in_flight());
  EXPECT_TRUE(writer.Await().ok()) << "nothing in flight";
  for (int64_t n = 1; n <= 3; ++n) {
    writer.Start(OneCustomer(**store, n));
    EXPECT_TRUE(writer.in_flight());
    ASSERT_TRUE(writer.Await().ok());
    EXPECT_FALSE(writer.in_flight());
    EXPECT_FALSE(writer.landed()) << "awaited: nothing in flight";
    EXPECT_EQ(EventsOf(**store), n);
  }
}

// One helper thread, named for top and perf, does every background write, whatever
// their number; Write runs on the caller's thread. (Kernel thread ids: std::thread::id
// values are reused once a thread ends.)
TEST(StoreWriterTest, OneNamedHelperThreadWritesEveryBatch) {
  testutil::TempDir dir;
  auto store = Store::Open({.dir = dir.path().string()});
  ASSERT_TRUE(store.ok());
  std::set<pid_t> threads;
  std::string name;
  StoreWriter writer([&](StoreBatch& batch) {
    threads.insert(gettid());
    std::ifstream comm("/proc/self/task/" + std::to_string(gettid()) + "/comm");
    std::getline(comm, name);
    return (*store)->Write(batch);
  });
  for (int64_t n = 1; n <= 20; ++n) {
    writer.Start(OneCustomer(**store, n));
    ASSERT_TRUE(writer.Await().ok());
  }
  EXPECT_EQ(threads.size(), 1u);
  EXPECT_FALSE(threads.contains(gettid()));
  EXPECT_EQ(name, "store-writer");
  StoreBatch batch = OneCustomer(**store, 21);
  ASSERT_TRUE(writer.Write(batch).ok());
  EXPECT_EQ(threads.size(), 2u);
  EXPECT_TRUE(threads.contains(gettid()));
  EXPECT_EQ(EventsOf(**store), 21);
}

// landed() turns true once the write returns, without waiting; Await then returns
// the write's own status and how long it took.
TEST(StoreWriterTest, ReportsLandingAndTheWritesFailure) {
  testutil::TempDir dir;
  auto store = Store::Open({.dir = dir.path().string()});
  ASSERT_TRUE(store.ok());
  std::atomic<bool> release{false};
  StoreWriter writer([&](StoreBatch&) {
    while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return ops::Status::IoError("injected: no space left on device");
  });
  writer.Start(OneCustomer(**store, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(writer.landed()) << "held back";
  release = true;
  for (int i = 0; i < 5000 && !writer.landed(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(writer.landed());
  const ops::Status s = writer.Await();
  EXPECT_EQ(s.code(), ops::StatusCode::kIoError) << s.ToString();
  EXPECT_GE(writer.last_write_seconds(), 0.015);
  EXPECT_FALSE(writer.in_flight());
}

// The destructor waits for the write in flight: it lands before the store closes.
TEST(StoreWriterTest, DestructionWaitsForTheWriteInFlight) {
  testutil::TempDir dir;
  auto store = Store::Open({.dir = dir.path().string()});
  ASSERT_TRUE(store.ok());
  {
    StoreWriter writer([&](StoreBatch& batch) {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      return (*store)->Write(batch);
    });
    writer.Start(OneCustomer(**store, 5));
  }
  EXPECT_EQ(EventsOf(**store), 5);
}

}  // namespace
}  // namespace state
