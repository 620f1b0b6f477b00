// Input not keyed by customer id: the forwarder re-keys each record through the
// repartition topic, dead-letters what has no customer, and commits its input offsets
// with the group, not in the state store.

#include "topologies/forwarder.h"

#include <gtest/gtest.h>

#include "tests/testutil/temp_dir.h"
#include "tests/topologies/process_record.h"
#include "topologies/topology.h"

namespace topologies {
namespace {

struct Forwarded {
  std::string key;
  std::string value;
  int64_t timestamp;
};

class RepartitionSink final : public Sink {
 public:
  ops::Status Emit(OutputStream stream, std::string_view, std::string_view value,
                   std::span<const Header> headers) override {
    if (stream == OutputStream::kDeadLetters) {
      dead.emplace_back(headers.empty() ? "" : std::string(headers[0].value));
    } else {
      outputs.emplace_back(value);
    }
    return ops::Status::Ok();
  }
  ops::Status EmitRepartition(std::string_view customer_id, std::string_view value,
                              state::TimeMs timestamp) override {
    forwarded.push_back({std::string(customer_id), std::string(value), timestamp.value()});
    return ops::Status::Ok();
  }
  ops::Status Flush() override { return ops::Status::Ok(); }
  std::vector<Forwarded> forwarded;
  std::vector<std::string> dead;  // their error.code
  std::vector<std::string> outputs;
};

class ForwarderTest : public testing::Test {
 protected:
  void SetUp() override {
    config_.application_id = "app";
    config_.input.topics = {"clicks"};
    config_.input.keyed_by_customer = false;
    config_.segments = {{.name = "active", .min_events = 2}};
    auto store = state::Store::Open({.dir = dir_.path().string()});
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    topology_ = std::make_unique<Topology>(&config_, store_.get(), &sink_, &probe_,
                                           [] { return state::TimeMs(1710000000000); });
    const std::vector<state::TopicPartition> tps = {
        {"clicks", state::Partition(0)}, {RepartitionTopic(config_), state::Partition(1)}};
    auto starts = topology_->OnAssigned(tps);
    ASSERT_TRUE(starts.ok());
    EXPECT_FALSE((*starts)[0].has_value()) << "forwarded input resumes from the group's offsets";
  }

  ops::Status Feed(const std::string& topic, int32_t partition, int64_t offset,
                   const std::string& value, int64_t timestamp = 42) {
    return testutil::ProcessCommittingFirst(*topology_, {.topic = topic,
                                                         .partition = state::Partition(partition),
                                                         .offset = state::Offset(offset),
                                                         .key = "",
                                                         .value = value,
                                                         .timestamp = state::TimeMs(timestamp)});
  }

  testutil::TempDir dir_;
  Config config_;
  RepartitionSink sink_;
  TopologyProbe probe_;
  std::unique_ptr<state::Store> store_;
  std::unique_ptr<Topology> topology_;
};

constexpr char kEvent[] = R"({"customer_id":"ann","type":"click","ts":1700000000000})";

TEST_F(ForwarderTest, ReKeysInputByCustomerAndKeepsItsBytesAndTimestamp) {
  ASSERT_TRUE(Feed("clicks", 0, 7, kEvent).ok());
  ASSERT_EQ(sink_.forwarded.size(), 1u);
  EXPECT_EQ(sink_.forwarded[0].key, "ann");
  EXPECT_EQ(sink_.forwarded[0].value, kEvent);
  EXPECT_EQ(sink_.forwarded[0].timestamp, 42);
  EXPECT_TRUE(sink_.outputs.empty()) << "no state is touched before the repartition topic";
  EXPECT_FALSE(store_->GetCustomer(state::Partition(0), "ann")->has_value());
}

TEST_F(ForwarderTest, DeadLettersWhatHasNoCustomerAndForwardsNothingOfIt) {
  ASSERT_TRUE(Feed("clicks", 0, 0, "{not json").ok());
  ASSERT_TRUE(Feed("clicks", 0, 1, R"({"type":"click","ts":1700000000000})").ok());
  EXPECT_TRUE(sink_.forwarded.empty());
  EXPECT_EQ(sink_.dead, (std::vector<std::string>{"invalid_json", "missing_customer_id"}));
}

TEST_F(ForwarderTest, TheRepartitionedRecordsAreProcessedAsEvents) {
  ASSERT_TRUE(Feed(RepartitionTopic(config_), 1, 0, kEvent).ok());
  ASSERT_TRUE(Feed(RepartitionTopic(config_), 1, 1, kEvent).ok());
  EXPECT_EQ(sink_.outputs.size(), 1u) << "ann became active";
  auto committed = topology_->Commit();
  ASSERT_TRUE(committed.ok());
  auto c = store_->GetCustomer(state::Partition(1), "ann");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->events_total, 2);
}

TEST_F(ForwarderTest, CommitsForwardedOffsetsWithTheGroupNotInTheStore) {
  ASSERT_TRUE(Feed("clicks", 0, 7, kEvent).ok());
  ASSERT_TRUE(Feed("clicks", 0, 8, kEvent).ok());
  auto committed = topology_->Commit();
  ASSERT_TRUE(committed.ok());
  ASSERT_EQ(committed->size(), 1u);
  EXPECT_EQ((*committed)[0].first, (state::TopicPartition{"clicks", state::Partition(0)}));
  EXPECT_EQ((*committed)[0].second, state::Offset(9));
  EXPECT_FALSE(store_->GetOffset({"clicks", state::Partition(0)})->has_value());
}

TEST_F(ForwarderTest, AnAbortRewindsForwardedInputToItsLastCommit) {
  ASSERT_TRUE(Feed("clicks", 0, 7, kEvent).ok());
  ASSERT_TRUE(topology_->Commit().ok());
  ASSERT_TRUE(Feed("clicks", 0, 8, kEvent).ok());
  auto seeks = topology_->Rewind();
  ASSERT_TRUE(seeks.ok());
  const std::pair<state::TopicPartition, state::Offset> expected{{"clicks", state::Partition(0)},
                                                                 state::Offset(8)};
  EXPECT_NE(std::find(seeks->begin(), seeks->end(), expected), seeks->end());
}

}  // namespace
}  // namespace topologies
