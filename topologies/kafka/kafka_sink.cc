#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <utility>

#include "fmt/format.h"
#include "topologies/kafka/internal.h"
#include "topologies/kafka/kafka_probe.h"

namespace topologies::kafka {
namespace {

constexpr int kQueueFullWaitMs = 100;

struct TopicDeleter {
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
};
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;

class KafkaSink final : public Sink {
 public:
  ~KafkaSink() override {
    for (auto& t : topics_) t.reset();
    changelog_.reset();
    repartition_.reset();
    if (producer_ != nullptr) {
      // Anything still queued was never committed; it is produced again after restart.
      rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    }
  }

  static ops::Result<std::unique_ptr<Sink>> Open(const KafkaSinkOptions& o) {
    std::unique_ptr<KafkaSink> self(new KafkaSink());
    self->flush_timeout_ms_ = o.flush_timeout_ms;
    // Consumer-only keys from the shared `kafka:` map do not belong on a producer.
    Properties props = o.properties;
    for (const char* k :
         {"group.id", "group.instance.id", "auto.offset.reset", "partition.assignment.strategy",
          "session.timeout.ms", "max.poll.interval.ms", "isolation.level", "enable.partition.eof",
          // The producer has no statistics callback: nothing would read them.
          "statistics.interval.ms"}) {
      props.erase(k);
    }
    Properties forced = {{"enable.idempotence", "true"}};
    if (!o.transactional_id.empty()) forced["transactional.id"] = o.transactional_id;
    auto conf = BuildConf(props, {{"linger.ms", "5"}, {"compression.type", "lz4"}}, forced);
    if (!conf.ok()) return conf.status();
    rd_kafka_conf_set_opaque(conf->get(), self.get());
    rd_kafka_conf_set_dr_msg_cb(conf->get(), &KafkaSink::DeliveryCallback);
    rd_kafka_conf_set_error_cb(conf->get(), &KafkaSink::ErrorCallback);
    char errstr[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), errstr, sizeof(errstr));
    if (rk == nullptr)
      return ops::Status::InvalidArgument(fmt::format("kafka producer: {}", errstr));
    (void)conf->release();  // rd_kafka_new took ownership
    self->producer_.reset(rk);
    std::vector<std::string> topics = {o.segment_changes_topic, o.dead_letters_topic};
    if (!o.churn_risk_topic.empty()) topics.push_back(o.churn_risk_topic);
    if (!o.changelog_topic.empty()) topics.push_back(o.changelog_topic);
    if (!o.repartition_topic.empty()) topics.push_back(o.repartition_topic);
    ENGAGED_RETURN_IF_ERROR(CheckTopicsExist(rk, topics, o.startup_timeout_ms));
    if (!o.changelog_topic.empty()) {
      // Packed states barely compress (state/FORMAT.md): compressing the changelog
      // would cost CPU on every commit for a few per cent of bytes.
      rd_kafka_topic_conf_t* tconf = rd_kafka_topic_conf_new();
      char errstr[256];
      if (rd_kafka_topic_conf_set(tconf, "compression.type", "none", errstr, sizeof(errstr)) !=
          RD_KAFKA_CONF_OK) {
        rd_kafka_topic_conf_destroy(tconf);
        return ops::Status::Internal(fmt::format("changelog topic config: {}", errstr));
      }
      // rd_kafka_topic_new takes ownership of tconf.
      self->changelog_.reset(rd_kafka_topic_new(rk, o.changelog_topic.c_str(), tconf));
      if (o.probe != nullptr)
        self->changelog_produced_ = o.probe->ProducedCounter(o.changelog_topic);
    }
    if (!o.repartition_topic.empty()) {
      self->repartition_.reset(rd_kafka_topic_new(rk, o.repartition_topic.c_str(), nullptr));
      if (o.probe != nullptr) {
        self->repartitioned_ = o.probe->ProducedCounter(o.repartition_topic);
      }
    }
    if (!o.transactional_id.empty()) {
      if (o.consumer == nullptr) {
        return ops::Status::Internal("a transactional sink needs the consumer");
      }
      self->consumer_ = ConsumerHandle(*o.consumer);
      ENGAGED_RETURN_IF_ERROR(self->StartTransactions(o.startup_timeout_ms));
    }
    self->topics_[Index(OutputStream::kSegmentChanges)].reset(
        rd_kafka_topic_new(rk, o.segment_changes_topic.c_str(), nullptr));
    self->topics_[Index(OutputStream::kDeadLetters)].reset(
        rd_kafka_topic_new(rk, o.dead_letters_topic.c_str(), nullptr));
    if (!o.churn_risk_topic.empty()) {
      self->topics_[Index(OutputStream::kChurnRisk)].reset(
          rd_kafka_topic_new(rk, o.churn_risk_topic.c_str(), nullptr));
    }
    if (o.probe != nullptr) {
      if (!o.churn_risk_topic.empty()) {
        self->produced_[Index(OutputStream::kChurnRisk)] =
            o.probe->ProducedCounter(o.churn_risk_topic);
      }
      self->produced_[Index(OutputStream::kSegmentChanges)] =
          o.probe->ProducedCounter(o.segment_changes_topic);
      self->produced_[Index(OutputStream::kDeadLetters)] =
          o.probe->ProducedCounter(o.dead_letters_topic);
    }
    return std::unique_ptr<Sink>(std::move(self));
  }

  ops::Status Emit(OutputStream stream, std::string_view key, std::string_view value,
                   std::span<const Header> headers) override {
    if (topics_[Index(stream)] == nullptr) {
      return ops::Status::FailedPrecondition("no output topic is configured for this stream");
    }
    rd_kafka_headers_t* hdrs = nullptr;
    if (!headers.empty()) {
      hdrs = rd_kafka_headers_new(headers.size());
      for (const Header& h : headers) {
        rd_kafka_header_add(hdrs, h.key.data(), static_cast<ssize_t>(h.key.size()), h.value.data(),
                            static_cast<ssize_t>(h.value.size()));
      }
    }
    for (;;) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          producer_.get(), RD_KAFKA_V_RKT(topics_[Index(stream)].get()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_HEADERS(hdrs),
          RD_KAFKA_V_OPAQUE(&produced_[Index(stream)]), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;  // hdrs now belong to the message
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(producer_.get(), kQueueFullWaitMs);
        continue;
      }
      if (hdrs != nullptr) rd_kafka_headers_destroy(hdrs);
      return ops::Status::Kafka(fmt::format("produce: {}", ErrorText(err)));
    }
    rd_kafka_poll(producer_.get(), 0);  // serve delivery reports
    return DeliveryStatus();
  }

  ops::Status EmitRepartition(std::string_view customer_id, std::string_view value,
                              state::TimeMs timestamp) override {
    if (repartition_ == nullptr) return Sink::EmitRepartition(customer_id, value, timestamp);
    for (;;) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          producer_.get(), RD_KAFKA_V_RKT(repartition_.get()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(const_cast<char*>(customer_id.data()), customer_id.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
          RD_KAFKA_V_TIMESTAMP(std::max<int64_t>(timestamp.value(), 0)),
          RD_KAFKA_V_OPAQUE(&repartitioned_), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(producer_.get(), kQueueFullWaitMs);
        continue;
      }
      return ops::Status::Kafka(
          fmt::format("produce to the repartition topic: {}", ErrorText(err)));
    }
    rd_kafka_poll(producer_.get(), 0);
    return DeliveryStatus();
  }

  ops::Status EmitChangelog(state::Partition p, std::string_view key,
                            std::optional<std::string_view> value) override {
    if (changelog_ == nullptr) return Sink::EmitChangelog(p, key, value);
    char* payload = value ? const_cast<char*>(value->data()) : nullptr;
    const size_t payload_len = value ? value->size() : 0;
    for (;;) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          producer_.get(), RD_KAFKA_V_RKT(changelog_.get()), RD_KAFKA_V_PARTITION(p.value()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
          RD_KAFKA_V_VALUE(payload, payload_len), RD_KAFKA_V_OPAQUE(&changelog_produced_),
          RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(producer_.get(), kQueueFullWaitMs);
        continue;
      }
      return ops::Status::Kafka(fmt::format("produce to the changelog: {}", ErrorText(err)));
    }
    rd_kafka_poll(producer_.get(), 0);
    return DeliveryStatus();
  }

  ops::Result<ChangelogSpans> Commit(
      std::span<const std::pair<state::TopicPartition, state::Offset>> consumed) override {
    if (consumer_ == nullptr) {
      ENGAGED_RETURN_IF_ERROR(Flush());
      return TakeChangelogPositions();
    }
    if (auto s = Flush(); !s.ok()) return AbortAfter(s);
    ENGAGED_RETURN_IF_ERROR(SendOffsets(consumed));
    ENGAGED_RETURN_IF_ERROR(CommitTransaction());
    auto positions = TakeChangelogPositions();
    ENGAGED_RETURN_IF_ERROR(Begin());
    return positions;
  }

  ops::Status Abort() override {
    if (consumer_ == nullptr) return ops::Status::Ok();
    ENGAGED_RETURN_IF_ERROR(TxnCall("abort_transaction", [&] {
      return rd_kafka_abort_transaction(producer_.get(), flush_timeout_ms_);
    }));
    ClearFailure();
    TakeChangelogPositions();
    return Begin();
  }

  bool transactional() const override { return consumer_ != nullptr; }
  bool changelog() const override { return changelog_ != nullptr; }

  ops::Status Flush() override {
    const rd_kafka_resp_err_t err = rd_kafka_flush(producer_.get(), flush_timeout_ms_);
    ENGAGED_RETURN_IF_ERROR(DeliveryStatus());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return ops::Status::Unavailable(
          fmt::format("{} output records not delivered within {} ms: {}",
                      rd_kafka_outq_len(producer_.get()), flush_timeout_ms_, ErrorText(err)));
    }
    return ops::Status::Ok();
  }

 private:
  KafkaSink() = default;
  static size_t Index(OutputStream s) { return static_cast<size_t>(s); }

  // How many times a retriable transactional call is tried before giving up.
  static constexpr int kTxnAttempts = 5;

  ops::Status StartTransactions(int timeout_ms) {
    ENGAGED_RETURN_IF_ERROR(TxnCall("init_transactions", [&] {
      return rd_kafka_init_transactions(producer_.get(), timeout_ms);
    }));
    return Begin();
  }

  ops::Status Begin() {
    return TxnCall("begin_transaction",
                   [&] { return rd_kafka_begin_transaction(producer_.get()); });
  }

  // Runs one transactional call, retrying what librdkafka calls retriable. An error that
  // requires an abort becomes Aborted (the caller aborts); the rest are fatal.
  template <typename Call>
  ops::Status TxnCall(std::string_view what, Call call) {
    for (int attempt = 1;; ++attempt) {
      rd_kafka_error_t* e = call();
      if (e == nullptr) return ops::Status::Ok();
      const std::string text = fmt::format("{}: {}", what, rd_kafka_error_string(e));
      const bool retriable = rd_kafka_error_is_retriable(e) != 0;
      const bool abortable = rd_kafka_error_txn_requires_abort(e) != 0;
      const bool fatal = rd_kafka_error_is_fatal(e) != 0;
      rd_kafka_error_destroy(e);
      if (retriable && attempt < kTxnAttempts) {
        KafkaLog().Warn("transactional call failed; retrying", {{"error", text}});
        continue;
      }
      if (abortable && !fatal) return ops::Status::Aborted(text);
      return ops::Status::Kafka(text);
    }
  }

  ops::Status SendOffsets(
      std::span<const std::pair<state::TopicPartition, state::Offset>> consumed) {
    if (consumed.empty()) return ops::Status::Ok();
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(consumed.size()));
    for (const auto& [tp, offset] : consumed) {
      rd_kafka_topic_partition_list_add(list, tp.topic.c_str(), tp.partition.value())->offset =
          offset.value();
    }
    rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata(consumer_);
    ops::Status s = TxnCall("send_offsets_to_transaction", [&] {
      return rd_kafka_send_offsets_to_transaction(producer_.get(), list, group, flush_timeout_ms_);
    });
    rd_kafka_consumer_group_metadata_destroy(group);
    rd_kafka_topic_partition_list_destroy(list);
    if (s.code() == ops::StatusCode::kAborted) return AbortAfter(s);
    return s;
  }

  ops::Status CommitTransaction() {
    ops::Status s = TxnCall("commit_transaction", [&] {
      return rd_kafka_commit_transaction(producer_.get(), flush_timeout_ms_);
    });
    if (s.code() == ops::StatusCode::kAborted) return AbortAfter(s);
    return s;
  }

  // The transaction cannot commit: abort it and begin the next. Returns Aborted with
  // the reason, or the abort's own (fatal) failure.
  ops::Status AbortAfter(const ops::Status& reason) {
    KafkaLog().Warn("aborting the transaction", {{"reason", reason.ToString()}});
    ENGAGED_RETURN_IF_ERROR(Abort());
    return ops::Status::Aborted(reason.message());
  }

  ChangelogSpans TakeChangelogPositions() {
    std::lock_guard lock(mu_);
    return std::exchange(changelog_positions_, {});
  }

  void ClearFailure() {
    std::lock_guard lock(mu_);
    failure_ = ops::Status::Ok();
  }

  ops::Status DeliveryStatus() {
    std::lock_guard lock(mu_);
    return failure_;
  }

  void Fail(ops::Status s) {
    std::lock_guard lock(mu_);
    if (failure_.ok()) failure_ = std::move(s);
  }

  // A record that cannot be delivered after librdkafka's retries means the outputs of
  // the current commit are incomplete: the commit must not happen.
  // A delivered record is counted on the counter of its stream (the message's opaque).
  static void DeliveryCallback(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<KafkaSink*>(opaque);
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      static_cast<const ops::Counter*>(m->_private)->Inc();
      if (m->rkt == self->changelog_.get()) self->OnChangelogDelivered(m->partition, m->offset);
      return;
    }
    self->Fail(
        ops::Status::Kafka(fmt::format("delivery to {}[{}] failed: {}", rd_kafka_topic_name(m->rkt),
                                       m->partition, ErrorText(m->err))));
  }

  void OnChangelogDelivered(int32_t partition, int64_t offset) {
    std::lock_guard lock(mu_);
    auto [it, first] = changelog_positions_.try_emplace(state::Partition(partition));
    ChangelogSpan& span = it->second;
    if (first || state::Offset(offset) < span.first) span.first = state::Offset(offset);
    span.next = std::max(span.next, state::Offset(offset + 1));
    ++span.records;
  }

  static void ErrorCallback(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    const auto code = static_cast<rd_kafka_resp_err_t>(err);
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
      char buf[512];
      const rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, buf, sizeof(buf));
      static_cast<KafkaSink*>(opaque)->Fail(
          ops::Status::Kafka(fmt::format("fatal producer error: {}: {}", ErrorText(orig), buf)));
      return;
    }
    KafkaLog().Warn("producer error", {{"error", ErrorText(code)}, {"detail", reason}});
  }

  HandlePtr producer_;
  rd_kafka_t* consumer_ = nullptr;  // exactly-once only; not owned
  TopicPtr changelog_;
  ops::Counter changelog_produced_;
  TopicPtr repartition_;
  ops::Counter repartitioned_;  // a no-op counter: the opaque of changelog records
  std::array<TopicPtr, kOutputStreamCount> topics_;
  std::array<ops::Counter, kOutputStreamCount>
      produced_{};  // per OutputStream; no-ops without a probe
  int flush_timeout_ms_ = 30000;
  std::mutex mu_;  // guards failure_ and changelog_positions_ (delivery callbacks)
  ops::Status failure_;
  // Per changelog partition written since the last commit: where its delivered records
  // landed.
  ChangelogSpans changelog_positions_;
};

}  // namespace

ops::Result<std::unique_ptr<Sink>> OpenKafkaSink(const KafkaSinkOptions& options) {
  return KafkaSink::Open(options);
}

}  // namespace topologies::kafka
