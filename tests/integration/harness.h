#pragma once

// Shared pieces of the integration tests: a config for a test's topics, a free port,
// HTTP GET against engaged's endpoints, and the engaged child process.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/testutil/kafka_client.h"
#include "tests/testutil/process.h"
#include "tests/testutil/temp_dir.h"

namespace integration {

struct Topics {
  std::string input;
  std::string segment_changes;
  std::string dead_letters;
  std::string churn_risk;  // written only when the config turns churn risk on
};

// Creates the four topics of one test, named uniquely.
Topics CreateTopics(testutil::KafkaClient& kafka, const std::string& prefix, int partitions);

// A port that was free a moment ago.
int FreePort();

// GET http://127.0.0.1:port/path over HTTP/1.0, so that any server (Prometheus too)
// closes the connection and never chunks the body; returns the status code (0 when
// unreachable).
int HttpGet(int port, const std::string& path, std::string* body);

// Waits until GET /customers/{id} reports each expected events_total.
bool WaitForCounts(int port, const std::map<std::string, int64_t>& expected, int timeout_ms);

// The YAML config of one engaged instance.
std::string MakeConfig(const std::string& bootstrap, const Topics& topics,
                       const std::string& state_dir, int http_port,
                       const std::string& extra_yaml = "");

// An `engaged run` child process.
class Engaged {
 public:
  Engaged(const testutil::TempDir& dir, const std::string& config_yaml, const std::string& name);
  testutil::Process& process() { return *process_; }
  // Stops with SIGTERM and returns the exit code.
  int Terminate(int timeout_ms = 30000);
  std::string log() const;

 private:
  std::string log_path_;
  std::unique_ptr<testutil::Process> process_;
};

// `engaged inspect`'s events_total for `customer`, or -1 when not found.
int64_t InspectEventsTotal(const std::string& state_dir, const std::string& customer);

// The value of `"field":"..."` (a string) in a flat JSON line; "" when absent.
std::string JsonString(const std::string& json, const std::string& field);
// The value of `"field":N` (an integer) in a JSON line; -1 when absent.
int64_t JsonInt(const std::string& json, const std::string& field);

}  // namespace integration
