#include "tests/testutil/kafka_client.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <stdexcept>

namespace testutil {
namespace {

rd_kafka_conf_t* BaseConf(const std::string& bootstrap) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof(err)) !=
      RD_KAFKA_CONF_OK) {
    throw std::runtime_error(err);
  }
  return conf;
}

void Set(rd_kafka_conf_t* conf, const char* k, const char* v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
    throw std::runtime_error(err);
  }
}

}  // namespace

struct KafkaClient::Impl {
  rd_kafka_t* producer = nullptr;
};

std::string KafkaClient::FixtureBootstrap() {
  std::ifstream in(std::string(ENGAGED_KAFKA_DIR) + "/bootstrap");
  std::string line;
  std::getline(in, line);
  return line;
}

std::string KafkaClient::UniqueTopic(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

KafkaClient::KafkaClient(std::string bootstrap)
    : bootstrap_(std::move(bootstrap)), impl_(new Impl) {
  rd_kafka_conf_t* conf = BaseConf(bootstrap_);
  Set(conf, "partitioner", "murmur2_random");
  Set(conf, "enable.idempotence", "true");
  Set(conf, "linger.ms", "5");
  char err[512];
  impl_->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (impl_->producer == nullptr) throw std::runtime_error(err);
}

KafkaClient::~KafkaClient() {
  rd_kafka_flush(impl_->producer, 10000);
  rd_kafka_destroy(impl_->producer);
  delete impl_;
}

void KafkaClient::CreateTopic(const std::string& name, int partitions, bool compact,
                              const std::map<std::string, std::string>& configs) {
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(name.c_str(), partitions, 1, nullptr, 0);
  if (compact) rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
  for (const auto& [key, value] : configs) {
    rd_kafka_NewTopic_set_config(nt, key.c_str(), value.c_str());
  }
  rd_kafka_queue_t* q = rd_kafka_queue_new(impl_->producer);
  rd_kafka_CreateTopics(impl_->producer, &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  std::string error;
  if (ev == nullptr) {
    error = "CreateTopics timed out";
  } else {
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
    if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      error = rd_kafka_event_error_string(ev);
    } else if (n == 1 && rd_kafka_topic_result_error(results[0]) != RD_KAFKA_RESP_ERR_NO_ERROR &&
               rd_kafka_topic_result_error(results[0]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      error = rd_kafka_topic_result_error_string(results[0]);
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  if (!error.empty()) throw std::runtime_error("create topic " + name + ": " + error);
  // Wait until the topic's metadata is visible so that producers do not race it.
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(impl_->producer, name.c_str(), nullptr);
  for (int i = 0; i < 100; ++i) {
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(impl_->producer, 0, rkt, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const bool ready = md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                         md->topics[0].partition_cnt == partitions;
      rd_kafka_metadata_destroy(md);
      if (ready) break;
    }
    usleep(100 * 1000);
  }
  rd_kafka_topic_destroy(rkt);
}

void KafkaClient::SetTopicConfigs(const std::string& name,
                                  const std::map<std::string, std::string>& configs) {
  rd_kafka_ConfigResource_t* resource =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str());
  for (const auto& [key, value] : configs) {
    rd_kafka_ConfigResource_set_config(resource, key.c_str(), value.c_str());
  }
  rd_kafka_queue_t* q = rd_kafka_queue_new(impl_->producer);
  rd_kafka_AlterConfigs(impl_->producer, &resource, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  std::string error;
  if (ev == nullptr) {
    error = "AlterConfigs timed out";
  } else {
    size_t n = 0;
    const rd_kafka_ConfigResource_t** results =
        rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &n);
    if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      error = rd_kafka_event_error_string(ev);
    } else if (n == 1 && rd_kafka_ConfigResource_error(results[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      error = rd_kafka_ConfigResource_error_string(results[0]);
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_ConfigResource_destroy(resource);
  if (!error.empty()) throw std::runtime_error("alter configs of topic " + name + ": " + error);
}

void KafkaClient::Produce(const std::string& topic, const std::string& key,
                          const std::string& value, int32_t partition) {
  for (;;) {
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        impl_->producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(err));
    }
    rd_kafka_poll(impl_->producer, 50);
  }
  rd_kafka_poll(impl_->producer, 0);
}

void KafkaClient::Flush() {
  if (rd_kafka_flush(impl_->producer, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("flush timed out");
  }
}

std::vector<KafkaMessage> KafkaClient::ConsumeAll(const std::string& topic, size_t expected,
                                                  int timeout_ms, int settle_ms,
                                                  bool committed_only) {
  rd_kafka_conf_t* conf = BaseConf(bootstrap_);
  Set(conf, "group.id", UniqueTopic("test-reader").c_str());
  Set(conf, "auto.offset.reset", "earliest");
  Set(conf, "enable.auto.commit", "false");
  Set(conf, "isolation.level", committed_only ? "read_committed" : "read_uncommitted");
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == nullptr) throw std::runtime_error(err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);

  std::vector<KafkaMessage> out;
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  auto settle_deadline = Clock::time_point::max();
  while (Clock::now() < std::min(deadline, settle_deadline)) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      KafkaMessage msg;
      msg.key.assign(static_cast<const char*>(m->key), m->key_len);
      msg.value.assign(static_cast<const char*>(m->payload), m->len);
      msg.partition = m->partition;
      msg.offset = m->offset;
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* val = nullptr;
        size_t size = 0;
        for (size_t i = 0;
             rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          msg.headers[name] = std::string(static_cast<const char*>(val), size);
        }
      }
      out.push_back(std::move(msg));
      if (out.size() >= expected && settle_deadline == Clock::time_point::max()) {
        settle_deadline = Clock::now() + std::chrono::milliseconds(settle_ms);
      }
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

}  // namespace testutil
