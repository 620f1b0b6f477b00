#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "fmt/format.h"
#include "topologies/kafka/internal.h"
#include "topologies/kafka/kafka_probe.h"
#include "topologies/kafka/kafka_stats.h"

namespace topologies::kafka {
namespace {

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

constexpr double kMillisPerSecond = 1000.0;
constexpr int kSeekTimeoutMs = 10000;
// How long Close serves rebalance callbacks after unsubscribing (Unsubscribe), then
// how long it waits for the consumer's close (CloseConsumer).
constexpr int kLeaveWaitMs = 10000;
constexpr int kCloseWaitMs = 5000;
constexpr int kLeavePollMs = 100;

int64_t WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "topic[partition]" list of `parts`, for log lines.
std::string PartitionNames(const rd_kafka_topic_partition_list_t* parts) {
  std::string out;
  for (int i = 0; i < parts->cnt; ++i) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}[{}]", parts->elems[i].topic, parts->elems[i].partition);
  }
  return out;
}

class KafkaSource final : public Source {
 public:
  ~KafkaSource() override {
    ReleaseMessage();
    if (consumer_ != nullptr && !closed_) {
      // Close() was not called (a failed start): leave the group without callbacks.
      listener_ = nullptr;
      joined_ = Joined();
      if (const ops::Status s = CloseConsumer(); !s.ok()) {
        KafkaLog().Warn("closing the consumer failed", {{"error", s.ToString()}});
      }
    }
    if (consumer_ != nullptr && close_abandoned_) {
      // CloseConsumer gave up: rd_kafka_destroy would wait for the same close.
      LeaveToProcessExit();
    } else if (consumer_ != nullptr && !assigned_once_ && joined_) {
      // librdkafka before 2.3 aborts when a consumer is destroyed after a JoinGroup
      // response but before its first assignment: the sticky assignor's state is still
      // null (confluentinc/librdkafka#4312). That is an instance stopped during its first
      // rebalance, e.g. while a second instance starts. It is closed, and this member had
      // nothing to commit.
      KafkaLog().Warn(
          "stopped before this member's first assignment: leaving the consumer to the "
          "process exit (librdkafka before 2.3 aborts destroying it, "
          "confluentinc/librdkafka#4312)",
          {});
      LeaveToProcessExit();
    }
  }

  static ops::Result<std::unique_ptr<Source>> Open(const KafkaSourceOptions& o) {
    std::unique_ptr<KafkaSource> self(new KafkaSource());
    self->probe_ = o.probe;
    auto conf =
        BuildConf(o.properties,
                  {
                      {"partition.assignment.strategy", "cooperative-sticky"},
                      {"auto.offset.reset", "earliest"},
                      {"enable.partition.eof", "false"},
                      {"statistics.interval.ms", std::to_string(kDefaultStatisticsIntervalMs)},
                  },
                  {
                      {"group.id", o.group_id},
                      {"enable.auto.commit", "false"},
                      {"enable.auto.offset.store", "false"},
                      {"isolation.level", o.read_committed ? "read_committed" : "read_uncommitted"},
                  });
    if (!conf.ok()) return conf.status();
    rd_kafka_conf_set_opaque(conf->get(), self.get());
    rd_kafka_conf_set_rebalance_cb(conf->get(), &KafkaSource::RebalanceCallback);
    rd_kafka_conf_set_error_cb(conf->get(), &KafkaSource::ErrorCallback);
    rd_kafka_conf_set_stats_cb(conf->get(), &KafkaSource::StatsCallback);
    rd_kafka_conf_set_offset_commit_cb(conf->get(), &KafkaSource::OffsetCommitCallback);
    // Known from the configured assignors, which librdkafka requires to share one
    // protocol (cooperative-sticky is its one cooperative assignor). Asking
    // rd_kafka_rebalance_protocol from the rebalance callback instead can wait forever
    // once the consumer closes (confluentinc/librdkafka#4041).
    self->cooperative_ =
        ConfString(conf->get(), "partition.assignment.strategy").find("cooperative-sticky") !=
        std::string::npos;
    self->timeouts_ = {.session_ms = ConfInt(conf->get(), "session.timeout.ms"),
                       .heartbeat_ms = ConfInt(conf->get(), "heartbeat.interval.ms")};
    char errstr[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), errstr, sizeof(errstr));
    if (rk == nullptr)
      return ops::Status::InvalidArgument(fmt::format("kafka consumer: {}", errstr));
    (void)conf->release();  // rd_kafka_new took ownership
    self->consumer_.reset(rk);
    rd_kafka_poll_set_consumer(rk);
    ENGAGED_RETURN_IF_ERROR(CheckTopicsExist(rk, o.topics, o.startup_timeout_ms));
    PartitionListPtr topics(rd_kafka_topic_partition_list_new(static_cast<int>(o.topics.size())));
    for (const auto& t : o.topics) {
      rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    }
    const rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return ops::Status::Kafka(fmt::format("subscribe: {}", ErrorText(err)));
    }
    return std::unique_ptr<Source>(std::move(self));
  }

  void SetListener(PartitionListener* listener) override { listener_ = listener; }

  ops::Result<PollStatus> Poll(int timeout_ms) override {
    ReleaseMessage();
    if (!pending_.ok()) return pending_;
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), timeout_ms);
    if (!pending_.ok()) {  // set by a callback during this poll
      if (m != nullptr) rd_kafka_message_destroy(m);
      return pending_;
    }
    if (m == nullptr) return PollStatus::kIdle;
    message_ = m;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) return OnMessageError(m);
    rd_kafka_timestamp_type_t ts_type;
    const int64_t ts = rd_kafka_message_timestamp(m, &ts_type);
    if (ts >= 0) TrackFor(m)->last_timestamp_ms = ts;
    record_ = InputRecord{
        .topic = rd_kafka_topic_name(m->rkt),
        .partition = state::Partition(m->partition),
        .offset = state::Offset(m->offset),
        .key = std::string_view(static_cast<const char*>(m->key), m->key_len),
        .value = std::string_view(static_cast<const char*>(m->payload), m->len),
        .timestamp = state::TimeMs(ts),
    };
    return PollStatus::kRecord;
  }

  const InputRecord& record() const override { return record_; }

  bool AssignmentLost() const override { return rd_kafka_assignment_lost(consumer_.get()) != 0; }
  GroupTimeouts group_timeouts() const override { return timeouts_; }

  void OnCommitted(
      std::span<const std::pair<state::TopicPartition, state::Offset>> offsets) override {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const auto& [tp, offset] : offsets) {
      rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition.value())
          ->offset = offset.value();
    }
    // Asynchronous and advisory: the state store holds the offsets engaged resumes
    // from; the group's copy feeds lag monitoring. A failure is logged by librdkafka.
    const rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.get(), list.get(), /*async=*/1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      KafkaLog().Warn("group offset commit failed; lag metrics may read high until the next one",
                      {{"error", ErrorText(err)}, {"partitions", PartitionNames(list.get())}});
    }
  }

  ops::Status Seek(
      std::span<const std::pair<state::TopicPartition, state::Offset>> offsets) override {
    ReleaseMessage();
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const auto& [tp, offset] : offsets) {
      rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition.value())
          ->offset = offset.value();
    }
    if (rd_kafka_error_t* e =
            rd_kafka_seek_partitions(consumer_.get(), list.get(), kSeekTimeoutMs)) {
      const std::string text = rd_kafka_error_string(e);
      rd_kafka_error_destroy(e);
      return ops::Status::Kafka(fmt::format("seek {}: {}", PartitionNames(list.get()), text));
    }
    for (int i = 0; i < list->cnt; ++i) {
      if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return ops::Status::Kafka(fmt::format("seek {}[{}]: {}", list->elems[i].topic,
                                              list->elems[i].partition,
                                              ErrorText(list->elems[i].err)));
      }
    }
    return ops::Status::Ok();
  }

  rd_kafka_t* handle() const { return consumer_.get(); }

  ops::Status Close() override {
    if (closed_) return ops::Status::Ok();
    closed_ = true;
    ReleaseMessage();
    joined_ = Joined();  // before leaving the group, which may clear the member id
    Unsubscribe();
    ops::Status closed = CloseConsumer();
    if (!pending_.ok()) return pending_;
    return closed;
  }

 private:
  KafkaSource() = default;

  // What the source remembers about one assigned partition for its lag metrics.
  struct Track {
    int64_t last_timestamp_ms = -1;  // broker timestamp of the newest record consumed
  };

  // The track of `m`'s partition. Consecutive records mostly come from one partition,
  // so the last lookup is cached.
  Track* TrackFor(const rd_kafka_message_t* m) {
    if (m->rkt != cached_rkt_ || m->partition != cached_partition_ || cached_track_ == nullptr) {
      const state::TopicPartition tp{rd_kafka_topic_name(m->rkt), state::Partition(m->partition)};
      cached_track_ = &tracks_[tp];  // a record can only come from an assigned partition
      cached_rkt_ = m->rkt;
      cached_partition_ = m->partition;
    }
    return cached_track_;
  }

  // Sets the lag metrics of every assigned partition from one statistics report.
  void OnStatistics(std::string_view json) {
    if (probe_ == nullptr) return;
    auto parsed = ParseConsumerStats(json);
    if (!parsed.ok()) {
      if (!stats_warned_) {
        KafkaLog().Warn("cannot read librdkafka statistics; lag metrics stay stale",
                        {{"error", parsed.status().ToString()}});
      }
      stats_warned_ = true;
      return;
    }
    const int64_t now_ms = WallNowMs();
    for (const PartitionStats& p : *parsed) {
      const auto it = tracks_.find({p.topic, state::Partition(p.partition)});
      if (it == tracks_.end()) continue;  // not assigned here
      const int64_t lag = LagRecords(p);
      if (lag < 0) continue;  // not known yet (no fetch or commit so far)
      std::optional<double> seconds;
      if (lag == 0) {
        seconds = 0.0;
      } else if (it->second.last_timestamp_ms >= 0) {
        seconds = static_cast<double>(std::max<int64_t>(0, now_ms - it->second.last_timestamp_ms)) /
                  kMillisPerSecond;
      }
      probe_->SetLag(it->first, lag, seconds);
    }
  }

  void Forget(const std::vector<state::TopicPartition>& tps) {
    cached_track_ = nullptr;
    for (const auto& tp : tps) {
      tracks_.erase(tp);
      if (probe_ != nullptr) probe_->RemoveLag(tp);
    }
  }

  void ReleaseMessage() {
    if (message_ != nullptr) rd_kafka_message_destroy(message_);
    message_ = nullptr;
  }

  // Errors delivered as messages: EOF is informational, transport errors are retried
  // by librdkafka, and the rest stop the process.
  ops::Result<PollStatus> OnMessageError(const rd_kafka_message_t* m) {
    switch (m->err) {
      case RD_KAFKA_RESP_ERR__PARTITION_EOF:
        return PollStatus::kIdle;
      case RD_KAFKA_RESP_ERR__TRANSPORT:
      case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
      case RD_KAFKA_RESP_ERR__TIMED_OUT:
        KafkaLog().Warn("consumer error; librdkafka retries",
                        {{"error", ErrorText(m->err)},
                         {"detail", rd_kafka_message_errstr(m)},
                         {"topic", m->rkt != nullptr ? rd_kafka_topic_name(m->rkt) : ""},
                         {"partition", m->partition}});
        return PollStatus::kIdle;
      default:
        if (m->rkt != nullptr) {
          return ops::Status::Kafka(fmt::format("consumer: {}[{}]: {}: {}",
                                                rd_kafka_topic_name(m->rkt), m->partition,
                                                ErrorText(m->err), rd_kafka_message_errstr(m)));
        }
        return ops::Status::Kafka(
            fmt::format("consumer: {}: {}", ErrorText(m->err), rd_kafka_message_errstr(m)));
    }
  }

  // librdkafka owns `json` again when this returns 0.
  static int StatsCallback(rd_kafka_t*, char* json, size_t len, void* opaque) {
    static_cast<KafkaSource*>(opaque)->OnStatistics(std::string_view(json, len));
    return 0;
  }

  // The result of the advisory group commits (OnCommitted): each failed partition is
  // logged; engaged's own offsets are in the state store and unaffected.
  static void OffsetCommitCallback(rd_kafka_t*, rd_kafka_resp_err_t err,
                                   rd_kafka_topic_partition_list_t* offsets, void*) {
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET || offsets == nullptr) return;
    for (int i = 0; i < offsets->cnt; ++i) {
      const rd_kafka_topic_partition_t& tp = offsets->elems[i];
      const rd_kafka_resp_err_t e = tp.err != RD_KAFKA_RESP_ERR_NO_ERROR ? tp.err : err;
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      KafkaLog().Warn("group offset commit failed for a partition (monitoring only)",
                      {{"topic", tp.topic},
                       {"partition", tp.partition},
                       {"offset", tp.offset},
                       {"error", ErrorText(e)}});
    }
  }

  static void ErrorCallback(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaSource*>(opaque);
    const auto code = static_cast<rd_kafka_resp_err_t>(err);
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
      char buf[512];
      const rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, buf, sizeof(buf));
      self->Fail(
          ops::Status::Kafka(fmt::format("fatal consumer error: {}: {}", ErrorText(orig), buf)));
      return;
    }
    KafkaLog().Warn("consumer error", {{"error", ErrorText(code)}, {"detail", reason}});
  }

  static void RebalanceCallback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* parts, void* opaque) {
    auto* self = static_cast<KafkaSource*>(opaque);
    const bool cooperative = self->cooperative_;
    std::vector<state::TopicPartition> tps;
    tps.reserve(static_cast<size_t>(parts->cnt));
    for (int i = 0; i < parts->cnt; ++i) {
      tps.push_back({parts->elems[i].topic, state::Partition(parts->elems[i].partition)});
    }
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self->Assign(rk, parts, tps, cooperative);
    } else {
      self->Revoke(rk, parts, tps, cooperative);
    }
  }

  // Leaves the group before the close: librdkafka before 2.4 can wait forever in
  // rd_kafka_consumer_close when a cooperative assignment arrives while it closes
  // (confluentinc/librdkafka#4527), as when an instance stops during a rebalance. So
  // unsubscribe, and serve the rebalance callbacks until nothing is assigned, for at
  // most kLeaveWaitMs. The listener is detached first: everything processed was
  // committed before Close, so the partitions go back without another commit, and a
  // late assignment is taken and given back without a restore. Records polled
  // meanwhile are dropped; nothing stores or commits their offsets.
  void Unsubscribe() {
    listener_ = nullptr;
    if (const auto e = rd_kafka_unsubscribe(consumer_.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      KafkaLog().Warn("unsubscribe failed; closing at once", {{"error", ErrorText(e)}});
      return;
    }
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kLeaveWaitMs);
    while (std::chrono::steady_clock::now() < deadline) {
      rd_kafka_topic_partition_list_t* assigned = nullptr;
      const bool none =
          rd_kafka_assignment(consumer_.get(), &assigned) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          assigned->cnt == 0;
      if (assigned != nullptr) rd_kafka_topic_partition_list_destroy(assigned);
      if (none) return;
      if (rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), kLeavePollMs)) {
        rd_kafka_message_destroy(m);
      }
    }
    KafkaLog().Warn("partitions still assigned after unsubscribing; closing anyway",
                    {{"waited_ms", kLeaveWaitMs}});
  }

  // rd_kafka_consumer_close, bounded: it serves the consumer's queue (rebalance callbacks
  // included) until the close is done, for about kCloseWaitMs (a poll may overrun it by
  // kLeavePollMs). librdkafka 2.0's own close waits forever when an assignment reaches
  // a closing cooperative member (confluentinc/librdkafka#4527, fixed in 2.4), which
  // Unsubscribe makes rare but not impossible: an assignment already on its way when
  // Unsubscribe saw none. A close that does not finish is abandoned with a warning, and
  // the handle left to the process's exit: everything processed was committed before
  // Close, and the group takes the partitions back when this member's session times out
  // after the process exits.
  ops::Status CloseConsumer() {
    const QueuePtr queue(rd_kafka_queue_get_consumer(consumer_.get()));
    if (rd_kafka_error_t* e = rd_kafka_consumer_close_queue(consumer_.get(), queue.get())) {
      const std::string text = rd_kafka_error_string(e);
      rd_kafka_error_destroy(e);
      return ops::Status::Kafka(fmt::format("closing the consumer: {}", text));
    }
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kCloseWaitMs);
    while (rd_kafka_consumer_closed(consumer_.get()) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        close_abandoned_ = true;
        KafkaLog().Warn(
            "the consumer did not close in time; leaving it to the process exit (librdkafka "
            "before 2.4 can wait forever when an assignment arrives while it closes, "
            "confluentinc/librdkafka#4527); the group reassigns this member's partitions "
            "after session.timeout.ms",
            {{"waited_ms", kCloseWaitMs}, {"session_timeout_ms", timeouts_.session_ms}});
        return ops::Status::Ok();
      }
      if (rd_kafka_message_t* m = rd_kafka_consume_queue(queue.get(), kLeavePollMs)) {
        rd_kafka_message_destroy(m);
      }
    }
    return ops::Status::Ok();
  }

  // Leaves the handle to the process's exit instead of destroying it, silenced: no
  // callback is served without a poll.
  void LeaveToProcessExit() {
    rd_kafka_set_log_level(consumer_.get(), 0);
    (void)consumer_.release();
  }

  // A JoinGroup response gave this member an id.
  bool Joined() const {
    char* member = rd_kafka_memberid(consumer_.get());
    const bool joined = member != nullptr && member[0] != '\0';
    rd_kafka_mem_free(consumer_.get(), member);
    return joined;
  }

  void Assign(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* parts,
              const std::vector<state::TopicPartition>& tps, bool cooperative) {
    assigned_once_ = true;  // even when empty: librdkafka calls back for every assignment
    if (listener_ != nullptr) {
      auto starts = listener_->OnAssigned(tps);
      if (!starts.ok()) {
        Fail(starts.status());
        return;
      }
      for (int i = 0; i < parts->cnt; ++i) {
        const auto& start = (*starts)[static_cast<size_t>(i)];
        parts->elems[i].offset = start ? start->value() : RD_KAFKA_OFFSET_INVALID;
      }
    }
    for (const auto& tp : tps) tracks_.try_emplace(tp);
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk, parts)) {
        Fail(ops::Status::Kafka(fmt::format("incremental assign of {}: {}", PartitionNames(parts),
                                            rd_kafka_error_string(e))));
        rd_kafka_error_destroy(e);
      }
    } else if (const auto e = rd_kafka_assign(rk, parts); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      Fail(ops::Status::Kafka(fmt::format("assign: {}", ErrorText(e))));
    }
  }

  void Revoke(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* parts,
              const std::vector<state::TopicPartition>& tps, bool cooperative) {
    if (listener_ != nullptr) {
      if (rd_kafka_assignment_lost(rk)) {
        // A session timeout, or (librdkafka 2.0) an offset commit refused during a
        // rebalance: both take every partition back.
        KafkaLog().Warn(
            "partitions lost: the group took them back (a session timeout, or an offset "
            "commit refused during a rebalance)",
            {{"partitions", PartitionNames(parts)}});
        if (auto s = listener_->OnLost(tps); !s.ok()) Fail(s);
      } else if (auto s = listener_->OnRevoked(tps); !s.ok()) {
        Fail(s);
      }
    }
    Forget(tps);
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, parts)) {
        Fail(ops::Status::Kafka(fmt::format("incremental unassign of {}: {}", PartitionNames(parts),
                                            rd_kafka_error_string(e))));
        rd_kafka_error_destroy(e);
      }
    } else if (const auto e = rd_kafka_assign(rk, nullptr); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      Fail(ops::Status::Kafka(fmt::format("unassign: {}", ErrorText(e))));
    }
  }

  void Fail(ops::Status s) {
    if (pending_.ok()) pending_ = std::move(s);
  }

  // The value of librdkafka property `name` in `conf` (its default unless set); empty
  // when it cannot be read.
  static std::string ConfString(const rd_kafka_conf_t* conf, const char* name) {
    size_t size = 0;
    if (rd_kafka_conf_get(conf, name, nullptr, &size) != RD_KAFKA_CONF_OK || size == 0) return {};
    std::string value(size, '\0');
    if (rd_kafka_conf_get(conf, name, value.data(), &size) != RD_KAFKA_CONF_OK) return {};
    value.resize(size - 1);  // size counts the terminating NUL
    return value;
  }

  // The integer value of librdkafka property `name` in `conf`; 0 when it cannot be read.
  static int64_t ConfInt(const rd_kafka_conf_t* conf, const char* name) {
    return std::strtoll(ConfString(conf, name).c_str(), nullptr, 10);
  }

  HandlePtr consumer_;
  GroupTimeouts timeouts_;
  KafkaProbe* probe_ = nullptr;
  std::map<state::TopicPartition, Track> tracks_;  // one per assigned partition
  const rd_kafka_topic_t* cached_rkt_ = nullptr;   // TrackFor's cache
  int32_t cached_partition_ = -1;
  Track* cached_track_ = nullptr;
  bool stats_warned_ = false;
  PartitionListener* listener_ = nullptr;
  rd_kafka_message_t* message_ = nullptr;
  InputRecord record_;
  ops::Status pending_;  // the first error raised inside a callback
  bool closed_ = false;
  bool assigned_once_ = false;    // a rebalance callback assigned partitions (or none) once
  bool joined_ = false;           // had a member id when closed
  bool cooperative_ = false;      // the group's rebalance protocol is COOPERATIVE
  bool close_abandoned_ = false;  // CloseConsumer gave up waiting (the handle is left)
};

}  // namespace

ops::Result<std::unique_ptr<Source>> OpenKafkaSource(const KafkaSourceOptions& options) {
  return KafkaSource::Open(options);
}

rd_kafka_t* ConsumerHandle(Source& source) {
  auto* kafka = dynamic_cast<KafkaSource*>(&source);
  return kafka != nullptr ? kafka->handle() : nullptr;
}

}  // namespace topologies::kafka
