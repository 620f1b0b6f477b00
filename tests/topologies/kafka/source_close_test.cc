// KafkaSource::Close on bad paths, against librdkafka's mock cluster: a consumer whose
// close would take 40 s, or whose broker went away, still closes in bounded time. (Close
// on the good paths runs against the real broker: ShutdownTest, PauseTest, EosTest.)

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "topologies/io.h"
#include "topologies/kafka/internal.h"
#include "topologies/kafka/kafka_io.h"

namespace topologies::kafka {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int16_t kOffsetCommitApiKey = 8;  // Kafka protocol's OffsetCommit

// A one-broker mock cluster with one topic of `partitions`, owned by a handle that
// sends nothing.
class MockCluster {
 public:
  MockCluster(const std::string& topic, int partitions) {
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
    owner_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr)));
    if (owner_ == nullptr) rd_kafka_conf_destroy(conf);
    cluster_ = owner_ != nullptr ? rd_kafka_mock_cluster_new(owner_.get(), 1) : nullptr;
    if (cluster_ != nullptr) rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1);
  }
  ~MockCluster() {
    if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  bool ok() const { return cluster_ != nullptr; }
  std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  void BrokerDown() { rd_kafka_mock_broker_set_down(cluster_, 1); }
  // The broker answers the next OffsetCommit request after `ms`.
  void DelayOffsetCommit(int ms) {
    rd_kafka_mock_broker_push_request_error_rtts(cluster_, 1, kOffsetCommitApiKey, 1,
                                                 RD_KAFKA_RESP_ERR_NO_ERROR, ms);
  }

 private:
  HandlePtr owner_;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

int AssignedPartitions(Source& source) {
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  if (rd_kafka_assignment(ConsumerHandle(source), &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return -1;
  }
  const int n = assigned->cnt;
  rd_kafka_topic_partition_list_destroy(assigned);
  return n;
}

// A consumer in `group` of `cluster`'s "clicks" (4 partitions) that owns all of them.
std::unique_ptr<Source> AssignedConsumer(const MockCluster& cluster, const std::string& group) {
  auto source = OpenKafkaSource({.properties = {{"bootstrap.servers", cluster.bootstrap()},
                                                {"log_level", "0"},
                                                {"session.timeout.ms", "60000"},
                                                {"statistics.interval.ms", "0"}},
                                 .group_id = group,
                                 .topics = {"clicks"}});
  EXPECT_TRUE(source.ok()) << source.status().ToString();
  if (!source.ok()) return nullptr;
  const auto joining = SteadyClock::now();
  while (AssignedPartitions(**source) < 4 &&
         SteadyClock::now() - joining < std::chrono::seconds(30)) {
    auto polled = (*source)->Poll(100);
    EXPECT_TRUE(polled.ok()) << polled.status().ToString();
    if (!polled.ok()) return nullptr;
  }
  EXPECT_EQ(AssignedPartitions(**source), 4) << "the group never assigned the partitions";
  return std::move(source).value();
}

// Close, then the destructor, timed.
struct Closed {
  ops::Status status;
  std::chrono::milliseconds close;
  std::chrono::milliseconds close_and_destroy;
};
Closed CloseAndDestroy(std::unique_ptr<Source> source) {
  const auto start = SteadyClock::now();
  Closed out{.status = source->Close(), .close = {}, .close_and_destroy = {}};
  out.close = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
  source.reset();
  out.close_and_destroy =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
  return out;
}

TEST(SourceCloseTest, ACloseThatCannotFinishIsAbandonedAfterItsBound) {
  MockCluster cluster("clicks", 4);
  ASSERT_TRUE(cluster.ok());
  auto source = AssignedConsumer(cluster, "close-test-abandoned");
  ASSERT_NE(source, nullptr);
  // librdkafka's close waits for the group commit in flight; here its answer takes 40 s,
  // as a close that hangs (confluentinc/librdkafka#4527) would take forever.
  cluster.DelayOffsetCommit(40000);
  const std::pair<state::TopicPartition, state::Offset> committed[] = {
      {{"clicks", state::Partition(0)}, state::Offset(0)}};
  source->OnCommitted(committed);
  const Closed closed = CloseAndDestroy(std::move(source));
  EXPECT_TRUE(closed.status.ok()) << closed.status.ToString();
  // Unsubscribing returns once nothing is assigned; the close is abandoned after 5 s.
  EXPECT_GE(closed.close, std::chrono::milliseconds(4900)) << "the close was waited for";
  EXPECT_LT(closed.close, std::chrono::seconds(15));
  EXPECT_LT(closed.close_and_destroy - closed.close, std::chrono::seconds(1))
      << "the destructor must not wait for the abandoned close";
}

TEST(SourceCloseTest, AConsumerWhoseBrokerWentAwayClosesInBoundedTime) {
  MockCluster cluster("clicks", 4);
  ASSERT_TRUE(cluster.ok());
  auto source = AssignedConsumer(cluster, "close-test-broker-down");
  ASSERT_NE(source, nullptr);
  cluster.BrokerDown();
  const Closed closed = CloseAndDestroy(std::move(source));
  EXPECT_TRUE(closed.status.ok()) << closed.status.ToString();
  // At most the 10 s of unsubscribing and the 5 s of the close, and a margin for
  // sanitizer builds.
  EXPECT_LT(closed.close_and_destroy, std::chrono::seconds(18));
}

}  // namespace
}  // namespace topologies::kafka
