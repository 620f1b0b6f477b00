#pragma once

// Shared pieces of the integration tests: a config for a test's topics, a free port,
// HTTP GET against engaged's endpoints, and the engaged child process.

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <random>
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

// The wall clock, ms since the epoch.
int64_t NowMs();

// A port that was free a moment ago.
int FreePort();

// GET http://127.0.0.1:port/path over HTTP/1.0, so that any server (Prometheus too)
// closes the connection and never chunks the body; returns the status code (0 when
// unreachable).
int HttpGet(int port, const std::string& path, std::string* body);

// Waits until GET /customers/{id} reports each expected events_total.
bool WaitForCounts(int port, const std::map<std::string, int64_t>& expected, int timeout_ms);

// The customer ("u<n>") of event `i` of `events`: drawn at random from a window of
// `window` customers that slides once over all `customers` during the run, so that each
// customer's events, and so its segment changes, fall in one stretch of the run, and the
// changes of all customers spread over the whole of it.
std::string SlidingCustomer(int64_t i, int64_t events, int customers, int window,
                            std::mt19937& rng);

// A flat-shape click event of `customer` at event time `ts_ms` with event id
// "<customer>-<seq>" (a per-customer sequence number).
std::string ClickEvent(const std::string& customer, int64_t ts_ms, int64_t seq);

// The YAML config of one engaged instance.
std::string MakeConfig(const std::string& bootstrap, const Topics& topics,
                       const std::string& state_dir, int http_port,
                       const std::string& extra_yaml = "");

// `config` with `lines` (each indented by two spaces, ending in a newline) added at the
// top of its section `section` ("kafka", "processing", "state", ...), which must exist.
std::string AddToSection(std::string config, const std::string& section, const std::string& lines);

// `config` with its application_id replaced by `id`.
std::string WithApplicationId(std::string config, const std::string& id);

// MakeConfig for one instance of an exactly-once application: processing.guarantee
// exactly_once, processing.instance_id `instance`, and the same name as the instance's
// kafka group.instance.id (static membership: a restarted instance gets its partitions
// back at once instead of after the session timeout).
std::string MakeExactlyOnceConfig(const std::string& bootstrap, const Topics& topics,
                                  const std::string& state_dir, int http_port,
                                  const std::string& instance, const std::string& extra_yaml = "");

// The value of the unlabelled metric `name` on GET /metrics, or -1 when it is absent
// or the instance does not answer.
double MetricValue(int port, const std::string& name);

// Polls `done` every 100 ms until it returns true (then true) or `timeout_ms` passed
// (then false).
bool WaitUntil(const std::function<bool()>& done, int timeout_ms);

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

// Waits until `engaged` answers 200 on GET /readyz at `port` (then true), or exited, or
// `timeout_ms` passed (then false).
bool WaitUntilReady(Engaged& engaged, int port, int timeout_ms);

// The "partition restored" lines of an engaged log: how many, and the changelog
// records they report.
struct Restores {
  int partitions = 0;
  int64_t records = 0;
};
Restores RestoresInLog(const std::string& log);

// Every customer's events_total in a stopped instance's state directory, read directly
// (one scan, not one `engaged inspect` per customer, which takes minutes at 10,000
// customers).
std::map<std::string, int64_t> StoredCounts(const std::string& state_dir);

// `engaged inspect`'s events_total for `customer`, or -1 when not found.
int64_t InspectEventsTotal(const std::string& state_dir, const std::string& customer);

// The value of `"field":"..."` (a string) in a flat JSON line; "" when absent.
std::string JsonString(const std::string& json, const std::string& field);
// The value of `"field":N` (an integer) in a JSON line; -1 when absent.
int64_t JsonInt(const std::string& json, const std::string& field);

}  // namespace integration
