#pragma once

// A plain librdkafka client for integration tests: create topics, produce input,
// read outputs back. Independent of engaged's own Kafka code on purpose.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace testutil {

struct KafkaMessage {
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
  int32_t partition = -1;
  int64_t offset = -1;
};

class KafkaClient {
 public:
  // The bootstrap address of the broker that the ctest fixture started, or "" when
  // there is none (the test should then fail: integration tests need it).
  static std::string FixtureBootstrap();
  // A topic name unique to this process and call.
  static std::string UniqueTopic(const std::string& prefix);

  explicit KafkaClient(std::string bootstrap);
  ~KafkaClient();
  KafkaClient(const KafkaClient&) = delete;
  KafkaClient& operator=(const KafkaClient&) = delete;

  // `configs`: topic configs to set besides cleanup.policy.
  void CreateTopic(const std::string& name, int partitions, bool compact = false,
                   const std::map<std::string, std::string>& configs = {});
  // Replaces the topic's configs with `configs` (AlterConfigs is not incremental: a
  // config left out goes back to the broker's default).
  void SetTopicConfigs(const std::string& name, const std::map<std::string, std::string>& configs);
  // Keyed produce with the Java client's partitioner (murmur2), so that a customer's
  // events go to one partition as any Kafka producer would send them.
  // `partition` -1: the partitioner's choice.
  void Produce(const std::string& topic, const std::string& key, const std::string& value,
               int32_t partition = -1);
  void Flush();

  // Reads `topic` from the beginning until `expected` messages arrived and then
  // `settle_ms` passed without more, or `timeout_ms` in all. read_committed unless
  // `committed_only` is false (then records of aborted transactions are read too).
  std::vector<KafkaMessage> ConsumeAll(const std::string& topic, size_t expected, int timeout_ms,
                                       int settle_ms = 1000, bool committed_only = true);

  const std::string& bootstrap() const { return bootstrap_; }

 private:
  std::string bootstrap_;
  struct Impl;
  Impl* impl_;
};

}  // namespace testutil
