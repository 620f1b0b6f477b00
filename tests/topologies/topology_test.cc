// The commit protocol, with the store real and the sink faked.

#include "topologies/topology.h"

#include <gtest/gtest.h>

#include "tests/testutil/temp_dir.h"

namespace topologies {
namespace {

class FakeSink final : public Sink {
 public:
  ops::Status Emit(OutputStream stream, std::string_view, std::string_view value,
                   std::span<const Header>) override {
    (stream == OutputStream::kSegmentChanges ? changes : dead).emplace_back(value);
    return ops::Status::Ok();
  }
  ops::Status Flush() override {
    return fail_flush ? ops::Status::Unavailable("broker gone") : ops::Status::Ok();
  }
  std::vector<std::string> changes;
  std::vector<std::string> dead;
  bool fail_flush = false;
};

class TopologyTest : public testing::Test {
 protected:
  void SetUp() override {
    config_.segments = {{"active", 2}};
    auto store = state::Store::Open({.dir = dir_.path().string()});
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    topology_ = std::make_unique<Topology>(&config_, store_.get(), &sink_, &probe_,
                                           [] { return state::TimeMs(1710000000000); });
    const state::TopicPartition tp{"in", state::Partition(0)};
    ASSERT_TRUE(topology_->OnAssigned(std::span(&tp, 1)).ok());
  }

  ops::Status Feed(int64_t offset, const std::string& value) {
    const InputRecord r{.topic = "in",
                        .partition = state::Partition(0),
                        .offset = state::Offset(offset),
                        .key = "k",
                        .value = value,
                        .timestamp = state::TimeMs(5)};
    return topology_->Process(r);
  }

  std::optional<state::Offset> StoredOffset() {
    auto o = store_->GetOffset({"in", state::Partition(0)});
    EXPECT_TRUE(o.ok());
    return *o;
  }

  testutil::TempDir dir_;
  Config config_;
  FakeSink sink_;
  TopologyProbe probe_;
  std::unique_ptr<state::Store> store_;
  std::unique_ptr<Topology> topology_;
};

constexpr char kEvent[] = R"({"customer_id":"a","type":"click","ts":1700000000})";

TEST_F(TopologyTest, CommitWritesStateAndTheNextOffset) {
  ASSERT_TRUE(Feed(10, kEvent).ok());
  ASSERT_TRUE(Feed(11, kEvent).ok());
  EXPECT_EQ(sink_.changes.size(), 1u);
  EXPECT_FALSE(StoredOffset().has_value()) << "nothing is durable before a commit";
  auto committed = topology_->Commit();
  ASSERT_TRUE(committed.ok());
  ASSERT_EQ(committed->size(), 1u);
  EXPECT_EQ(StoredOffset(), state::Offset(12));
  auto c = store_->GetCustomer(state::Partition(0), "a");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->events_total, 2);
  EXPECT_EQ((*c)->segment, "active");
}

TEST_F(TopologyTest, AFailedFlushCommitsNothing) {
  ASSERT_TRUE(Feed(0, kEvent).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  ASSERT_TRUE(Feed(1, kEvent).ok());
  sink_.fail_flush = true;
  auto committed = topology_->Commit();
  ASSERT_FALSE(committed.ok());
  EXPECT_EQ(committed.status().code(), ops::StatusCode::kUnavailable);
  EXPECT_EQ(StoredOffset(), state::Offset(1)) << "the offset stays at the last good commit";
  auto c = store_->GetCustomer(state::Partition(0), "a");
  EXPECT_EQ((*c)->events_total, 1);
}

TEST_F(TopologyTest, BadInputIsDeadLetteredAndStillAdvancesTheOffset) {
  ASSERT_TRUE(Feed(0, "{oops").ok());
  ASSERT_EQ(sink_.dead.size(), 1u);
  EXPECT_EQ(
      topology_->counters().invalid[static_cast<size_t>(processors::InvalidReason::kInvalidJson)],
      1);
  ASSERT_TRUE(topology_->Commit().ok());
  EXPECT_EQ(StoredOffset(), state::Offset(1));
}

TEST_F(TopologyTest, RevocationCommitsFirst) {
  ASSERT_TRUE(Feed(0, kEvent).ok());
  const state::TopicPartition tp{"in", state::Partition(0)};
  ASSERT_TRUE(topology_->OnRevoked(std::span(&tp, 1)).ok());
  EXPECT_EQ(StoredOffset(), state::Offset(1));
  EXPECT_EQ(topology_->assigned_partitions(), 0);
}

TEST_F(TopologyTest, AnAbandonedTopologyCommitsNothingOnRevocation) {
  ASSERT_TRUE(Feed(0, kEvent).ok());
  topology_->Abandon();
  const state::TopicPartition tp{"in", state::Partition(0)};
  ASSERT_TRUE(topology_->OnRevoked(std::span(&tp, 1)).ok());
  EXPECT_FALSE(StoredOffset().has_value());
}

}  // namespace
}  // namespace topologies
