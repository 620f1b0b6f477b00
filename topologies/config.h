#pragma once

// engaged's configuration: one YAML file (docs/configuration.md lists every key).
// Scalars may use ${VAR} and ${VAR:-default}. Unknown keys are errors, reported with
// line and column, so that a typo never passes silently.
// A Config is immutable after loading and may be read from any thread.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ops/log.h"
#include "processors/churn/risk.h"
#include "processors/decoder.h"
#include "processors/feature_options.h"
#include "processors/segments.h"
#include "state/compression.h"

namespace state {
struct StoreOptions;
}  // namespace state

namespace topologies {

struct InputConfig {
  // Topics to consume. Required for `run`.
  std::vector<std::string> topics;
  // Larger values are dead-lettered as oversize. Default 1048576. Unit: bytes.
  int64_t max_message_bytes = 1 << 20;
  // The shape of every record: auto (detected per record), segment, snowplow or flat.
  // Default auto. docs/input-formats.md.
  processors::InputFormat format = processors::InputFormat::kAuto;
  // Dotted paths tried in order for the customer id, for every shape. Default empty:
  // each shape's own (Segment [userId, anonymousId], Snowplow [user_id, domain_userid,
  // network_userid], flat [customer_id]).
  std::vector<std::string> identity;
  // Field -> dotted path, overriding where that field is read in every shape. Fields:
  // customer_id, event_id, event, time, revenue, currency, rating, score, survey_type.
  // Example: customer_id: properties.account_id. Default: none.
  std::vector<std::pair<std::string, std::string>> fields;
  // Raw event name -> canonical type (page_view, ..., custom) or `ignore`, on top of
  // the built-in taxonomy; names match case- and separator-insensitively. Default: none.
  std::vector<std::pair<std::string, std::string>> taxonomy;
  // Per customer, a repeated event id within this much event time of the one seen is
  // a duplicate and is dropped; 0 catches only repeats with the same event time (plain
  // retries). Default 86400000 (1 day). Unit: ms.
  int64_t dedup_horizon_ms = 24 * 3600 * 1000LL;
  // Whether the input topics' records are keyed (partitioned) by customer id, so that a
  // customer's events all arrive on one partition. false: engaged first re-keys every
  // record by customer id through its internal topic "<application_id>-repartition"
  // (created with the input's partition count) and keeps state per partition of that
  // topic. Default true.
  bool keyed_by_customer = true;
};

// The decoder's options from the input section: the one place they are converted.
processors::DecoderOptions ToDecoderOptions(const InputConfig& input);

// How segment changes are written to output.segment_changes_topic.
enum class SegmentChangeFormat : uint8_t {
  kEngaged,          // one engaged.segment_change event (schemas/segment-change.v1.json)
  kSegmentAudience,  // Segment "Audience Exited" then "Audience Entered" track events
};

struct OutputConfig {
  // Segment-change events. Default "engaged.segment-changes".
  std::string segment_changes_topic = "engaged.segment-changes";
  // engaged (default) or segment_audience: Segment-compatible track events, an
  // "Audience Exited" for the segment left and an "Audience Entered" for the one
  // entered, for tools that read Segment's spec (docs/segments.md).
  SegmentChangeFormat segment_changes_format = SegmentChangeFormat::kEngaged;
  // Records that failed validation. Default "engaged.dead-letters".
  std::string dead_letters_topic = "engaged.dead-letters";
  // Churn-risk band changes (when churn risk is on). Default "engaged.churn-risk".
  std::string churn_risk_topic = "engaged.churn-risk";
};

// The default of StateConfig::changelog_topic, resolved by ChangelogTopic once the
// application_id is known.
inline constexpr char kDefaultChangelogTopic[] = "<application_id>-changelog";

struct StateConfig {
  // RocksDB directory. Default "./engaged-state".
  std::string dir = "./engaged-state";
  // Memory for state: RocksDB (block cache, index and filter blocks, memtables) plus the
  // write-back caches of hot customers. Default 536870912 (512 MiB). Unit: bytes.
  int64_t memory_budget_bytes = int64_t{512} << 20;
  // The write-back caches' share of memory_budget_bytes (of the part left after
  // kUnaccountedMemoryShare below); RocksDB gets the rest. Default 0.5; about 0.25 with
  // cache_read_blocks true, so that the block cache has room for data blocks. Unit:
  // fraction (0 to 0.9).
  double cache_share = 0.5;
  // Whether the data blocks that lookups of uncached customers read are kept in
  // RocksDB's block cache. false reads them from the SST files (the OS page cache) each
  // time, which cost less CPU than filling the cache at every size measured, when the
  // page cache holds the files; the block cache then holds index and filter blocks and
  // larger memtables (docs/benchmarks.md). Default false.
  bool cache_read_blocks = false;
  // SST compression: none, lz4 (below level 1), or zstd (lz4 below level 1, zstd in the
  // last level that holds data, whichever it is). Files a restore loads are written
  // uncompressed; compactions compress what they rewrite. Default none: the encoded
  // states barely compress (at 1 M customers 3 % and 17-26 % fewer bytes, for 1.6 % and
  // 51 % fewer events per CPU-second: docs/benchmarks.md).
  state::Compression compression = state::Compression::kNone;
  // Customers without an event for this long are deleted (and counted). 0 keeps them
  // forever. Default 34560000000 (400 days). Unit: ms.
  int64_t retention_ms = 400LL * 24 * 3600 * 1000;
  // Fsync the WAL at every commit (survives power loss, not only kill -9). Default false.
  bool sync_commits = false;
  // The compacted topic the state is logged to, of which the local RocksDB is a copy
  // (restored from it when a partition arrives without up-to-date local state). Created
  // when missing, with the input's partition count. Default "<application_id>-changelog";
  // "" turns the changelog off (at_least_once only; partitions then cannot move).
  std::string changelog_topic = kDefaultChangelogTopic;
  // The replication factor of a changelog topic engaged creates. Default -1: the
  // broker's default.replication.factor.
  int64_t changelog_replication_factor = -1;
  // A partition's local copy last brought up to date longer ago than this is not caught
  // up from its own position when the partition arrives behind the changelog, but
  // dropped and restored from the start: the broker removes tombstones (expired
  // customers) from a compacted topic after its delete.retention.ms (default 24 h), and
  // an older copy may miss them. Keep it below the changelog's delete.retention.ms. 0:
  // no limit. Default 43200000 (12 h). Unit: ms.
  int64_t local_copy_max_age_ms = int64_t{12} * 3600 * 1000;
  // How often `engaged run` reads the changelog topic's configs again after the check
  // at start: a cleanup.policy changed from compact is reported (metric, log, alert),
  // and a changed delete.retention.ms bounds local_copy_max_age_ms from then on. 0:
  // only at start. Default 300000 (5 min). Unit: ms.
  int64_t changelog_check_interval_ms = int64_t{5} * 60 * 1000;
};

// What a restart or a moved partition may do to outputs (docs/architecture.md).
enum class Guarantee : uint8_t {
  kAtLeastOnce,  // outputs may repeat (with the same event_id); state counts each record once
  kExactlyOnce,  // outputs, changelog and input offsets commit together in a transaction
};

// The commit interval under exactly-once unless processing.commit_interval_ms is set.
inline constexpr int64_t kExactlyOnceCommitIntervalMs = 100;

struct ProcessingConfig {
  // at_least_once (default) or exactly_once.
  Guarantee guarantee = Guarantee::kAtLeastOnce;
  // How often state, offsets and outputs are committed. Default 1000 (100 under
  // exactly_once). Unit: ms.
  int64_t commit_interval_ms = 1000;
  // This instance's name among the application's instances: the transactional.id is
  // "<application_id>-<instance_id>", so each instance needs its own, stable across its
  // restarts. Default: kafka group.instance.id when set, else the host name.
  std::string instance_id;
  // Events older than the partition's stream time minus this are dead-lettered as
  // too_late. Default 604800000 (7 days). Unit: ms.
  int64_t allowed_lateness_ms = 7 * 24 * 3600 * 1000LL;
  // Events further than this ahead of the wall clock are dead-lettered as
  // timestamp_in_future. Default 3600000 (1 hour). Unit: ms.
  int64_t max_future_ms = 3600 * 1000LL;
  // On SIGTERM, the time allowed to finish, commit and close. Default 30000. Unit: ms.
  int64_t shutdown_grace_ms = 30000;
  // Timers fire by stream time; a partition without records for this long also fires
  // them by the wall clock. 0: stream time only (replay always uses 0, so replays are
  // deterministic). Default 60000. Unit: ms.
  int64_t idle_timer_ms = 60000;
  // A customer without events is re-evaluated (segments, churn risk) at every UTC
  // midnight until it has been silent this long; 0: only on its events. Rules that
  // look further back than this (days_since(last_seen) >= N) need it raised.
  // Default 15552000000 (180 days). Unit: ms.
  int64_t silence_horizon_ms = 180 * 24 * 3600 * 1000LL;
};

struct HttpConfig {
  // Serve /metrics, /livez, /readyz and /customers/{id}. Default true.
  bool enabled = true;
  // IPv4 address to listen on. Default "0.0.0.0".
  std::string host = "0.0.0.0";
  // TCP port; 0 picks a free one (logged). Default 9464.
  int64_t port = 9464;
};

// The `features:` section: half-lives of the decayed counters, the session gap,
// conversion types, engagement-score weights and RFM cut points. Each field, with its
// default and unit, is documented in processors/feature_options.h (processors/ owns the
// type because the feature code reads it); docs/features.md explains them.
using FeaturesConfig = processors::FeatureOptions;

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
  FeaturesConfig features;
  // debug, info, warn or error. Default info. ENGAGED_LOG_LEVEL overrides it.
  ops::LogLevel log_level = ops::LogLevel::kInfo;
  // Segments in priority order (docs/segments.md); a list of min_events-only segments
  // is a ladder in any order. Default: none.
  std::vector<processors::SegmentDefinition> segments;
  // Churn risk (docs/churn-model.md): on when churn.model_file or
  // churn.session_model_file is set.
  processors::churn::ChurnOptions churn;
};

// The internal topic that re-keys input by customer id; empty when the input is keyed.
inline std::string RepartitionTopic(const Config& c) {
  return c.input.keyed_by_customer ? std::string() : c.application_id + "-repartition";
}

// The changelog topic's name; empty when the changelog is off.
inline std::string ChangelogTopic(const Config& c) {
  return c.state.changelog_topic == kDefaultChangelogTopic ? c.application_id + "-changelog"
                                                           : c.state.changelog_topic;
}

// True when churn risk is scored (a model file is configured).
inline bool ChurnEnabled(const Config& c) {
  return !c.churn.model_file.empty() || !c.churn.session_model_file.empty();
}

// The share of state.memory_budget_bytes that no cache is given: it is kept for what
// their accounting cannot see (glibc's bookkeeping and free fragments, the write batch
// being built, the binary and its buffers). With it, peak RSS stays within a few per
// cent of the budget (docs/benchmarks.md, "Memory"). Unit: fraction.
inline constexpr double kUnaccountedMemoryShare = 0.1;

// RocksDB's share of the state memory budget. Unit: bytes.
inline size_t StoreMemoryBytes(const StateConfig& s) {
  return static_cast<size_t>(static_cast<double>(s.memory_budget_bytes) *
                             (1.0 - kUnaccountedMemoryShare) * (1.0 - s.cache_share));
}

// The state store's options from the config: its directory, whether commits fsync the
// WAL, RocksDB's share of the memory budget and whether lookups fill the block cache.
state::StoreOptions StoreOptionsFor(const StateConfig& s);

// The write-back caches' share of the state memory budget, all partitions together.
// Unit: bytes.
inline size_t CacheMemoryBytes(const StateConfig& s) {
  return static_cast<size_t>(static_cast<double>(s.memory_budget_bytes) *
                             (1.0 - kUnaccountedMemoryShare) * s.cache_share);
}

// The age past which a partition's local copy is restored from the changelog's start
// rather than caught up: state.local_copy_max_age_ms (`configured_ms`, 0 for no limit),
// bounded by the changelog topic's delete.retention.ms when known, since a copy older
// than that may have missed tombstones the broker has removed since. 0: no limit. Unit:
// ms.
inline int64_t LocalCopyMaxAgeMs(int64_t configured_ms,
                                 std::optional<int64_t> delete_retention_ms) {
  if (!delete_retention_ms) return configured_ms;
  // At least 1 ms: 0 would mean no limit, where a topic that drops tombstones at once
  // leaves no copy behind the changelog safe to catch up.
  const int64_t bound = std::max<int64_t>(*delete_retention_ms, 1);
  return configured_ms == 0 ? bound : std::min(configured_ms, bound);
}

// What a changelog topic's configs (as DescribeConfigs returns them, by name) mean for
// the state logged to it.
struct ChangelogTopicConfigs {
  // Why the broker would lose customers' state (its cleanup.policy is not exactly
  // `compact`), naming the topic, the policy and the fix; empty when it would not.
  std::string problem;
  // Its delete.retention.ms; nullopt when missing or not a number.
  std::optional<int64_t> delete_retention_ms;
};
ChangelogTopicConfigs ReadChangelogTopicConfigs(std::string_view topic,
                                                const std::map<std::string, std::string>& configs);

// One problem in a config file. line and column are 1-based; 0 when unknown.
struct ConfigError {
  int line = 0;
  int column = 0;
  std::string message;
};

struct ConfigLoad {
  Config config;
  std::vector<ConfigError> errors;  // every problem found; the config is valid when empty
  // The ENGAGED_* variables that overrode a key, by name (never their values).
  std::vector<std::string> overridden_by;
  bool ok() const { return errors.empty(); }
};

// Environment variables as name/value pairs.
using Environment = std::vector<std::pair<std::string, std::string>>;

// The process's environment (environ).
Environment ProcessEnvironment();

// Reads and validates `path`, with the process's ENGAGED_* overrides (see
// EnvVariableForKey). All problems are reported at once.
ConfigLoad LoadConfigFile(const std::string& path);
// The same for YAML text (tests, stdin).
ConfigLoad LoadConfigText(const std::string& yaml);
// The same with the overrides read from `env` instead of the process's environment.
// ${VAR} interpolation still reads the process's environment.
ConfigLoad LoadConfigText(const std::string& yaml, const Environment& env);

// The environment variable that overrides `dotted_key` (a KnownConfigKeys() name, or
// kafka.<property>): ENGAGED_ + the key in upper case, each '.' written "__"; under
// kafka, each '.' of the property is written '_'. Examples:
//   state.memory_budget_bytes -> ENGAGED_STATE__MEMORY_BUDGET_BYTES
//   kafka.sasl.password       -> ENGAGED_KAFKA__SASL_PASSWORD
// docs/configuration.md#environment-overrides states the rules.
std::string EnvVariableForKey(std::string_view dotted_key);

// The kafka: property names, comma-separated, for the start-up log line. Values are
// never logged: they may hold secrets (sasl.password, ssl.key.password, ...).
std::string KafkaPropertyNamesForLog(const Config& config);

// "FILE:LINE:COL: message", the format of `engaged validate`.
std::string FormatConfigError(const std::string& path, const ConfigError& e);

// The dotted names of every key the loader accepts, for the docs-versus-code test.
std::vector<std::string> KnownConfigKeys();

}  // namespace topologies
