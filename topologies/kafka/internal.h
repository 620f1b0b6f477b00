#pragma once

// Shared by topologies/kafka/*.cc only: the one place that includes librdkafka.

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ops/log.h"
#include "ops/status.h"
#include "topologies/kafka/kafka_io.h"

namespace topologies::kafka {

const ops::Logger& KafkaLog();

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;

// A librdkafka configuration from the user's properties, then `defaults` for keys the
// user did not set, then `forced` (which the user may not change). Values are never
// logged: they may hold secrets.
ops::Result<ConfPtr> BuildConf(const Properties& user, const Properties& defaults,
                               const Properties& forced);

// Routes librdkafka's log lines to the "kafka" logger. Installed on every handle.
void InstallLogger(rd_kafka_conf_t* conf);

// Fails unless every topic in `topics` exists: Unavailable when the cluster cannot be
// reached within `timeout_ms`, FailedPrecondition naming a missing topic.
ops::Status CheckTopicsExist(rd_kafka_t* rk, const std::vector<std::string>& topics,
                             int timeout_ms);

std::string ErrorText(rd_kafka_resp_err_t err);

// A handle for admin requests (a producer that sends nothing), from the user's
// properties without the consumer's.
ops::Result<HandlePtr> OpenAdmin(const Properties& properties);

// The configs of `topic` by name (DescribeConfigs); Unavailable after `timeout_ms`.
ops::Result<std::map<std::string, std::string>> TopicConfigs(rd_kafka_t* rk,
                                                             const std::string& topic,
                                                             int timeout_ms);

// The librdkafka handle of a source made by OpenKafkaSource (its group metadata joins
// transactions). REQUIRES: `source` is a Kafka source.
rd_kafka_t* ConsumerHandle(Source& source);

}  // namespace topologies::kafka
