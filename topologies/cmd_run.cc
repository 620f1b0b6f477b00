#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <thread>

#include "fmt/format.h"
#include "ops/http_server.h"
#include "ops/log.h"
#include "ops/metrics.h"
#include "processors/state_json.h"
#include "state/store.h"
#include "topologies/churn_models.h"
#include "topologies/commands.h"
#include "topologies/config_check.h"
#include "topologies/kafka/kafka_io.h"
#include "topologies/kafka/kafka_probe.h"
#include "topologies/runner.h"
#include "topologies/state_probe.h"
#include "topologies/topology.h"

#ifndef ENGAGED_VERSION
#define ENGAGED_VERSION "dev"
#endif

namespace topologies {
namespace {

const ops::Logger& Log() {
  static const ops::Logger logger("run");
  return logger;
}

// Waits for SIGTERM or SIGINT on its own thread (the signals are blocked everywhere
// else), then asks the poll loop to stop. If the process has not finished within the
// grace period, it exits hard: a commit that never happened is replayed after restart.
class SignalWatcher {
 public:
  explicit SignalWatcher(int64_t grace_ms) : grace_ms_(grace_ms) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this] { Watch(); });
  }
  ~SignalWatcher() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    // Wake sigwait with a signal to ourselves if nobody sent one.
    // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread): SIGTERM is blocked; it wakes sigwait.
    if (!stop_.load()) pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
  }
  const std::atomic<bool>& stop() const { return stop_; }

 private:
  void Watch() {
    int sig = 0;
    sigwait(&set_, &sig);
    std::unique_lock lock(mu_);
    if (done_) return;
    stop_.store(true);
    // Logged after the flag is set: from this line on /readyz answers 503.
    Log().Info("signal received; not ready any more; finishing in-flight work",
               {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                {"grace_ms", grace_ms_},
                {"ready", false}});
    if (!cv_.wait_for(lock, std::chrono::milliseconds(grace_ms_), [this] { return done_; })) {
      Log().Error("shutdown exceeded the grace period; exiting without a final commit",
                  {{"grace_ms", grace_ms_}});
      std::_Exit(kExitFailure);
    }
  }

  int64_t grace_ms_;
  sigset_t set_{};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// The instance's name for its transactional.id: processing.instance_id, else the
// consumer's group.instance.id, else the host name.
std::string InstanceId(const Config& c) {
  if (!c.processing.instance_id.empty()) return c.processing.instance_id;
  if (const auto it = c.kafka.find("group.instance.id"); it != c.kafka.end()) return it->second;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) return "engaged";
  return host;
}

// Ready once partitions are assigned, and not any more from SIGTERM on.
bool Ready(const Topology& topology, const SignalWatcher& signals) {
  return topology.ready() && !signals.stop().load();
}

// What the HTTP endpoints read. All of it outlives the server.
struct HttpContext {
  ops::MetricsRegistry* metrics;
  const TopologyProbe* probe;
  const StateProbe* state_probe;
  const Topology* topology;
  const SignalWatcher* signals;
  state::Store* store;
  const processors::FeatureCatalog* catalog;
};

void ServeHttp(ops::HttpServer& http, const HttpContext& c) {
  http.Handle("/metrics", [c](std::string_view) {
    c.probe->SetReady(Ready(*c.topology, *c.signals));
    c.state_probe->Collect();
    return ops::HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                             c.metrics->Serialize()};
  });
  http.Handle("/livez", [](std::string_view) {
    return ops::HttpResponse{200, "text/plain", "ok\n"};
  });
  http.Handle("/readyz", [c](std::string_view) {
    c.probe->SetReady(Ready(*c.topology, *c.signals));
    if (c.signals->stop().load()) return ops::HttpResponse{503, "text/plain", "shutting down\n"};
    if (c.topology->restoring()) {
      return ops::HttpResponse{503, "text/plain", "restoring state from the changelog\n"};
    }
    if (!c.topology->ready()) {
      return ops::HttpResponse{503, "text/plain", "waiting for assignment\n"};
    }
    return ops::HttpResponse{
        200, "text/plain",
        fmt::format("ready: {} partitions\n", c.topology->assigned_partitions())};
  });
  // State as of the last commit (at most processing.commit_interval_ms old).
  http.Handle("/customers/", [c](std::string_view path) {
    const std::string id(path.substr(std::string_view("/customers/").size()));
    std::string body;
    auto s = c.store->FindCustomer(id, [&](state::Partition p, const state::CustomerState& cs) {
      // A partition that moved to another instance left a stale copy here.
      if (!c.topology->Owns(p)) return;
      processors::WriteCustomerStateJson(*c.catalog, SystemNow(), id, p, cs, &body);
      body.push_back('\n');
    });
    if (!s.ok()) {
      std::string error = "{\"error\":\"";
      ops::AppendJsonEscaped(s.ToString(), &error);
      return ops::HttpResponse{500, "application/json", error + "\"}\n"};
    }
    if (body.empty()) {
      std::string error =
          "{\"error\":\"unknown customer, or one whose partition this instance does not "
          "own\",\"customer_id\":\"";
      ops::AppendJsonEscaped(id, &error);
      return ops::HttpResponse{404, "application/json", error + "\"}\n"};
    }
    return ops::HttpResponse{200, "application/json", body};
  });
}

}  // namespace

int RunCommand(const RunArgs& args) {
  auto load = LoadConfigOrReport(args.config_path);
  if (!load) return kExitConfig;
  Config* config = &load->config;
  ops::SetLogLevel(config->log_level);
  if (config->input.topics.empty()) {
    fmt::print(stderr, "{}: input.topics is empty; engaged run needs at least one topic\n",
               args.config_path);
    return kExitConfig;
  }
  SignalWatcher signals(config->processing.shutdown_grace_ms);

  auto store = state::Store::Open(StoreOptionsFor(config->state));
  if (!store.ok()) {
    Log().Error("cannot open the state store", {{"error", store.status().ToString()}});
    return kExitFailure;
  }
  ops::MetricsRegistry metrics;
  TopologyProbe probe(&metrics);
  kafka::KafkaProbe kafka_probe(&metrics);

  const bool exactly_once = config->processing.guarantee == Guarantee::kExactlyOnce;
  const std::string changelog_topic = ChangelogTopic(*config);
  const std::string repartition_topic = RepartitionTopic(*config);
  std::vector<std::string> consumed = config->input.topics;
  if (!repartition_topic.empty()) consumed.push_back(repartition_topic);
  auto topics = kafka::PrepareInternalTopics(
      {.properties = config->kafka,
       .input_topics = config->input.topics,
       .changelog_topic = changelog_topic,
       .repartition_topic = repartition_topic,
       .replication_factor = static_cast<int>(config->state.changelog_replication_factor)});
  if (!topics.ok()) {
    Log().Error("cannot prepare the topics", {{"error", topics.status().ToString()}});
    return kExitFailure;
  }
  auto source = kafka::OpenKafkaSource({.properties = config->kafka,
                                        .group_id = config->application_id,
                                        .topics = consumed,
                                        .read_committed = exactly_once,
                                        .probe = &kafka_probe});
  if (!source.ok()) {
    Log().Error("cannot start the consumer", {{"error", source.status().ToString()}});
    return kExitFailure;
  }
  const std::string transactional_id =
      exactly_once ? config->application_id + "-" + InstanceId(*config) : std::string();
  auto sink = kafka::OpenKafkaSink(
      {.properties = config->kafka,
       .segment_changes_topic = config->output.segment_changes_topic,
       .dead_letters_topic = config->output.dead_letters_topic,
       .churn_risk_topic = ChurnEnabled(*config) ? config->output.churn_risk_topic : std::string(),
       .probe = &kafka_probe,
       .changelog_topic = changelog_topic,
       .repartition_topic = repartition_topic,
       .transactional_id = transactional_id,
       .consumer = source->get()});
  if (!sink.ok()) {
    Log().Error("cannot start the producer", {{"error", sink.status().ToString()}});
    return kExitFailure;
  }
  std::unique_ptr<ChangelogReader> changelog;
  if (!changelog_topic.empty()) {
    auto opened =
        kafka::OpenChangelogReader({.properties = config->kafka, .topic = changelog_topic});
    if (!opened.ok()) {
      Log().Error("cannot start the changelog reader", {{"error", opened.status().ToString()}});
      return kExitFailure;
    }
    changelog = std::move(opened).value();
  }
  std::unique_ptr<ChurnModels> churn;
  if (ChurnEnabled(*config)) {
    auto loaded = ChurnModels::Load(config->churn);
    if (!loaded.ok()) {
      Log().Error("cannot load the churn model", {{"error", loaded.status().ToString()}});
      return kExitFailure;
    }
    churn = std::move(loaded).value();
  }
  Topology topology(&*config, store->get(), sink->get(), &probe, SystemNow, churn.get(),
                    changelog.get());
  // The changelog's delete.retention.ms bounds the local copy's age (LocalCopyMaxAgeMs):
  // the one read at start, then each one the watch reads.
  const int64_t configured_max_age_ms = config->state.local_copy_max_age_ms;
  const auto bound_local_copy_age = [&](std::optional<int64_t> delete_retention_ms) {
    if (!delete_retention_ms) return;  // unknown: leave the bound as it is
    const int64_t ms = LocalCopyMaxAgeMs(configured_max_age_ms, delete_retention_ms);
    if (ms == topology.local_copy_max_age_ms()) return;
    topology.set_local_copy_max_age_ms(ms);
    Log().Warn(ms == configured_max_age_ms
                   ? "the changelog topic's delete.retention.ms no longer bounds "
                     "state.local_copy_max_age_ms"
                   : "the changelog topic's delete.retention.ms is below "
                     "state.local_copy_max_age_ms: a local copy older than it may have missed "
                     "removed tombstones, and is restored from the start",
               {{"topic", changelog_topic},
                {"delete_retention_ms", *delete_retention_ms},
                {"local_copy_max_age_ms", configured_max_age_ms},
                {"using_ms", ms}});
  };
  bound_local_copy_age(topics->changelog_delete_retention_ms);
  std::unique_ptr<kafka::ChangelogWatch> changelog_watch;
  if (!changelog_topic.empty() && config->state.changelog_check_interval_ms > 0) {
    auto started =
        kafka::StartChangelogWatch({.properties = config->kafka,
                                    .topic = changelog_topic,
                                    .interval_ms = config->state.changelog_check_interval_ms,
                                    .probe = &kafka_probe,
                                    .on_delete_retention = bound_local_copy_age});
    if (!started.ok()) {
      Log().Error("cannot start the changelog topic's checks",
                  {{"error", started.status().ToString()}});
      return kExitFailure;
    }
    changelog_watch = std::move(started).value();
  }
  const StateProbe state_probe(&metrics, store->get(), &topology.cache_counters());
  const processors::FeatureCatalog catalog(config->features);

  ops::HttpServer http;
  if (config->http.enabled) {
    ServeHttp(http, {.metrics = &metrics,
                     .probe = &probe,
                     .state_probe = &state_probe,
                     .topology = &topology,
                     .signals = &signals,
                     .store = store->get(),
                     .catalog = &catalog});
    if (auto s = http.Start(config->http.host, static_cast<int>(config->http.port)); !s.ok()) {
      Log().Error("cannot serve HTTP", {{"error", s.ToString()}});
      return kExitFailure;
    }
    Log().Info("serving metrics and health",
               {{"url", fmt::format("http://{}:{}/metrics", config->http.host, http.port())}});
  }
  // The kafka: values may hold secrets (sasl.password, ...): only their names are logged.
  std::string overrides;
  for (const auto& v : load->overridden_by) overrides += (overrides.empty() ? "" : ",") + v;
  Log().Info("engaged started", {{"version", ENGAGED_VERSION},
                                 {"application_id", config->application_id},
                                 {"state_dir", config->state.dir},
                                 {"guarantee", exactly_once ? "exactly_once" : "at_least_once"},
                                 {"transactional_id", transactional_id},
                                 {"changelog_topic", changelog_topic},
                                 {"repartition_topic", repartition_topic},
                                 {"partitions", topics->partitions},
                                 {"kafka_properties", KafkaPropertyNamesForLog(*config)},
                                 {"env_overrides", overrides}});

  Runner runner(&config->processing, source->get(), &topology, SystemNow, &probe);
  const ops::Status status = runner.Run(signals.stop());
  if (!status.ok()) {
    Log().Error("engaged stopped on an error", {{"error", status.ToString()}});
    return kExitFailure;
  }
  if (auto s = (*store)->Flush(); !s.ok()) {
    Log().Warn("state flush at shutdown failed; the WAL still holds every commit",
               {{"error", s.ToString()}});
  }
  Log().Info("engaged stopped cleanly", {{"events_in", topology.counters().events_in}});
  return kExitOk;
}

}  // namespace topologies
