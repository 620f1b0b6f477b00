#include "state/changelog.h"

#include <gtest/gtest.h>

#include <limits>
#include <map>

#include "state/codec.h"
#include "tests/testutil/temp_dir.h"

namespace state::changelog {
namespace {

constexpr Partition kP(2);
constexpr TimeMs kAsOf(1700000000000);  // when the restores here start

std::string Encoded(int64_t events, TimeMs last_seen) {
  CustomerState s;
  s.events_total = events;
  s.first_seen = TimeMs(0);
  s.last_seen = last_seen;
  std::string out;
  EncodeCustomer(s, &out);
  return out;
}

std::string Meta(int64_t input_next, TimeMs fired_through) {
  PartitionMeta m;
  m.offsets = {{"in", Offset(input_next)}};
  m.stream_time = TimeMs(5000);
  m.fired_through = fired_through;
  m.members = {{"segment:active", 2}};
  std::string out;
  EncodeMeta(m, &out);
  return out;
}

class ChangelogTest : public testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open({.dir = dir_.path().string()});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  // A restorer whose timers are due one day after last_seen, or right after what fired.
  Restorer NewRestorer(size_t max_pending = Restorer::kDefaultMaxPendingBytes) {
    return Restorer(
        store_.get(), kP,
        [](TimeMs last_seen, TimeMs fired) {
          return std::optional<TimeMs>(
              std::max(TimeMs(last_seen.value() + kMsPerDay), TimeMs(fired.value() + 1)));
        },
        kAsOf, max_pending);
  }

  std::map<std::string, int64_t> Customers() {
    std::map<std::string, int64_t> out;
    EXPECT_TRUE(store_
                    ->ForEachCustomerIn(kP,
                                        [&](std::string_view id, const CustomerState& s) {
                                          out[std::string(id)] = s.events_total;
                                          return true;
                                        })
                    .ok());
    return out;
  }

  std::vector<std::pair<TimeMs, std::string>> Timers() {
    std::vector<std::pair<TimeMs, std::string>> out;
    EXPECT_TRUE(store_
                    ->ForEachDueTimer(kP, TimeMs(std::numeric_limits<int64_t>::max() - 1),
                                      [&](TimeMs due, std::string_view id) {
                                        out.emplace_back(due, std::string(id));
                                        return true;
                                      })
                    .ok());
    return out;
  }

  testutil::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST(ChangelogMetaTest, RoundTrips) {
  PartitionMeta m;
  m.offsets = {{"clicks", Offset(12)}, {"orders", Offset(1LL << 40)}};
  m.stream_time = TimeMs(1700000000000);
  m.fired_through = TimeMs(std::numeric_limits<int64_t>::min());
  m.members = {{"segment:active", 3}, {"churn:high", -1}};
  std::string bytes;
  EncodeMeta(m, &bytes);
  auto decoded = DecodeMeta(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, m);
}

TEST(ChangelogMetaTest, RejectsTruncationUnknownVersionAndTrailingBytes) {
  std::string bytes;
  PartitionMeta m;
  m.offsets = {{"in", Offset(1)}};
  EncodeMeta(m, &bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeMeta(bytes.substr(0, n)).ok()) << "truncated to " << n << " bytes";
  }
  std::string wrong_version = bytes;
  wrong_version[0] = 9;
  EXPECT_EQ(DecodeMeta(wrong_version).status().code(), ops::StatusCode::kCorruption);
  EXPECT_FALSE(DecodeMeta(bytes + "x").ok());
}

TEST_F(ChangelogTest, AppliesCommitsWithTombstonesAndRecordsThePosition) {
  Restorer r = NewRestorer();
  ASSERT_TRUE(r.Apply(Offset(0), CustomerKey("ann"), Encoded(1, TimeMs(1000))).ok());
  ASSERT_TRUE(r.Apply(Offset(1), CustomerKey("bob"), Encoded(1, TimeMs(2000))).ok());
  ASSERT_TRUE(r.Apply(Offset(2), kMetaKey, Meta(10, TimeMs(0))).ok());
  ASSERT_TRUE(r.Apply(Offset(3), CustomerKey("ann"), Encoded(2, TimeMs(3000))).ok());
  ASSERT_TRUE(r.Apply(Offset(4), CustomerKey("bob"), std::nullopt).ok());  // expired
  ASSERT_TRUE(r.Apply(Offset(5), kMetaKey, Meta(20, TimeMs(0))).ok());
  auto stats = r.Finish(Offset(7));  // a transaction marker at 6
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->records, 6);
  EXPECT_EQ(stats->discarded, 0);
  EXPECT_EQ(Customers(), (std::map<std::string, int64_t>{{"ann", 2}}));
  EXPECT_EQ(*store_->GetOffset({"in", kP}), std::optional<Offset>(Offset(20)));
  EXPECT_EQ(*store_->GetChangelogOffset(kP), std::optional<Offset>(Offset(7)));
  EXPECT_EQ(*store_->GetChangelogAsOf(kP), std::optional<TimeMs>(kAsOf));
  EXPECT_EQ(*store_->GetStreamTime(kP), std::optional<TimeMs>(TimeMs(5000)));
  EXPECT_EQ(store_->GetMemberCounts(kP)->at("segment:active"), 2);
}

TEST_F(ChangelogTest, DiscardsTheRecordsOfAnUnfinishedCommit) {
  Restorer r = NewRestorer();
  ASSERT_TRUE(r.Apply(Offset(0), CustomerKey("ann"), Encoded(1, TimeMs(1000))).ok());
  ASSERT_TRUE(r.Apply(Offset(1), kMetaKey, Meta(10, TimeMs(0))).ok());
  // The instance died while flushing its next commit: no meta record closed it.
  ASSERT_TRUE(r.Apply(Offset(2), CustomerKey("ann"), Encoded(5, TimeMs(9000))).ok());
  ASSERT_TRUE(r.Apply(Offset(3), CustomerKey("cat"), Encoded(1, TimeMs(9000))).ok());
  auto stats = r.Finish(Offset(4));
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->discarded, 2);
  EXPECT_EQ(Customers(), (std::map<std::string, int64_t>{{"ann", 1}}))
      << "state matches the offsets it is stored with";
  EXPECT_EQ(*store_->GetOffset({"in", kP}), std::optional<Offset>(Offset(10)));
  EXPECT_EQ(*store_->GetChangelogOffset(kP), std::optional<Offset>(Offset(2)))
      << "the next restore reads the unfinished commit again";
}

// A restore that stops (fails, or the process dies) after loading part of the records
// leaves a position behind, and with it the time the restore started: never a position
// without its time, which the next assignment would catch up however old.
TEST_F(ChangelogTest, APositionWrittenInTheMiddleOfARestoreCarriesItsTime) {
  Restorer r(
      store_.get(), kP, [](TimeMs last_seen, TimeMs) { return std::optional<TimeMs>(last_seen); },
      kAsOf, Restorer::kDefaultMaxPendingBytes, /*ingest_bytes=*/1);
  ASSERT_TRUE(r.Apply(Offset(0), CustomerKey("ann"), Encoded(1, TimeMs(1000))).ok());
  ASSERT_TRUE(r.Apply(Offset(1), kMetaKey, Meta(10, TimeMs(0))).ok());
  ASSERT_TRUE(r.Apply(Offset(2), CustomerKey("bob"), Encoded(1, TimeMs(2000))).ok());
  // No Finish: the restore stops here.
  EXPECT_EQ(*store_->GetChangelogOffset(kP), std::optional<Offset>(Offset(2)));
  EXPECT_EQ(*store_->GetChangelogAsOf(kP), std::optional<TimeMs>(kAsOf));
}

TEST_F(ChangelogTest, AppliesALongRunBeforeItsMetaRecordPastTheBuffer) {
  // A compacted changelog keeps only the newest meta record, after everything else.
  Restorer r = NewRestorer(/*max_pending=*/64);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        r.Apply(Offset(i), CustomerKey("c" + std::to_string(i)), Encoded(i + 1, TimeMs(0))).ok());
  }
  ASSERT_TRUE(r.Apply(Offset(20), kMetaKey, Meta(99, TimeMs(0))).ok());
  auto stats = r.Finish(Offset(21));
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(Customers().size(), 20u);
  EXPECT_EQ(stats->applied, 21);
}

TEST_F(ChangelogTest, RebuildsThePartitionsTimersFromItsCustomers) {
  // A stale timer of this partition and one of another partition.
  StoreBatch b = store_->NewBatch();
  b.PutTimer(kP, TimeMs(5), "ghost");
  b.PutTimer(Partition(3), TimeMs(5), "other");
  ASSERT_TRUE(store_->Write(b).ok());
  Restorer r = NewRestorer();
  ASSERT_TRUE(r.Apply(Offset(0), CustomerKey("ann"), Encoded(1, TimeMs(1000))).ok());
  ASSERT_TRUE(r.Apply(Offset(1), CustomerKey("bob"), Encoded(1, TimeMs(0))).ok());
  ASSERT_TRUE(r.Apply(Offset(2), kMetaKey, Meta(2, TimeMs(3 * kMsPerDay))).ok());
  ASSERT_TRUE(r.Finish(Offset(3)).ok());
  const std::vector<std::pair<TimeMs, std::string>> expected = {{TimeMs(3 * kMsPerDay + 1), "ann"},
                                                                {TimeMs(3 * kMsPerDay + 1), "bob"}};
  EXPECT_EQ(Timers(), expected) << "one per customer, after what fired; the stale one is gone";
  bool other = false;
  ASSERT_TRUE(store_
                  ->ForEachDueTimer(Partition(3), TimeMs(10),
                                    [&](TimeMs, std::string_view) { return other = true; })
                  .ok());
  EXPECT_TRUE(other) << "other partitions' timers are untouched";
  EXPECT_EQ(*store_->GetFiredThrough(kP), std::optional<TimeMs>(TimeMs(3 * kMsPerDay)));
}

TEST_F(ChangelogTest, NothingToApplyLeavesTheStoreAsItWas) {
  Restorer r = NewRestorer();
  auto stats = r.Finish(Offset(0));
  ASSERT_TRUE(stats.ok());
  EXPECT_FALSE(stats->changed);
  EXPECT_FALSE(store_->GetChangelogOffset(kP)->has_value());
}

TEST_F(ChangelogTest, RejectsUnknownKeysAndCorruptMetaRecords) {
  Restorer r = NewRestorer();
  EXPECT_EQ(r.Apply(Offset(0), "x-unknown", "v").code(), ops::StatusCode::kCorruption);
  EXPECT_EQ(r.Apply(Offset(1), kMetaKey, "\x01").code(), ops::StatusCode::kCorruption);
}

}  // namespace
}  // namespace state::changelog
