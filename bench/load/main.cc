// engaged_load: the end-to-end load tool of SPEC §10 against a real broker.
//
//   engaged_load produce --bootstrap B --topic T --events N [--rate R] [--customers C]
//       a synthetic clickstream (Zipf customers in sessions) to T; rate 0 = flat out
//   engaged_load passthrough --config FILE
//       the stateless consume->produce ceiling, with engaged's own Kafka source and sink
//   engaged_load measure --bootstrap B --group G --input T ... -- COMMAND...
//       runs COMMAND (engaged or the passthrough) and reports throughput, latency at
//       a fixed offered rate and peak RSS as one key=value line
//
// bench/e2e.sh runs the whole comparison on a local broker; docs/benchmarks.md has
// the figures.

#include <pthread.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <thread>

#include "bench/load/measure.h"
#include "bench/load/passthrough.h"
#include "bench/load/traffic.h"
#include "fmt/format.h"
#include "topologies/config_check.h"
#include "topologies/kafka/kafka_load.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 64;
constexpr int kExitConfig = 78;

// The clickstream of the load: Zipf customers in interleaved sessions.
struct ClickstreamFlags {
  int64_t customers = 1000000;
  double zipf_s = 1.1;
  uint64_t seed = 1;
  int sessions = 1000;
  double session_events = 6.0;

  void Add(CLI::App* cmd) {
    cmd->add_option("--customers", customers, "Customers (Zipf, exponent --zipf-s)")
        ->capture_default_str();
    cmd->add_option("--zipf-s", zipf_s, "Zipf exponent of customer popularity; 0: uniform")
        ->capture_default_str();
    cmd->add_option("--seed", seed, "Random seed")->capture_default_str();
    cmd->add_option("--sessions", sessions, "Concurrent sessions (0: no sessions)")
        ->capture_default_str();
    cmd->add_option("--session-events", session_events, "Mean events per session")
        ->capture_default_str();
  }
  topologies::ClickstreamOptions Options() const {
    return {.customers = customers,
            .zipf_s = zipf_s,
            .seed = seed,
            .concurrent_sessions = sessions,
            .session_events_mean = session_events};
  }
};

int Produce(const std::string& bootstrap, const std::string& topic, int64_t events, double rate,
            const ClickstreamFlags& flags) {
  auto producer = topologies::kafka::OpenLoadProducer({{"bootstrap.servers", bootstrap}}, topic);
  if (!producer.ok()) {
    fmt::print(stderr, "engaged_load produce: {}\n", producer.status().ToString());
    return kExitFailure;
  }
  auto report = load::ProduceTraffic(
      **producer, {.events = events, .rate = rate, .clickstream = flags.Options()});
  if (!report.ok()) {
    fmt::print(stderr, "engaged_load produce: {}\n", report.status().ToString());
    return kExitFailure;
  }
  fmt::print("produced={} seconds={:.2f} rate_eps={:.0f} behind_ms={:.1f}\n", report->events,
             report->seconds, static_cast<double>(report->events) / report->seconds,
             report->max_behind_ms);
  return kExitOk;
}

int Passthrough(const std::string& config_path) {
  auto load = topologies::LoadConfigOrReport(config_path);
  if (!load) return kExitConfig;
  const topologies::Config* config = &load->config;
  if (config->input.topics.empty()) {
    fmt::print(stderr, "{}: input.topics is empty\n", config_path);
    return kExitConfig;
  }
  // SIGTERM and SIGINT stop the loop, which then commits and leaves the group.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::atomic<bool> stop{false};
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&set, &sig);
    stop = true;
  });
  const ops::Status s = load::RunPassthrough(*config, stop);
  // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread): SIGTERM is blocked; it wakes sigwait.
  if (!stop) pthread_kill(watcher.native_handle(), SIGTERM);
  watcher.join();
  if (!s.ok()) {
    fmt::print(stderr, "engaged_load passthrough: {}\n", s.ToString());
    return kExitFailure;
  }
  return kExitOk;
}

int Measure(load::MeasureOptions options, const std::string& bootstrap) {
  options.kafka = {{"bootstrap.servers", bootstrap}};
  auto report = load::Measure(options);
  if (!report.ok()) {
    fmt::print(stderr, "engaged_load measure: {}\n", report.status().ToString());
    return kExitFailure;
  }
  fmt::print("{}\n", load::FormatReport(options.label, *report));
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"engaged_load: end-to-end load against a real Kafka broker"};
  app.require_subcommand(1);

  std::string bootstrap;
  std::string topic;
  int64_t events = 1000000;
  double rate = 0;
  ClickstreamFlags produce_flags;
  auto* produce = app.add_subcommand("produce", "Produce a synthetic clickstream");
  produce->add_option("--bootstrap", bootstrap, "Kafka bootstrap servers")->required();
  produce->add_option("--topic", topic, "Topic")->required();
  produce->add_option("--events", events, "Events")->capture_default_str();
  produce->add_option("--rate", rate, "Events/s; 0: as fast as possible")->capture_default_str();
  produce_flags.Add(produce);

  std::string config_path;
  auto* passthrough = app.add_subcommand("passthrough", "The stateless consume->produce ceiling");
  passthrough->add_option("--config", config_path, "engaged config file")->required();

  load::MeasureOptions m;
  ClickstreamFlags measure_flags;
  measure_flags.seed = 2;  // other events than the throughput phase's
  auto* measure = app.add_subcommand("measure", "Run a processor and measure it");
  measure->add_option("--bootstrap", bootstrap, "Kafka bootstrap servers")->required();
  measure->add_option("--label", m.label, "Name in the report")->required();
  measure->add_option("--group", m.group, "The processor's consumer group")->required();
  measure->add_option("--input", m.input_topic, "Pre-filled input topic")->required();
  measure->add_option("--latency-input", m.latency_topic,
                      "Second input topic for the latency phase (none: no latency phase)");
  measure->add_option("--output", m.output_topic, "Output topic the latency is read on");
  measure
      ->add_option("--latency-rate", m.latency_rate,
                   "Offered events/s; 0: --latency-fraction of the measured throughput")
      ->capture_default_str();
  measure->add_option("--latency-fraction", m.latency_fraction, "See --latency-rate")
      ->capture_default_str();
  measure->add_option("--latency-seconds", m.latency_seconds, "Length of the latency phase")
      ->capture_default_str();
  measure
      ->add_option("--latency-warmup-seconds", m.latency_warmup_seconds,
                   "Seconds of the same load first, whose latencies are not counted")
      ->capture_default_str();
  measure->add_option("--timeout-s", m.timeout_s, "Limit of each phase")->capture_default_str();
  measure
      ->add_option("--settle-seconds", m.settle_seconds,
                   "Idle time between the throughput and the latency phase")
      ->capture_default_str();
  measure->add_option("--log", m.log_path, "The processor's log file")->required();
  measure->add_option("--metrics-port", m.metrics_port,
                      "Scrape the processor's /metrics on this port before stopping it");
  measure->add_option("--metrics-out", m.metrics_path, "Where --metrics-port's scrape goes");
  measure->add_option("--samples", m.samples_path,
                      "Write every latency sample here (CSV: seconds,latency_ms)");
  measure->add_option("command", m.command, "The processor's command line (after --)")->required();
  measure_flags.Add(measure);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (*produce) return Produce(bootstrap, topic, events, rate, produce_flags);
  if (*passthrough) return Passthrough(config_path);
  if (m.metrics_port > 0 && m.metrics_path.empty()) {
    fmt::print(stderr, "engaged_load measure: --metrics-port needs --metrics-out\n");
    return kExitUsage;
  }
  if (!m.latency_topic.empty() && m.output_topic.empty()) {
    fmt::print(stderr, "engaged_load measure: --latency-input needs --output\n");
    return kExitUsage;
  }
  m.clickstream = measure_flags.Options();
  return Measure(m, bootstrap);
}
