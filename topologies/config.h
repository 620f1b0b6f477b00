#pragma once

// engaged's configuration: one YAML file (docs/configuration.md lists every key).
// Scalars may use ${VAR} and ${VAR:-default}. Unknown keys are errors, reported with
// line and column, so that a typo never passes silently.
// A Config is immutable after loading and may be read from any thread.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ops/log.h"
#include "processors/segments.h"

namespace topologies {

struct InputConfig {
  // Topics to consume. Required for `run`.
  std::vector<std::string> topics;
  // Larger values are dead-lettered as oversize. Default 1048576. Unit: bytes.
  int64_t max_message_bytes = 1 << 20;
};

struct OutputConfig {
  // Segment-change events. Default "engaged.segment-changes".
  std::string segment_changes_topic = "engaged.segment-changes";
  // Records that failed validation. Default "engaged.dead-letters".
  std::string dead_letters_topic = "engaged.dead-letters";
};

struct StateConfig {
  // RocksDB directory. Default "./engaged-state".
  std::string dir = "./engaged-state";
  // Clean customers kept in memory between commits. Default 100000. Unit: customers.
  int64_t max_cached_customers = 100000;
  // Fsync the WAL at every commit (survives power loss, not only kill -9). Default false.
  bool sync_commits = false;
};

struct ProcessingConfig {
  // How often state, offsets and outputs are committed. Default 1000. Unit: ms.
  int64_t commit_interval_ms = 1000;
  // Events older than the partition's stream time minus this are dead-lettered as
  // too_late. Default 604800000 (7 days). Unit: ms.
  int64_t allowed_lateness_ms = 7 * 24 * 3600 * 1000LL;
  // Events further than this ahead of the wall clock are dead-lettered as
  // timestamp_in_future. Default 3600000 (1 hour). Unit: ms.
  int64_t max_future_ms = 3600 * 1000LL;
  // On SIGTERM, the time allowed to finish, commit and close. Default 30000. Unit: ms.
  int64_t shutdown_grace_ms = 30000;
};

struct HttpConfig {
  // Serve /metrics, /livez, /readyz and /customers/{id}. Default true.
  bool enabled = true;
  // IPv4 address to listen on. Default "0.0.0.0".
  std::string host = "0.0.0.0";
  // TCP port; 0 picks a free one (logged). Default 9464.
  int64_t port = 9464;
};

struct Config {
  // Names the consumer group, and prefixes internal topics. Default "engaged".
  std::string application_id = "engaged";
  // Passed to librdkafka as they are (bootstrap.servers, security.protocol, sasl.*, ...).
  std::map<std::string, std::string> kafka;
  InputConfig input;
  OutputConfig output;
  StateConfig state;
  ProcessingConfig processing;
  HttpConfig http;
  // debug, info, warn or error. Default info. ENGAGED_LOG_LEVEL overrides it.
  ops::LogLevel log_level = ops::LogLevel::kInfo;
  // The segment ladder, in any order. Default: none.
  std::vector<processors::SegmentDefinition> segments;
};

// One problem in a config file. line and column are 1-based; 0 when unknown.
struct ConfigError {
  int line = 0;
  int column = 0;
  std::string message;
};

struct ConfigLoad {
  Config config;
  std::vector<ConfigError> errors;  // every problem found; the config is valid when empty
  bool ok() const { return errors.empty(); }
};

// Reads and validates `path`. All problems are reported at once.
ConfigLoad LoadConfigFile(const std::string& path);
// The same for YAML text (tests, stdin).
ConfigLoad LoadConfigText(const std::string& yaml);

// "FILE:LINE:COL: message", the format of `engaged validate`.
std::string FormatConfigError(const std::string& path, const ConfigError& e);

// The dotted names of every key the loader accepts, for the docs-versus-code test.
std::vector<std::string> KnownConfigKeys();

}  // namespace topologies
