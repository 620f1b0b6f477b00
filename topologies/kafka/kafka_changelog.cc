// The changelog topic from Kafka's side: creating and checking it (with the input
// topics' partition count), and reading it back for restores.

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <span>
#include <thread>

#include "fmt/format.h"
#include "topologies/config.h"
#include "topologies/kafka/internal.h"

namespace topologies::kafka {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kMetadataTimeoutMs = 5000;
constexpr int kPollTimeoutMs = 100;
constexpr int kBatchSize = 4096;
// WakeFetcher's request: answered within a millisecond or two on a healthy cluster.
constexpr int kWakeTimeoutMs = 1000;
// While waiting for an open transaction to end, the partition is re-assigned this often,
// so that librdkafka fetches past an abort marker and reports the end again.
// (A committed transaction ends with a marker that librdkafka reports the end before.)
constexpr auto kReassignEvery = std::chrono::milliseconds(50);

struct EventDeleter {
  void operator()(rd_kafka_event_t* ev) const { rd_kafka_event_destroy(ev); }
};
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using ListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

constexpr int kBoundsTimeoutMs = 30000;

// Errors that a moment's wait cures: leadership moving or not yet elected.
bool Transient(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return true;
    default:
      return false;
  }
}

int MsLeft(SteadyClock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
  return static_cast<int>(std::max<int64_t>(left, 1));
}

// The partition count of `topic`: 0 when it does not exist.
ops::Result<int> PartitionCount(rd_kafka_t* rk, const std::string& topic, int timeout_ms) {
  const auto deadline = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk, 0, rkt, &md, std::min(MsLeft(deadline), kMetadataTimeoutMs));
    rd_kafka_topic_destroy(rkt);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const rd_kafka_resp_err_t topic_err =
          md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
      const int n = md->topic_cnt == 1 ? md->topics[0].partition_cnt : 0;
      rd_kafka_metadata_destroy(md);
      if (topic_err == RD_KAFKA_RESP_ERR_NO_ERROR) return n;
      if (topic_err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) return 0;
      if (SteadyClock::now() > deadline) {
        return ops::Status::Kafka(fmt::format("metadata of '{}': {}", topic, ErrorText(topic_err)));
      }
    } else if (SteadyClock::now() > deadline) {
      return ops::Status::Unavailable(fmt::format("cannot reach the Kafka cluster within {} ms: {}",
                                                  timeout_ms, ErrorText(err)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollTimeoutMs));
  }
}

ops::Status CreateTopic(rd_kafka_t* rk, const std::string& name, int partitions, bool compact,
                        int replication_factor, int timeout_ms) {
  char errstr[512];
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(name.c_str(), partitions, replication_factor, errstr, sizeof(errstr));
  if (topic == nullptr) {
    return ops::Status::InvalidArgument(fmt::format("topic '{}': {}", name, errstr));
  }
  if (compact) rd_kafka_NewTopic_set_config(topic, "cleanup.policy", "compact");
  QueuePtr queue(rd_kafka_queue_new(rk));
  rd_kafka_CreateTopics(rk, &topic, 1, nullptr, queue.get());
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue.get(), timeout_ms);
  rd_kafka_NewTopic_destroy(topic);
  if (ev == nullptr) {
    return ops::Status::Unavailable(fmt::format("creating topic '{}' timed out", name));
  }
  ops::Status status;
  if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = ops::Status::Kafka(
        fmt::format("creating topic '{}': {}", name, rd_kafka_event_error_string(ev)));
  } else {
    size_t n = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
      const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
      // Another instance may have created it a moment ago.
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        status = ops::Status::Kafka(fmt::format("creating topic '{}': {}", name,
                                                rd_kafka_topic_result_error_string(results[i])));
      }
    }
  }
  rd_kafka_event_destroy(ev);
  return status;
}

class KafkaChangelogReader final : public ChangelogReader {
 public:
  static ops::Result<std::unique_ptr<ChangelogReader>> Open(const ChangelogReaderOptions& o) {
    std::unique_ptr<KafkaChangelogReader> self(new KafkaChangelogReader(o));
    Properties props = o.properties;
    props.erase("group.instance.id");  // it would join the group as that member
    // The prefetch queue is bounded by bytes (16 MiB per partition, so 128 MiB for a
    // group of 8 partitions), not by its default 100,000 messages: a full queue stops
    // the fetch until librdkafka looks again (WakeFetcher).
    auto conf = BuildConf(props,
                          {{"fetch.max.bytes", "52428800"},
                           {"fetch.wait.max.ms", "10"},
                           {"queued.min.messages", "10000000"},
                           {"queued.max.messages.kbytes", "16384"},
                           {"max.partition.fetch.bytes", "16777216"},
                           {"statistics.interval.ms", "0"}},
                          {{"group.id", "engaged-changelog-restore"},
                           {"enable.auto.commit", "false"},
                           {"enable.auto.offset.store", "false"},
                           {"enable.partition.eof", "true"},
                           {"auto.offset.reset", "earliest"},
                           {"isolation.level", "read_committed"}});
    if (!conf.ok()) return conf.status();
    char errstr[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), errstr, sizeof(errstr));
    if (rk == nullptr) {
      return ops::Status::InvalidArgument(fmt::format("changelog consumer: {}", errstr));
    }
    (void)conf->release();  // rd_kafka_new took ownership
    self->rk_.reset(rk);
    rd_kafka_poll_set_consumer(rk);
    self->queue_.reset(rd_kafka_queue_get_consumer(rk));
    return std::unique_ptr<ChangelogReader>(std::move(self));
  }

  ops::Result<std::pair<state::Offset, state::Offset>> Bounds(state::Partition p) override {
    // A topic created a moment ago may have no leader yet: retried until the deadline.
    const auto deadline = SteadyClock::now() + std::chrono::milliseconds(kBoundsTimeoutMs);
    for (;;) {
      int64_t low = 0;
      int64_t high = 0;
      const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
          rk_.get(), topic_.c_str(), p.value(), &low, &high, kMetadataTimeoutMs);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::make_pair(state::Offset(low), state::Offset(high));
      }
      if (!Transient(err) || SteadyClock::now() > deadline) {
        return ops::Status::Kafka(
            fmt::format("watermarks of {}[{}]: {}", topic_, p.value(), ErrorText(err)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollTimeoutMs));
    }
  }

  ops::Result<std::vector<state::Offset>> Read(
      std::span<const std::pair<state::Partition, state::Offset>> from,
      const std::function<ops::Status(const ChangelogRecord&)>& fn) override {
    // One assignment of every partition: librdkafka fetches them together, so that no
    // partition's read waits for its first fetch after the previous one ends.
    std::vector<Progress> at;
    std::map<int32_t, size_t> index;  // partition -> its place in `from`
    for (const auto& [p, offset] : from) {
      index.emplace(p.value(), at.size());
      at.push_back({.partition = p, .position = offset, .waiting_since = std::nullopt});
    }
    ENGAGED_RETURN_IF_ERROR(Assign(at));
    auto last_assign = SteadyClock::now();
    rd_kafka_message_t* batch[kBatchSize];
    for (size_t done = 0; done < at.size();) {
      // What is queued, without waiting: a batch consume with a timeout waits until the
      // batch is full. Only an empty queue waits, for one message.
      ssize_t n = rd_kafka_consume_batch_queue(queue_.get(), 0, batch, kBatchSize);
      if (n == 0) {
        WakeFetcher(at);
        batch[0] = rd_kafka_consume_queue(queue_.get(), kPollTimeoutMs);
        n = batch[0] != nullptr ? 1 : 0;
      }
      ops::Status failed;
      for (ssize_t i = 0; i < n; ++i) {
        rd_kafka_message_t* m = batch[i];
        const auto it = index.find(m->partition);
        // Not one of these partitions: left over from an earlier read.
        if (failed.ok() && it != index.end() && !at[it->second].done) {
          failed = OnMessage(m, &at[it->second], fn);
        }
        rd_kafka_message_destroy(m);
      }
      ENGAGED_RETURN_IF_ERROR(failed);
      // A partition with records still to come.
      const bool reading =
          std::any_of(at.begin(), at.end(), [](const Progress& p) { return !p.done && !p.at_end; });
      bool waiting = false;  // a partition is at its end but a transaction is open on it
      for (Progress& p : at) {
        if (p.done || !p.at_end) continue;
        auto bounds = FetchedBounds(p.partition);
        if (!bounds.ok()) return bounds.status();
        // At the high watermark: no transaction is open on the partition.
        if (p.end >= bounds->second) {
          p.done = true;
          ++done;
          continue;
        }
        waiting = true;
        // Its wait starts once nothing else is being read: until then it is not
        // re-assigned (below), so a committed transaction's marker, which librdkafka
        // reports the end before, would look like a transaction held open.
        if (reading) {
          p.waiting_since.reset();
          continue;
        }
        const auto now = SteadyClock::now();
        if (!p.waiting_since) p.waiting_since = now;
        if (now - *p.waiting_since > std::chrono::milliseconds(open_txn_wait_ms_)) {
          return ops::Status::Unavailable(fmt::format(
              "{}[{}]: a transaction stayed open past {} ms (last stable offset {}, high "
              "watermark {})",
              topic_, p.partition.value(), open_txn_wait_ms_, p.end.value(),
              bounds->second.value()));
        }
      }
      if (waiting && !reading && SteadyClock::now() - last_assign > kReassignEvery) {
        for (Progress& p : at) p.at_end = false;
        ENGAGED_RETURN_IF_ERROR(Assign(at));
        last_assign = SteadyClock::now();
      }
    }
    Unassign();
    std::vector<state::Offset> ends;
    ends.reserve(at.size());
    for (const Progress& p : at) ends.push_back(p.end);
    return ends;
  }

 private:
  explicit KafkaChangelogReader(const ChangelogReaderOptions& o)
      : topic_(o.topic), open_txn_wait_ms_(o.open_transaction_wait_ms) {}

  // The bounds the last fetch saw (no request), else those the broker reports.
  ops::Result<std::pair<state::Offset, state::Offset>> FetchedBounds(state::Partition p) {
    int64_t low = -1;
    int64_t high = -1;
    if (rd_kafka_get_watermark_offsets(rk_.get(), topic_.c_str(), p.value(), &low, &high) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        high >= 0) {
      return std::make_pair(state::Offset(std::max<int64_t>(low, 0)), state::Offset(high));
    }
    return Bounds(p);
  }

  // Where the read of one partition is.
  struct Progress {
    state::Partition partition;
    state::Offset position;  // the next offset to read
    bool at_end = false;     // librdkafka reported the end, at `end`, since the last record
    state::Offset end{-1};
    bool done = false;                                     // at the end, with no transaction open
    std::optional<SteadyClock::time_point> waiting_since;  // for an open transaction to end
  };

  ops::Status OnMessage(rd_kafka_message_t* m, Progress* at,
                        const std::function<ops::Status(const ChangelogRecord&)>& fn) const {
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at->at_end = true;
      at->end = state::Offset(m->offset);
      at->position = std::max(at->position, at->end);
      return ops::Status::Ok();
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return ops::Status::Kafka(fmt::format("reading {}[{}]: {}: {}", topic_, at->partition.value(),
                                            ErrorText(m->err), rd_kafka_message_errstr(m)));
    }
    // Fetched again after a re-assignment: applied already.
    if (m->offset < at->position.value()) return ops::Status::Ok();
    at->at_end = false;
    at->position = state::Offset(m->offset + 1);
    const ChangelogRecord record{
        .partition = at->partition,
        .offset = state::Offset(m->offset),
        .key = std::string_view(static_cast<const char*>(m->key), m->key_len),
        .value = m->payload != nullptr ? std::optional<std::string_view>(std::string_view(
                                             static_cast<const char*>(m->payload), m->len))
                                       : std::nullopt,
    };
    return fn(record);
  }

  // librdkafka 2.0 stops fetching a partition whose prefetch queue is full
  // (queued.max.messages.kbytes) and looks at it again only when its broker's thread
  // wakes: for a request, a response, or after up to a second, however soon the queue
  // empties. Asking for the watermarks of a partition still being read sends its
  // leader's thread a request, which wakes it now. One partition per call, in turn,
  // so that over a few calls every leader is woken; the answer is not needed.
  void WakeFetcher(const std::vector<Progress>& at) {
    for (size_t i = 0; i < at.size(); ++i) {
      const Progress& p = at[(wake_next_ + i) % at.size()];
      if (p.done || p.at_end) continue;
      wake_next_ = (wake_next_ + i + 1) % at.size();
      int64_t low = 0;
      int64_t high = 0;
      (void)rd_kafka_query_watermark_offsets(rk_.get(), topic_.c_str(), p.partition.value(), &low,
                                             &high, kWakeTimeoutMs);
      return;
    }
  }

  // Assigns every partition not done yet, at its position.
  ops::Status Assign(const std::vector<Progress>& at) {
    ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(at.size())));
    for (const Progress& p : at) {
      if (p.done) continue;
      rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), p.partition.value())->offset =
          p.position.value();
    }
    const rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), list.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return ops::Status::Kafka(fmt::format("assigning {} partitions of {} for restore: {}",
                                            list->cnt, topic_, ErrorText(err)));
    }
    return ops::Status::Ok();
  }

  void Unassign() {
    // Only fails on a closed handle; the next Assign replaces the assignment anyway.
    (void)rd_kafka_assign(rk_.get(), nullptr);
  }

  std::string topic_;
  int open_txn_wait_ms_;
  size_t wake_next_ = 0;  // the partition WakeFetcher starts from
  HandlePtr rk_;
  QueuePtr queue_;
};

}  // namespace

ops::Result<std::unique_ptr<ChangelogReader>> OpenChangelogReader(
    const ChangelogReaderOptions& options) {
  return KafkaChangelogReader::Open(options);
}

static ops::Status EnsureTopic(rd_kafka_t* rk, const std::string& topic, int partitions,
                               bool compact, int replication_factor, int timeout_ms);

// Refuses a changelog that the broker would delete by age, and reads how long it keeps
// tombstones. Not being allowed to read the configs is logged, not fatal.
static ops::Status CheckChangelogConfigs(rd_kafka_t* rk, const std::string& topic, int timeout_ms,
                                         InternalTopics* out) {
  auto configs = TopicConfigs(rk, topic, timeout_ms);
  if (!configs.ok()) {
    KafkaLog().Warn(
        "cannot read the changelog topic's configs; its cleanup.policy and "
        "delete.retention.ms are not checked",
        {{"topic", topic}, {"error", configs.status().ToString()}});
    return ops::Status::Ok();
  }
  const ChangelogTopicConfigs checked = ReadChangelogTopicConfigs(topic, *configs);
  if (!checked.problem.empty()) return ops::Status::FailedPrecondition(checked.problem);
  out->changelog_delete_retention_ms = checked.delete_retention_ms;
  if (!checked.delete_retention_ms && configs->contains("delete.retention.ms")) {
    KafkaLog().Warn("the changelog topic's delete.retention.ms is not a number",
                    {{"topic", topic}, {"value", configs->at("delete.retention.ms")}});
  }
  return ops::Status::Ok();
}

ops::Result<HandlePtr> OpenAdmin(const Properties& properties) {
  Properties props = properties;
  for (const char* k :
       {"group.id", "group.instance.id", "auto.offset.reset", "partition.assignment.strategy",
        "session.timeout.ms", "max.poll.interval.ms", "isolation.level", "enable.partition.eof",
        "statistics.interval.ms", "heartbeat.interval.ms"}) {
    props.erase(k);
  }
  auto conf = BuildConf(props, {}, {});
  if (!conf.ok()) return conf.status();
  char errstr[512];
  HandlePtr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), errstr, sizeof(errstr)));
  if (rk == nullptr) return ops::Status::InvalidArgument(fmt::format("kafka admin: {}", errstr));
  (void)conf->release();  // rd_kafka_new took ownership
  return rk;
}

ops::Result<InternalTopics> PrepareInternalTopics(const InternalTopicsOptions& o) {
  auto admin = OpenAdmin(o.properties);
  if (!admin.ok()) return admin.status();
  HandlePtr rk = std::move(admin).value();
  int partitions = 0;
  std::string first;
  for (const std::string& topic : o.input_topics) {
    auto n = PartitionCount(rk.get(), topic, o.timeout_ms);
    if (!n.ok()) return n.status();
    if (*n == 0) {
      return ops::Status::FailedPrecondition(fmt::format("input topic '{}' does not exist", topic));
    }
    if (partitions != 0 && *n != partitions) {
      return ops::Status::FailedPrecondition(fmt::format(
          "input topics '{}' ({} partitions) and '{}' ({} partitions) differ: a partition task "
          "and its changelog partition serve one partition number of every input topic",
          first, partitions, topic, *n));
    }
    partitions = *n;
    first = topic;
  }
  ENGAGED_RETURN_IF_ERROR(EnsureTopic(rk.get(), o.changelog_topic, partitions, /*compact=*/true,
                                      o.replication_factor, o.timeout_ms));
  ENGAGED_RETURN_IF_ERROR(EnsureTopic(rk.get(), o.repartition_topic, partitions,
                                      /*compact=*/false, o.replication_factor, o.timeout_ms));
  InternalTopics topics{.partitions = partitions, .changelog_delete_retention_ms = std::nullopt};
  if (!o.changelog_topic.empty()) {
    ENGAGED_RETURN_IF_ERROR(
        CheckChangelogConfigs(rk.get(), o.changelog_topic, o.timeout_ms, &topics));
  }
  return topics;
}

ops::Result<std::map<std::string, std::string>> TopicConfigs(rd_kafka_t* rk,
                                                             const std::string& topic,
                                                             int timeout_ms) {
  rd_kafka_ConfigResource_t* resource =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  QueuePtr queue(rd_kafka_queue_new(rk));
  rd_kafka_DescribeConfigs(rk, &resource, 1, nullptr, queue.get());
  rd_kafka_ConfigResource_destroy(resource);
  const EventPtr event(rd_kafka_queue_poll(queue.get(), timeout_ms));
  rd_kafka_event_t* ev = event.get();
  if (ev == nullptr) {
    return ops::Status::Unavailable(
        fmt::format("describing the configs of '{}' timed out after {} ms", topic, timeout_ms));
  }
  if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return ops::Status::Kafka(
        fmt::format("describing the configs of '{}': {}", topic, rd_kafka_event_error_string(ev)));
  }
  size_t n = 0;
  const rd_kafka_ConfigResource_t** resources =
      rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
  if (n != 1) {
    return ops::Status::Kafka(fmt::format("describing the configs of '{}': {} results", topic, n));
  }
  if (rd_kafka_ConfigResource_error(resources[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* why = rd_kafka_ConfigResource_error_string(resources[0]);
    return ops::Status::Kafka(
        fmt::format("describing the configs of '{}': {}", topic,
                    why != nullptr ? why : ErrorText(rd_kafka_ConfigResource_error(resources[0]))));
  }
  std::map<std::string, std::string> configs;
  size_t entries = 0;
  const rd_kafka_ConfigEntry_t** e = rd_kafka_ConfigResource_configs(resources[0], &entries);
  for (size_t i = 0; i < entries; ++i) {
    const char* value = rd_kafka_ConfigEntry_value(e[i]);
    configs.emplace(rd_kafka_ConfigEntry_name(e[i]), value != nullptr ? value : "");
  }
  return configs;
}

static ops::Status EnsureTopic(rd_kafka_t* rk, const std::string& topic, int partitions,
                               bool compact, int replication_factor, int timeout_ms) {
  if (topic.empty()) return ops::Status::Ok();
  const char* kind = compact ? "changelog" : "repartition";
  auto existing = PartitionCount(rk, topic, timeout_ms);
  if (!existing.ok()) return existing.status();
  if (*existing != 0 && *existing != partitions) {
    return ops::Status::FailedPrecondition(fmt::format(
        "{} topic '{}' has {} partitions but the input has {}: the state of one input "
        "partition lives in the partition of the same number (delete the topic, or point "
        "engaged at a new one)",
        kind, topic, *existing, partitions));
  }
  if (*existing != 0) return ops::Status::Ok();
  KafkaLog().Info("creating an internal topic", {{"topic", topic},
                                                 {"kind", kind},
                                                 {"partitions", partitions},
                                                 {"replication_factor", replication_factor}});
  ENGAGED_RETURN_IF_ERROR(
      CreateTopic(rk, topic, partitions, compact, replication_factor, timeout_ms));
  // Wait until the metadata shows it, so that the producer and the consumers find it.
  const auto deadline = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto n = PartitionCount(rk, topic, timeout_ms);
    if (!n.ok()) return n.status();
    if (*n == partitions) return ops::Status::Ok();
    if (SteadyClock::now() > deadline) {
      return ops::Status::Unavailable(fmt::format("topic '{}' not visible after creation", topic));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollTimeoutMs));
  }
}

}  // namespace topologies::kafka
