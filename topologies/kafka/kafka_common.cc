#include <chrono>
#include <thread>

#include "fmt/format.h"
#include "topologies/kafka/internal.h"

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

}  // namespace

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
