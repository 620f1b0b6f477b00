#include "topologies/kafka/kafka_load.h"

#include <map>

#include "fmt/format.h"
#include "topologies/kafka/internal.h"

namespace topologies::kafka {
namespace {

constexpr int kQueueFullWaitMs = 10;
constexpr int kMetadataTimeoutMs = 10000;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

ops::Result<HandlePtr> NewHandle(rd_kafka_type_t type, ConfPtr conf) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof(errstr));
  if (rk == nullptr) return ops::Status::InvalidArgument(fmt::format("kafka: {}", errstr));
  (void)conf.release();  // rd_kafka_new took ownership
  return HandlePtr(rk);
}

// The number of partitions of `topic`.
ops::Result<int> PartitionCount(rd_kafka_t* rk, const std::string& topic) {
  ENGAGED_RETURN_IF_ERROR(CheckTopicsExist(rk, {topic}, kMetadataTimeoutMs));
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, kMetadataTimeoutMs);
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return ops::Status::Unavailable(fmt::format("metadata of {}: {}", topic, ErrorText(err)));
  }
  const int n = md->topic_cnt == 1 ? md->topics[0].partition_cnt : 0;
  rd_kafka_metadata_destroy(md);
  return n;
}

// The high watermark of each partition of `topic`, in partition order.
ops::Result<std::vector<int64_t>> HighWatermarksOf(rd_kafka_t* rk, const std::string& topic) {
  auto n = PartitionCount(rk, topic);
  if (!n.ok()) return n.status();
  std::vector<int64_t> out;
  for (int p = 0; p < *n; ++p) {
    int64_t low = 0;
    int64_t high = 0;
    const rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, kMetadataTimeoutMs);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return ops::Status::Unavailable(
          fmt::format("watermarks of {}[{}]: {}", topic, p, ErrorText(err)));
    }
    out.push_back(high);
  }
  return out;
}

class KafkaLoadProducer final : public LoadProducer {
 public:
  static ops::Result<std::unique_ptr<LoadProducer>> Open(const Properties& properties,
                                                         const std::string& topic) {
    std::unique_ptr<KafkaLoadProducer> self(new KafkaLoadProducer());
    auto conf = BuildConf(
        properties,
        {{"linger.ms", "5"}, {"compression.type", "lz4"}, {"partitioner", "murmur2_random"}}, {});
    if (!conf.ok()) return conf.status();
    rd_kafka_conf_set_opaque(conf->get(), self.get());
    rd_kafka_conf_set_dr_msg_cb(conf->get(), &KafkaLoadProducer::DeliveryCallback);
    auto rk = NewHandle(RD_KAFKA_PRODUCER, std::move(*conf));
    if (!rk.ok()) return rk.status();
    self->producer_ = std::move(*rk);
    ENGAGED_RETURN_IF_ERROR(CheckTopicsExist(self->producer_.get(), {topic}, kMetadataTimeoutMs));
    self->topic_.reset(rd_kafka_topic_new(self->producer_.get(), topic.c_str(), nullptr));
    return std::unique_ptr<LoadProducer>(std::move(self));
  }

  ~KafkaLoadProducer() override {
    topic_.reset();
    if (producer_ != nullptr) rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE);
  }

  ops::Status Produce(std::string_view key, std::string_view value) override {
    for (;;) {
      if (!failure_.ok()) return failure_;
      const int rc = rd_kafka_produce(topic_.get(), RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                                      const_cast<char*>(value.data()), value.size(), key.data(),
                                      key.size(), nullptr);
      if (rc == 0) break;
      const rd_kafka_resp_err_t err = rd_kafka_last_error();
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        return ops::Status::Kafka(fmt::format("produce: {}", ErrorText(err)));
      }
      rd_kafka_poll(producer_.get(), kQueueFullWaitMs);
    }
    rd_kafka_poll(producer_.get(), 0);  // serve delivery reports
    return failure_;
  }

  ops::Status Flush(int timeout_ms) override {
    const rd_kafka_resp_err_t err = rd_kafka_flush(producer_.get(), timeout_ms);
    if (!failure_.ok()) return failure_;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return ops::Status::Unavailable(fmt::format("{} records not delivered within {} ms: {}",
                                                  rd_kafka_outq_len(producer_.get()), timeout_ms,
                                                  ErrorText(err)));
    }
    return ops::Status::Ok();
  }

  int64_t delivered() const override { return delivered_; }

 private:
  KafkaLoadProducer() = default;

  struct TopicDeleter {
    void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
  };

  // Runs inside rd_kafka_poll/flush, on the caller's thread.
  static void DeliveryCallback(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<KafkaLoadProducer*>(opaque);
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++self->delivered_;
    } else if (self->failure_.ok()) {
      self->failure_ = ops::Status::Kafka(fmt::format("delivery failed: {}", ErrorText(m->err)));
    }
  }

  HandlePtr producer_;
  std::unique_ptr<rd_kafka_topic_t, TopicDeleter> topic_;
  int64_t delivered_ = 0;
  ops::Status failure_;  // the first failed delivery
};

class KafkaTopicTail final : public TopicTail {
 public:
  static ops::Result<std::unique_ptr<TopicTail>> Open(const Properties& properties,
                                                      const std::string& topic) {
    std::unique_ptr<KafkaTopicTail> self(new KafkaTopicTail());
    auto conf = BuildConf(properties, {{"enable.partition.eof", "false"}},
                          {{"group.id", "engaged-load-tail"}, {"enable.auto.commit", "false"}});
    if (!conf.ok()) return conf.status();
    auto rk = NewHandle(RD_KAFKA_CONSUMER, std::move(*conf));
    if (!rk.ok()) return rk.status();
    self->consumer_ = std::move(*rk);
    rd_kafka_poll_set_consumer(self->consumer_.get());
    // Explicit offsets rather than OFFSET_END, which librdkafka resolves only when it
    // starts fetching: records produced in between would be missed.
    auto highs = HighWatermarksOf(self->consumer_.get(), topic);
    if (!highs.ok()) return highs.status();
    PartitionListPtr parts(rd_kafka_topic_partition_list_new(static_cast<int>(highs->size())));
    for (size_t p = 0; p < highs->size(); ++p) {
      rd_kafka_topic_partition_list_add(parts.get(), topic.c_str(), static_cast<int32_t>(p))
          ->offset = (*highs)[p];
    }
    const rd_kafka_resp_err_t err = rd_kafka_assign(self->consumer_.get(), parts.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return ops::Status::Kafka(fmt::format("assign {}: {}", topic, ErrorText(err)));
    }
    return std::unique_ptr<TopicTail>(std::move(self));
  }

  ~KafkaTopicTail() override {
    Release();
    if (consumer_ != nullptr) rd_kafka_consumer_close(consumer_.get());
  }

  ops::Result<std::optional<TailRecord>> Poll(int timeout_ms) override {
    Release();
    message_ = rd_kafka_consumer_poll(consumer_.get(), timeout_ms);
    if (message_ == nullptr) return std::optional<TailRecord>();
    if (message_->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return std::optional<TailRecord>();
    if (message_->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return ops::Status::Kafka(
          fmt::format("tail: {}: {}", ErrorText(message_->err), rd_kafka_message_errstr(message_)));
    }
    return std::optional<TailRecord>(TailRecord{
        .key = std::string_view(static_cast<const char*>(message_->key), message_->key_len),
        .value = std::string_view(static_cast<const char*>(message_->payload), message_->len),
    });
  }

 private:
  KafkaTopicTail() = default;
  void Release() {
    if (message_ != nullptr) rd_kafka_message_destroy(message_);
    message_ = nullptr;
  }

  HandlePtr consumer_;
  rd_kafka_message_t* message_ = nullptr;
};

class KafkaGroupProgress final : public GroupProgress {
 public:
  static ops::Result<std::unique_ptr<GroupProgress>> Open(const Properties& properties,
                                                          const std::string& group) {
    std::unique_ptr<KafkaGroupProgress> self(new KafkaGroupProgress());
    // A consumer that never subscribes: it only asks the coordinator for offsets.
    auto conf = BuildConf(properties, {}, {{"group.id", group}, {"enable.auto.commit", "false"}});
    if (!conf.ok()) return conf.status();
    auto rk = NewHandle(RD_KAFKA_CONSUMER, std::move(*conf));
    if (!rk.ok()) return rk.status();
    self->consumer_ = std::move(*rk);
    return std::unique_ptr<GroupProgress>(std::move(self));
  }

  ~KafkaGroupProgress() override {
    if (consumer_ != nullptr) rd_kafka_consumer_close(consumer_.get());
  }

  ops::Result<int64_t> Committed(const std::string& topic) override {
    auto n = Partitions(topic);
    if (!n.ok()) return n.status();
    PartitionListPtr parts(rd_kafka_topic_partition_list_new(*n));
    for (int p = 0; p < *n; ++p) rd_kafka_topic_partition_list_add(parts.get(), topic.c_str(), p);
    const rd_kafka_resp_err_t err =
        rd_kafka_committed(consumer_.get(), parts.get(), kMetadataTimeoutMs);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return ops::Status::Unavailable(
          fmt::format("committed offsets of {}: {}", topic, ErrorText(err)));
    }
    int64_t sum = 0;
    for (int i = 0; i < parts->cnt; ++i) {
      if (parts->elems[i].offset >= 0) sum += parts->elems[i].offset;  // else: no commit yet
    }
    return sum;
  }

  ops::Result<int64_t> HighWatermarks(const std::string& topic) override {
    auto highs = HighWatermarksOf(consumer_.get(), topic);
    if (!highs.ok()) return highs.status();
    int64_t sum = 0;
    for (const int64_t h : *highs) sum += h;
    return sum;
  }

 private:
  KafkaGroupProgress() = default;

  // PartitionCount, asked once per topic: the tool polls progress every few ms.
  ops::Result<int> Partitions(const std::string& topic) {
    if (const auto it = partitions_.find(topic); it != partitions_.end()) return it->second;
    auto n = PartitionCount(consumer_.get(), topic);
    if (n.ok()) partitions_[topic] = *n;
    return n;
  }

  HandlePtr consumer_;
  std::map<std::string, int> partitions_;
};

}  // namespace

ops::Result<std::unique_ptr<LoadProducer>> OpenLoadProducer(const Properties& properties,
                                                            const std::string& topic) {
  return KafkaLoadProducer::Open(properties, topic);
}

ops::Result<std::unique_ptr<TopicTail>> OpenTopicTail(const Properties& properties,
                                                      const std::string& topic) {
  return KafkaTopicTail::Open(properties, topic);
}

ops::Result<std::unique_ptr<GroupProgress>> OpenGroupProgress(const Properties& properties,
                                                              const std::string& group) {
  return KafkaGroupProgress::Open(properties, group);
}

}  // namespace topologies::kafka
