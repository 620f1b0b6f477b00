#include "processors/dedup.h"

#include <gtest/gtest.h>

#include <string>

namespace processors {
namespace {

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kT0 = 1709647629000;

state::TimeMs At(int64_t offset_ms) { return state::TimeMs(kT0 + offset_ms); }

TEST(DedupTest, HashIsStableAndSpreads) {
  // Persisted in customer state: these values must never change.
  EXPECT_EQ(HashEventId(""), 0xefd01f60ba992926ULL);
  EXPECT_EQ(HashEventId("ajs-next-1"), HashEventId(std::string("ajs-next-") + "1"));
  EXPECT_EQ(HashEventId("ajs-next-1"), HashEventId("ajs-next-1"));
  EXPECT_NE(HashEventId("ajs-next-1"), HashEventId("ajs-next-2"));
  EXPECT_NE(HashEventId("ab"), HashEventId("ba"));
}

TEST(DedupTest, DuplicateWithinHorizonOnly) {
  state::RecentIds ids;
  const uint64_t h = HashEventId("m-1");
  EXPECT_FALSE(IsDuplicate(ids, h, At(0), kHour));
  Remember(ids, h, At(0), kHour);
  EXPECT_TRUE(IsDuplicate(ids, h, At(0), kHour));           // a plain retry
  EXPECT_TRUE(IsDuplicate(ids, h, At(kHour), kHour));       // at the horizon: inside
  EXPECT_TRUE(IsDuplicate(ids, h, At(-kHour), kHour));      // earlier time, same distance
  EXPECT_FALSE(IsDuplicate(ids, h, At(kHour + 1), kHour));  // outside
  EXPECT_FALSE(IsDuplicate(ids, HashEventId("m-2"), At(0), kHour));
  EXPECT_FALSE(IsDuplicate(ids, h, At(1), 0));  // horizon 0: the same time only
  EXPECT_TRUE(IsDuplicate(ids, h, At(0), 0));
}

TEST(DedupTest, ExpiredEntriesAreEvicted) {
  state::RecentIds ids;
  Remember(ids, HashEventId("old"), At(0), kHour);
  Remember(ids, HashEventId("new"), At(2 * kHour), kHour);  // "old" expires
  EXPECT_EQ(ids.size, 1);
  EXPECT_FALSE(IsDuplicate(ids, HashEventId("old"), At(0), kHour));
  EXPECT_TRUE(IsDuplicate(ids, HashEventId("new"), At(2 * kHour), kHour));
}

TEST(DedupTest, AlreadyExpiredIdIsNotRemembered) {
  state::RecentIds ids;
  Remember(ids, HashEventId("new"), At(2 * kHour), kHour);
  Remember(ids, HashEventId("late"), At(0), kHour);  // older than newest - horizon
  EXPECT_EQ(ids.size, 1);
}

TEST(DedupTest, RememberingTwiceKeepsOneEntryWithTheLaterTime) {
  state::RecentIds ids;
  const uint64_t h = HashEventId("m");
  Remember(ids, h, At(0), 10 * kHour);
  Remember(ids, h, At(5 * kHour), 10 * kHour);
  EXPECT_EQ(ids.size, 1);
  EXPECT_EQ(ids.entries[0].time, At(5 * kHour));
}

TEST(DedupTest, WhenFullTheOldestIsForgotten) {
  state::RecentIds ids;
  const int64_t horizon = 24 * kHour;
  const int n = static_cast<int>(state::RecentIds::kCapacity);
  for (int i = 0; i < n; ++i) Remember(ids, HashEventId("id-" + std::to_string(i)), At(i), horizon);
  EXPECT_TRUE(ids.full());
  Remember(ids, HashEventId("id-new"), At(n), horizon);
  EXPECT_TRUE(ids.full());
  EXPECT_FALSE(IsDuplicate(ids, HashEventId("id-0"), At(0), horizon));  // the oldest went
  for (int i = 1; i < n; ++i) {
    EXPECT_TRUE(IsDuplicate(ids, HashEventId("id-" + std::to_string(i)), At(i), horizon)) << i;
  }
  EXPECT_TRUE(IsDuplicate(ids, HashEventId("id-new"), At(n), horizon));
}

TEST(DedupTest, ExtremeTimesDoNotOverflow) {
  state::RecentIds ids;
  const uint64_t h = HashEventId("x");
  Remember(ids, h, state::TimeMs(INT64_MIN), INT64_MAX);
  Remember(ids, HashEventId("y"), state::TimeMs(INT64_MAX), INT64_MAX);
  EXPECT_FALSE(IsDuplicate(ids, h, state::TimeMs(INT64_MAX), 0));
  EXPECT_TRUE(IsDuplicate(ids, HashEventId("y"), state::TimeMs(INT64_MAX), 0));
}

}  // namespace
}  // namespace processors
