// Checks that the system librdkafka (Debian 12: 2.0.2) works against the broker that
// ops/local/kafka.sh runs (Apache Kafka 4.x, KRaft).
//
// Why: librdkafka before 2.10/2.11 enables protocol features by matching *exact* request
// versions (e.g. MsgVer2 needs Produce v3 and Fetch v4), and Kafka 4 removed many old
// request versions (KIP-896). A feature that silently turns off would degrade the client
// (e.g. no idempotence, no transactions, no compression). This test looks at what the
// client really negotiates and then exercises the paths engaged relies on: idempotent
// produce, transactions, read_committed consumption in a consumer group, and
// send_offsets_to_transaction.
//
// Needs a running broker: the ctest fixture's, or ENGAGED_TEST_BOOTSTRAP=HOST:PORT, e.g.
//   B=$(ops/local/kafka.sh start --dir /tmp/engaged-kafka)
//   ENGAGED_TEST_BOOTSTRAP=$B ./broker_features_test
// The topic is created per run through the admin API, or taken from ENGAGED_TEST_TOPIC
// (must exist, at least one partition).
//
// Build by hand:
//   g++ -std=c++20 tests/integration/broker_features_test.cc -lrdkafka -lgtest -lgtest_main
//   -pthread

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/testutil/kafka_client.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kSyslogWarning = 4;
constexpr int kTimeoutMs = 30000;

// ----------------------------------------------------------------------------- helpers

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

std::string UniqueName(const std::string& prefix) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(ns);
}

// Everything one client handle reports back: log lines and delivery reports.
struct ClientContext {
  std::mutex mu;
  std::vector<std::string> logs;  // "FACILITY: message"
  bool echo_warnings = true;

  // Filled by the delivery report callback (always on the polling thread).
  int delivered = 0;
  std::vector<std::string> delivery_errors;

  std::vector<std::string> Logs() {
    std::lock_guard<std::mutex> lock(mu);
    return logs;
  }
  std::vector<std::string> LogsContaining(const std::string& needle) {
    std::vector<std::string> out;
    for (auto& l : Logs()) {
      if (l.find(needle) != std::string::npos) out.push_back(l);
    }
    return out;
  }
  bool WaitForLog(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (!LogsContaining(needle).empty()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return !LogsContaining(needle).empty();
  }
};

void LogCb(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto* ctx = static_cast<ClientContext*>(rd_kafka_opaque(rk));
  if (ctx == nullptr) return;
  std::lock_guard<std::mutex> lock(ctx->mu);
  ctx->logs.push_back(std::string(fac) + ": " + buf);
  if (ctx->echo_warnings && level <= kSyslogWarning) {
    std::fprintf(stderr, "librdkafka[%d] %s: %s\n", level, fac, buf);
  }
}

void DrMsgCb(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg, void* opaque) {
  auto* ctx = static_cast<ClientContext*>(opaque);
  std::lock_guard<std::mutex> lock(ctx->mu);
  if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ctx->delivery_errors.emplace_back(rd_kafka_err2str(msg->err));
  } else {
    ++ctx->delivered;
  }
}

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const {
    if (rk != nullptr) rd_kafka_destroy(rk);
  }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;

// Creates a client; on failure records a test failure and returns nullptr.
Handle MakeClient(rd_kafka_type_t type, ClientContext* ctx,
                  const std::vector<std::pair<std::string, std::string>>& props) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [key, value] : props) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
      ADD_FAILURE() << "config " << key << "=" << value << ": " << errstr;
      rd_kafka_conf_destroy(conf);
      return nullptr;
    }
  }
  rd_kafka_conf_set_opaque(conf, ctx);
  rd_kafka_conf_set_log_cb(conf, LogCb);
  if (type == RD_KAFKA_PRODUCER) rd_kafka_conf_set_dr_msg_cb(conf, DrMsgCb);
  rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    ADD_FAILURE() << "rd_kafka_new: " << errstr;
    rd_kafka_conf_destroy(conf);
    return nullptr;
  }
  return Handle(rk);
}

// Consumes an rd_kafka_error_t; returns "" for success.
std::string TakeError(rd_kafka_error_t* error) {
  if (error == nullptr) return "";
  std::string s = std::string(rd_kafka_error_name(error)) + ": " + rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  return s;
}

std::string Produce(rd_kafka_t* rk, const std::string& topic, const std::string& value) {
  const rd_kafka_resp_err_t err =
      rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
                        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  return err == RD_KAFKA_RESP_ERR_NO_ERROR ? "" : rd_kafka_err2str(err);
}

// Parses librdkafka's "  ApiKey Produce (0) Versions 3..12" feature debug lines.
std::map<std::string, std::pair<int, int>> BrokerApiVersions(ClientContext& ctx) {
  std::map<std::string, std::pair<int, int>> apis;
  for (const auto& line : ctx.LogsContaining(" Versions ")) {
    const auto at = line.find("ApiKey ");
    if (at == std::string::npos) continue;
    char name[128];
    int key = 0;
    int min = 0;
    int max = 0;
    if (std::sscanf(line.c_str() + at, "ApiKey %127s (%d) Versions %d..%d", name, &key, &min,
                    &max) == 4) {
      apis[name] = {min, max};
    }
  }
  return apis;
}

std::string Join(const std::vector<std::string>& lines) {
  std::ostringstream os;
  for (const auto& l : lines) os << "  " << l << "\n";
  return os.str();
}

// ----------------------------------------------------------------------------- fixture

class BrokerFeaturesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bootstrap_ = EnvOr("ENGAGED_TEST_BOOTSTRAP", testutil::KafkaClient::FixtureBootstrap());
    if (bootstrap_.empty()) return;
    topic_ = EnvOr("ENGAGED_TEST_TOPIC", "");
    if (topic_.empty()) {
      topic_ = UniqueName("engaged-it-broker-features");
      topic_error_ = CreateTopic(topic_);
    }
  }

  void SetUp() override {
    if (bootstrap_.empty()) {
      FAIL() << "no broker: run through ctest (the kafka fixture), or start one with "
                "`ops/local/kafka.sh start --dir /tmp/engaged-kafka` and export its "
                "address as ENGAGED_TEST_BOOTSTRAP";
    }
    ASSERT_EQ(topic_error_, "") << "could not create topic " << topic_;
  }

  static std::vector<std::pair<std::string, std::string>> Props(
      std::vector<std::pair<std::string, std::string>> extra) {
    extra.insert(extra.begin(), {{"bootstrap.servers", bootstrap_},
                                 {"client.id", "engaged-broker-features-test"}});
    return extra;
  }

  // Creates `name` (1 partition, replication factor 1) with the admin API and waits until
  // the partition has a leader. Returns "" on success (an existing topic is fine).
  static std::string CreateTopic(const std::string& name) {
    ClientContext ctx;
    char errstr[512];
    Handle rk = MakeClient(RD_KAFKA_PRODUCER, &ctx, Props({}));
    if (!rk) return "cannot create admin client";
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(name.c_str(), 1, 1, errstr, sizeof(errstr));
    if (nt == nullptr) return std::string("NewTopic: ") + errstr;
    rd_kafka_AdminOptions_t* opts =
        rd_kafka_AdminOptions_new(rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(opts, 10000, errstr, sizeof(errstr));
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk.get());
    rd_kafka_CreateTopics(rk.get(), &nt, 1, opts, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, kTimeoutMs);
    std::string result;
    if (ev == nullptr) {
      result = "CreateTopics timed out";
    } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      result = std::string("CreateTopics: ") + rd_kafka_event_error_string(ev);
    } else {
      size_t cnt = 0;
      const rd_kafka_topic_result_t** res =
          rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
      for (size_t i = 0; i < cnt; ++i) {
        const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
          const char* msg = rd_kafka_topic_result_error_string(res[i]);
          result = std::string("CreateTopics ") + name + ": " + rd_kafka_err2name(err) + " " +
                   (msg != nullptr ? msg : "");
        }
      }
    }
    if (ev != nullptr) rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_NewTopic_destroy(nt);
    if (!result.empty()) return result;

    // Wait for the partition leader to show up in metadata.
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk.get(), name.c_str(), nullptr);
    const auto deadline = Clock::now() + 15s;
    bool ready = false;
    while (!ready && Clock::now() < deadline) {
      const rd_kafka_metadata_t* md = nullptr;
      if (rd_kafka_metadata(rk.get(), 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ready = md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                md->topics[0].partition_cnt >= 1 && md->topics[0].partitions[0].leader >= 0;
        rd_kafka_metadata_destroy(md);
      }
      if (!ready) std::this_thread::sleep_for(100ms);
    }
    rd_kafka_topic_destroy(rkt);
    return ready ? "" : "topic " + name + " has no partition leader after 15s";
  }

  static std::string bootstrap_;
  static std::string topic_;
  static std::string topic_error_;
};

std::string BrokerFeaturesTest::bootstrap_;
std::string BrokerFeaturesTest::topic_;
std::string BrokerFeaturesTest::topic_error_;

// ----------------------------------------------------------------------------- tests

// The protocol features librdkafka derives from the broker's ApiVersions response.
TEST_F(BrokerFeaturesTest, NegotiatesMsgVer2IdempotenceAndTransactionApis) {
  ClientContext ctx;
  Handle rk = MakeClient(RD_KAFKA_PRODUCER, &ctx, Props({{"debug", "feature,protocol,broker"}}));
  ASSERT_TRUE(rk);

  // Any request makes the client connect and run the ApiVersion handshake.
  const rd_kafka_metadata_t* md = nullptr;
  ASSERT_EQ(rd_kafka_metadata(rk.get(), 1, nullptr, &md, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_metadata_destroy(md);
  ASSERT_TRUE(ctx.WaitForLog("Updated enabled protocol features to", 10s))
      << "no feature negotiation seen; librdkafka logs:\n"
      << Join(ctx.Logs());

  // librdkafka 2.0.2 logs per feature "Enabling feature X" / "Disabling feature X", then
  // "Updated enabled protocol features to A,B,C" for the broker connection.
  std::vector<std::string> feature_lines;
  for (const auto& l : ctx.Logs()) {
    if (l.find("abling feature ") != std::string::npos ||
        l.find("Updated enabled protocol features") != std::string::npos ||
        l.find(" Feature ") != std::string::npos) {
      feature_lines.push_back(l);
    }
  }
  std::printf("librdkafka %s feature negotiation with %s:\n%s", rd_kafka_version_str(),
              bootstrap_.c_str(), Join(feature_lines).c_str());

  const std::string summary = ctx.LogsContaining("Updated enabled protocol features to").back();
  for (const char* feature : {"MsgVer2", "IdempotentProducer", "ApiVersion", "ZSTD"}) {
    EXPECT_FALSE(ctx.LogsContaining(std::string("Enabling feature ") + feature).empty())
        << feature << " not enabled; feature lines:\n"
        << Join(feature_lines);
    EXPECT_NE(summary.find(feature), std::string::npos) << summary;
  }

  // librdkafka 2.0.2 has no "Transactions" feature flag: the transactional producer needs
  // IdempotentProducer plus these request versions (the ranges librdkafka 2.0.2 itself can
  // speak; see rdkafka_request.c / rdkafka_txnmgr.c). The broker must offer an overlap.
  const auto apis = BrokerApiVersions(ctx);
  ASSERT_FALSE(apis.empty()) << "no 'ApiKey ... Versions' lines in the debug output";
  const std::vector<std::tuple<std::string, int, int>> needed = {
      {"InitProducerId", 0, 4},  {"AddPartitionsToTxn", 0, 0},
      {"AddOffsetsToTxn", 0, 0}, {"EndTxn", 0, 1},
      {"TxnOffsetCommit", 0, 3}, {"FindCoordinator", 0, 2},
      {"Produce", 3, 7},         {"Fetch", 4, 11},
      {"JoinGroup", 0, 5},       {"SyncGroup", 0, 3},
      {"Heartbeat", 0, 3},       {"OffsetCommit", 0, 7},
      {"OffsetFetch", 0, 7},     {"ListOffsets", 0, 2},
      {"Metadata", 0, 4},        {"CreateTopics", 0, 4},
  };
  std::printf("request versions (broker offers / librdkafka 2.0.2 speaks):\n");
  for (const auto& [name, cmin, cmax] : needed) {
    const auto it = apis.find(name);
    ASSERT_NE(it, apis.end()) << "broker does not offer " << name;
    const auto [bmin, bmax] = it->second;
    std::printf("  %-18s v%d..v%d / v%d..v%d\n", name.c_str(), bmin, bmax, cmin, cmax);
    EXPECT_TRUE(bmin <= cmax && cmin <= bmax)
        << name << ": broker offers v" << bmin << "..v" << bmax << ", librdkafka 2.0.2 speaks v"
        << cmin << "..v" << cmax;
  }
}

TEST_F(BrokerFeaturesTest, IdempotentProducerDelivers) {
  ClientContext ctx;
  Handle rk = MakeClient(RD_KAFKA_PRODUCER, &ctx,
                         Props({{"enable.idempotence", "true"}, {"debug", "eos"}}));
  ASSERT_TRUE(rk);
  constexpr int kMessages = 20;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(Produce(rk.get(), topic_, "idempotent-" + std::to_string(i)), "");
  }
  ASSERT_EQ(rd_kafka_flush(rk.get(), kTimeoutMs), RD_KAFKA_RESP_ERR_NO_ERROR);
  char errstr[512];
  EXPECT_EQ(rd_kafka_fatal_error(rk.get(), errstr, sizeof(errstr)), RD_KAFKA_RESP_ERR_NO_ERROR)
      << errstr;
  {
    std::lock_guard<std::mutex> lock(ctx.mu);
    EXPECT_EQ(ctx.delivered, kMessages);
    EXPECT_TRUE(ctx.delivery_errors.empty()) << Join(ctx.delivery_errors);
  }
  // The idempotent producer must have obtained a producer id from the broker.
  EXPECT_FALSE(ctx.LogsContaining("Acquired PID").empty())
      << "no 'Acquired PID' in the eos debug output:\n"
      << Join(ctx.LogsContaining("PID"));

  // ListOffsets (Kafka 4 dropped v0) must work too.
  int64_t low = -1;
  int64_t high = -1;
  ASSERT_EQ(rd_kafka_query_watermark_offsets(rk.get(), topic_.c_str(), 0, &low, &high, 10000),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_GE(high - low, kMessages);
}

// librdkafka 2.0.2 enables gzip/snappy/lz4 only if the broker advertises Produce v0, and
// zstd only with the ZSTD feature (Produce v7 + Fetch v10); otherwise it logs "Broker does
// not support compression type X: not compressing batch" and silently sends uncompressed
// batches (librdkafka #4956). Kafka 4.x removed Produce v0-v2 (KIP-896) but keeps
// advertising them for exactly this reason (KAFKA-18659); this guards that.
TEST_F(BrokerFeaturesTest, CompressionCodecs) {
  for (const char* codec : {"zstd", "lz4", "gzip", "snappy"}) {
    ClientContext ctx;
    ctx.echo_warnings = false;
    Handle rk = MakeClient(RD_KAFKA_PRODUCER, &ctx,
                           Props({{"compression.codec", codec}, {"linger.ms", "0"}}));
    ASSERT_TRUE(rk);
    std::string payload(4096, 'x');
    ASSERT_EQ(Produce(rk.get(), topic_, payload), "");
    ASSERT_EQ(rd_kafka_flush(rk.get(), kTimeoutMs), RD_KAFKA_RESP_ERR_NO_ERROR);
    {
      std::lock_guard<std::mutex> lock(ctx.mu);
      EXPECT_EQ(ctx.delivered, 1) << codec << ": " << Join(ctx.delivery_errors);
    }
    const auto notices = ctx.LogsContaining("does not support compression");
    std::printf("compression.codec=%s: %s\n", codec,
                notices.empty() ? "compressed" : notices.front().c_str());
    EXPECT_TRUE(notices.empty()) << codec << ": " << Join(notices);
  }
}

// init_transactions / begin / produce / commit (and an aborted transaction), then a
// read_committed consumer in a consumer group sees exactly the committed messages, and a
// consume-transform-produce step commits the group's offsets through the transaction.
TEST_F(BrokerFeaturesTest, TransactionsAndReadCommittedConsumer) {
  const std::string run = UniqueName("txn");
  const std::string committed1 = run + "-committed-1";
  const std::string aborted = run + "-aborted";
  const std::string committed2 = run + "-committed-2";

  ClientContext pctx;
  Handle producer = MakeClient(RD_KAFKA_PRODUCER, &pctx,
                               Props({{"transactional.id", UniqueName("engaged-it-txn")},
                                      {"transaction.timeout.ms", "30000"}}));
  ASSERT_TRUE(producer);
  rd_kafka_t* p = producer.get();
  ASSERT_EQ(TakeError(rd_kafka_init_transactions(p, kTimeoutMs)), "");

  ASSERT_EQ(TakeError(rd_kafka_begin_transaction(p)), "");
  ASSERT_EQ(Produce(p, topic_, committed1), "");
  ASSERT_EQ(TakeError(rd_kafka_commit_transaction(p, kTimeoutMs)), "");

  ASSERT_EQ(TakeError(rd_kafka_begin_transaction(p)), "");
  ASSERT_EQ(Produce(p, topic_, aborted), "");
  ASSERT_EQ(rd_kafka_flush(p, kTimeoutMs), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(TakeError(rd_kafka_abort_transaction(p, kTimeoutMs)), "");

  ASSERT_EQ(TakeError(rd_kafka_begin_transaction(p)), "");
  ASSERT_EQ(Produce(p, topic_, committed2), "");
  ASSERT_EQ(TakeError(rd_kafka_commit_transaction(p, kTimeoutMs)), "");

  ClientContext cctx;
  const std::string group = UniqueName("engaged-it-group");
  Handle consumer = MakeClient(RD_KAFKA_CONSUMER, &cctx,
                               Props({{"group.id", group},
                                      {"isolation.level", "read_committed"},
                                      {"auto.offset.reset", "earliest"},
                                      {"enable.auto.commit", "false"}}));
  ASSERT_TRUE(consumer);
  rd_kafka_t* c = consumer.get();
  rd_kafka_poll_set_consumer(c);
  rd_kafka_topic_partition_list_t* sub = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(sub, topic_.c_str(), RD_KAFKA_PARTITION_UA);
  ASSERT_EQ(rd_kafka_subscribe(c, sub), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(sub);

  std::set<std::string> seen;
  int64_t last_offset = -1;
  const auto deadline = Clock::now() + 30s;
  while (Clock::now() < deadline && !(seen.count(committed1) && seen.count(committed2))) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(c, 500);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      seen.emplace(static_cast<const char*>(m->payload), m->len);
      last_offset = m->offset;
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ADD_FAILURE() << "consumer error: " << rd_kafka_message_errstr(m);
    }
    rd_kafka_message_destroy(m);
  }
  EXPECT_EQ(seen.count(committed1), 1U) << "committed message 1 not consumed";
  EXPECT_EQ(seen.count(committed2), 1U) << "committed message 2 not consumed";
  EXPECT_EQ(seen.count(aborted), 0U) << "read_committed consumer saw an aborted message";
  ASSERT_GE(last_offset, 0);

  // Consume-transform-produce: commit the consumed position through a transaction.
  rd_kafka_consumer_group_metadata_t* cgmd = rd_kafka_consumer_group_metadata(c);
  ASSERT_NE(cgmd, nullptr);
  rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(offsets, topic_.c_str(), 0)->offset = last_offset + 1;
  ASSERT_EQ(TakeError(rd_kafka_begin_transaction(p)), "");
  ASSERT_EQ(Produce(p, topic_, run + "-derived"), "");
  const std::string send_offsets_error =
      TakeError(rd_kafka_send_offsets_to_transaction(p, offsets, cgmd, kTimeoutMs));
  rd_kafka_consumer_group_metadata_destroy(cgmd);
  rd_kafka_topic_partition_list_destroy(offsets);
  ASSERT_EQ(send_offsets_error, "");
  ASSERT_EQ(TakeError(rd_kafka_commit_transaction(p, kTimeoutMs)), "");

  rd_kafka_topic_partition_list_t* committed = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(committed, topic_.c_str(), 0);
  ASSERT_EQ(rd_kafka_committed(c, committed, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(committed->elems[0].err, RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(committed->elems[0].offset, last_offset + 1);
  rd_kafka_topic_partition_list_destroy(committed);

  {
    std::lock_guard<std::mutex> lock(pctx.mu);
    EXPECT_TRUE(pctx.delivery_errors.empty()) << Join(pctx.delivery_errors);
  }
  EXPECT_EQ(rd_kafka_consumer_close(c), RD_KAFKA_RESP_ERR_NO_ERROR);
}

}  // namespace
