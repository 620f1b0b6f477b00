#include <charconv>
#include <chrono>
#include <thread>

#include "fmt/format.h"
#include "topologies/kafka/internal.h"
#include "topologies/kafka/kafka_probe.h"
#include "topologies/kafka/kafka_stats.h"

namespace topologies::kafka {
namespace {

constexpr int kSyslogError = 3;
constexpr int kSyslogWarning = 4;
constexpr int kSyslogInfo = 6;

void LogCallback(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  const ops::LogFields fields = {{"client", rd_kafka_name(rk)}, {"facility", fac}};
  if (level <= kSyslogError) {
    KafkaLog().Error(buf, fields);
  } else if (level <= kSyslogWarning) {
    KafkaLog().Warn(buf, fields);
  } else if (level <= kSyslogInfo) {
    KafkaLog().Info(buf, fields);
  } else {
    KafkaLog().Debug(buf, fields);
  }
}

ops::Status Set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    return ops::Status::InvalidArgument(fmt::format("kafka.{}: {}", key, errstr));
  }
  return ops::Status::Ok();
}

// Nesting deeper than this is not librdkafka's statistics; refuse rather than recurse.
constexpr int kMaxJsonDepth = 32;

// A forward-only reader of the JSON subset librdkafka writes: objects, arrays,
// strings, numbers, true/false/null. Every method returns false on malformed input.
class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : s_(text) {}

  // Calls `member(key)` for each member of the object at the cursor; `member` must
  // consume the value and return false to abort.
  template <typename F>
  bool Object(F&& member) {
    if (!Consume('{')) return false;
    if (Consume('}')) return true;
    do {
      std::string key;
      if (!String(&key) || !Consume(':') || !member(key)) return false;
    } while (Consume(','));
    return Consume('}');
  }

  bool Int(int64_t* out) {
    SkipSpace();
    const char* begin = s_.data() + i_;
    const char* end = s_.data() + s_.size();
    const auto [ptr, ec] = std::from_chars(begin, end, *out);
    if (ec != std::errc() || ptr == begin) return false;
    i_ += static_cast<size_t>(ptr - begin);
    // A fraction or exponent would be a float; librdkafka writes offsets as integers.
    return i_ >= s_.size() || (s_[i_] != '.' && s_[i_] != 'e' && s_[i_] != 'E');
  }

  bool String(std::string* out) {
    if (!Consume('"')) return false;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\') ++i_;  // keeps the escaped character as is; names never need more
      if (i_ < s_.size()) out->push_back(s_[i_++]);
    }
    return Consume('"');
  }

  // Skips any value.
  bool Skip(int depth = 0) {
    if (depth > kMaxJsonDepth) return false;
    SkipSpace();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{') return Object([&](const std::string&) { return Skip(depth + 1); });
    if (c == '"') {
      std::string ignored;
      return String(&ignored);
    }
    if (c == '[') {
      ++i_;
      if (Consume(']')) return true;
      do {
        if (!Skip(depth + 1)) return false;
      } while (Consume(','));
      return Consume(']');
    }
    const size_t start = i_;
    while (i_ < s_.size() &&
           std::string_view(",}] \t\r\n").find(s_[i_]) == std::string_view::npos) {
      ++i_;
    }
    return i_ > start;  // a number, true, false or null
  }

  bool AtEnd() {
    SkipSpace();
    return i_ == s_.size();
  }

 private:
  void SkipSpace() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) {
      ++i_;
    }
  }
  bool Consume(char c) {
    SkipSpace();
    if (i_ >= s_.size() || s_[i_] != c) return false;
    ++i_;
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

bool ReadPartition(JsonReader& r, const std::string& topic, std::vector<PartitionStats>* out) {
  PartitionStats p{.topic = topic};
  const bool ok = r.Object([&](const std::string& key) {
    int64_t v = 0;
    if (key == "partition") {
      if (!r.Int(&v)) return false;
      p.partition = static_cast<int32_t>(v);
      return true;
    }
    if (key == "consumer_lag") return r.Int(&p.consumer_lag);
    if (key == "hi_offset") return r.Int(&p.hi_offset);
    if (key == "app_offset") return r.Int(&p.app_offset);
    if (key == "committed_offset") return r.Int(&p.committed_offset);
    return r.Skip();
  });
  if (ok && p.partition >= 0) out->push_back(std::move(p));  // -1 is librdkafka's internal one
  return ok;
}

// `key` is the topic's member key, its name; a "topic" field repeats it.
bool ReadTopic(JsonReader& r, const std::string& key, std::vector<PartitionStats>* out) {
  std::string name = key;
  return r.Object([&](const std::string& field) {
    if (field == "topic") {
      name.clear();
      return r.String(&name);
    }
    if (field != "partitions") return r.Skip();
    return r.Object([&](const std::string&) { return ReadPartition(r, name, out); });
  });
}

}  // namespace

ops::Result<std::vector<PartitionStats>> ParseConsumerStats(std::string_view json) {
  JsonReader r(json);
  std::vector<PartitionStats> out;
  const bool ok = r.Object([&](const std::string& key) {
    if (key != "topics") return r.Skip();
    return r.Object([&](const std::string& topic) { return ReadTopic(r, topic, &out); });
  }) && r.AtEnd();
  if (!ok) return ops::Status::InvalidArgument("malformed librdkafka statistics JSON");
  return out;
}

int64_t LagRecords(const PartitionStats& p) {
  if (p.consumer_lag >= 0) return p.consumer_lag;
  if (p.hi_offset >= 0 && p.app_offset >= 0 && p.hi_offset >= p.app_offset) {
    return p.hi_offset - p.app_offset;
  }
  return -1;
}

ops::Counter KafkaProbe::ProducedCounter(std::string_view topic) const {
  if (registry_ == nullptr) return {};
  return registry_->GetCounter("engaged_records_produced_total",
                               "Output records acknowledged by Kafka, by topic.",
                               {{"topic", std::string(topic)}});
}

void KafkaProbe::SetLag(const state::TopicPartition& tp, int64_t records,
                        std::optional<double> seconds) const {
  if (registry_ == nullptr) return;
  const ops::Labels labels{{"topic", tp.topic},
                           {"partition", std::to_string(tp.partition.value())}};
  registry_
      ->GetGauge(
          "engaged_consumer_lag_records",
          "Records between an assigned partition's high watermark and engaged's last commit.",
          labels)
      .Set(static_cast<double>(records));
  if (seconds) {
    registry_
        ->GetGauge(
            "engaged_consumer_lag_seconds",
            "Age of the newest record consumed from a partition that has lag; 0 without lag.",
            labels)
        .Set(*seconds);
  } else {
    registry_->RemoveGauge("engaged_consumer_lag_seconds", labels);
  }
}

void KafkaProbe::SetChangelogCompacted(bool compacted) const {
  if (registry_ == nullptr) return;
  registry_
      ->GetGauge("engaged_changelog_topic_compacted",
                 "1 when the last check found the changelog topic's cleanup.policy exactly "
                 "compact, 0 when the broker would delete its records by age.")
      .Set(compacted ? 1 : 0);
}

void KafkaProbe::OnChangelogCheckFailed() const {
  if (registry_ == nullptr) return;
  registry_
      ->GetCounter("engaged_changelog_topic_check_failures_total",
                   "Checks of the changelog topic's configs that got no answer or were refused.")
      .Inc();
}

void KafkaProbe::RemoveLag(const state::TopicPartition& tp) const {
  if (registry_ == nullptr) return;
  const ops::Labels labels{{"topic", tp.topic},
                           {"partition", std::to_string(tp.partition.value())}};
  registry_->RemoveGauge("engaged_consumer_lag_records", labels);
  registry_->RemoveGauge("engaged_consumer_lag_seconds", labels);
}

const ops::Logger& KafkaLog() {
  static const ops::Logger logger("kafka");
  return logger;
}

std::string ErrorText(rd_kafka_resp_err_t err) {
  return fmt::format("{} ({})", rd_kafka_err2str(err), rd_kafka_err2name(err));
}

void InstallLogger(rd_kafka_conf_t* conf) { rd_kafka_conf_set_log_cb(conf, LogCallback); }

ops::Result<ConfPtr> BuildConf(const Properties& user, const Properties& defaults,
                               const Properties& forced) {
  ConfPtr conf(rd_kafka_conf_new());
  for (const auto& [k, v] : user) {
    if (forced.contains(k)) {
      return ops::Status::InvalidArgument(
          fmt::format("kafka.{} is managed by engaged and cannot be set", k));
    }
    ENGAGED_RETURN_IF_ERROR(Set(conf.get(), k, v));
  }
  for (const auto& [k, v] : defaults) {
    if (!user.contains(k)) ENGAGED_RETURN_IF_ERROR(Set(conf.get(), k, v));
  }
  for (const auto& [k, v] : forced) ENGAGED_RETURN_IF_ERROR(Set(conf.get(), k, v));
  InstallLogger(conf.get());
  return conf;
}

ops::Status CheckTopicsExist(rd_kafka_t* rk, const std::vector<std::string>& topics,
                             int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (const std::string& name : topics) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, name.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    // The first metadata request can fail while brokers are still being connected to.
    do {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      err = rd_kafka_metadata(rk, 0, rkt, &md, static_cast<int>(std::max<int64_t>(left, 1)));
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (std::chrono::steady_clock::now() < deadline);
    rd_kafka_topic_destroy(rkt);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return ops::Status::Unavailable(fmt::format("cannot reach the Kafka cluster within {} ms: {}",
                                                  timeout_ms, ErrorText(err)));
    }
    const rd_kafka_resp_err_t topic_err =
        md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    const int partitions = md->topic_cnt == 1 ? md->topics[0].partition_cnt : 0;
    rd_kafka_metadata_destroy(md);
    if (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR || partitions == 0) {
      return ops::Status::FailedPrecondition(
          fmt::format("topic '{}' does not exist or is not readable: {} (create it, e.g. with "
                      "ops/local/kafka.sh create-topics)",
                      name,
                      ErrorText(topic_err == RD_KAFKA_RESP_ERR_NO_ERROR
                                    ? RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                                    : topic_err)));
    }
  }
  return ops::Status::Ok();
}

}  // namespace topologies::kafka
