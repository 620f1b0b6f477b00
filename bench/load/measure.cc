#include "bench/load/measure.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "bench/load/child.h"
#include "bench/load/traffic.h"
#include "fmt/format.h"
#include "topologies/kafka/kafka_load.h"

namespace load {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr auto kProgressPoll = std::chrono::milliseconds(50);
constexpr int kStopTimeoutMs = 60000;
// After the processor committed the latency phase's last input, its outputs are
// durable (it flushes before committing); this lets the tail read the last of them.
constexpr auto kTailDrain = std::chrono::milliseconds(1500);

double SecondsSince(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

// Waits until `group` committed `target` records of `topic`. Calls `on_first` once
// with the first non-zero commit seen.
template <typename F>
ops::Status WaitForCommitted(topologies::kafka::GroupProgress& progress, Child& child,
                             const std::string& topic, int64_t target, int timeout_s,
                             F&& on_first) {
  const auto start = SteadyClock::now();
  bool first = true;
  for (;;) {
    auto committed = progress.Committed(topic);
    if (!committed.ok()) return committed.status();
    if (*committed > 0 && first) {
      first = false;
      on_first(*committed);
    }
    if (*committed >= target) return ops::Status::Ok();
    if (!child.Running()) {
      return ops::Status::FailedPrecondition(
          fmt::format("the processor exited with {} records of {} committed (of {})", *committed,
                      topic, target));
    }
    if (SecondsSince(start) > timeout_s) {
      return ops::Status::Unavailable(
          fmt::format("only {} of {} records of {} committed after {} s", *committed, target, topic,
                      timeout_s));
    }
    std::this_thread::sleep_for(kProgressPoll);
  }
}

ops::Status MeasureThroughput(const MeasureOptions& o, topologies::kafka::GroupProgress& progress,
                              Child& child, SteadyClock::time_point started, MeasureReport& r) {
  auto total = progress.HighWatermarks(o.input_topic);
  if (!total.ok()) return total.status();
  if (*total == 0) {
    return ops::Status::FailedPrecondition(o.input_topic + " is empty: produce the load first");
  }
  r.events = *total;
  SteadyClock::time_point first_at;
  int64_t first_committed = 0;
  double first_cpu = 0;
  ENGAGED_RETURN_IF_ERROR(
      WaitForCommitted(progress, child, o.input_topic, *total, o.timeout_s, [&](int64_t committed) {
        first_at = SteadyClock::now();
        first_committed = committed;
        first_cpu = child.CpuSeconds();
      }));
  const double cpu = child.CpuSeconds() - first_cpu;
  r.total_s = SecondsSince(started);
  r.startup_s = std::chrono::duration<double>(first_at - started).count();
  const double sustained_s = SecondsSince(first_at);
  const int64_t sustained_events = *total - first_committed;
  if (sustained_events > 0 && sustained_s > 0) {
    r.throughput_eps = static_cast<double>(sustained_events) / sustained_s;
    r.cpu_s_per_mevent = cpu / static_cast<double>(sustained_events) * 1e6;
  } else {  // everything in the first commit (tiny runs): count from the start
    r.throughput_eps = static_cast<double>(*total) / SecondsSince(started);
    r.cpu_s_per_mevent = child.CpuSeconds() / static_cast<double>(*total) * 1e6;
  }
  return ops::Status::Ok();
}

// GET /metrics over HTTP/1.0 (the server closes the connection after the body).
ops::Status ScrapeMetrics(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return ops::Status::Unavailable(fmt::format("no metrics on port {}", port));
  }
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  std::string response;
  if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
    char buf[1 << 16];
    for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) {
      response.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  if (body == std::string::npos) return ops::Status::Unavailable("bad /metrics response");
  std::ofstream out(path);
  out << response.substr(body + 4);
  out.close();
  if (!out) return ops::Status::IoError("cannot write " + path);
  return ops::Status::Ok();
}

ops::Status WriteSamples(const std::string& path,
                         const std::vector<std::pair<double, double>>& samples) {
  std::ofstream out(path);
  out << "seconds,latency_ms\n";
  for (const auto& [t, ms] : samples) out << fmt::format("{:.3f},{:.1f}\n", t, ms);
  out.close();
  if (!out) return ops::Status::IoError("cannot write " + path);
  return ops::Status::Ok();
}

ops::Status MeasureLatency(const MeasureOptions& o, topologies::kafka::GroupProgress& progress,
                           Child& child, MeasureReport& r) {
  r.latency_rate = o.latency_rate > 0 ? o.latency_rate : o.latency_fraction * r.throughput_eps;
  auto base = progress.HighWatermarks(o.latency_topic);
  if (!base.ok()) return base.status();
  // Outputs of earlier runs on the same topics are older than this and ignored.
  const int64_t since_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const auto warmup_ms = static_cast<int64_t>(o.latency_warmup_seconds * 1000);
  LatencyRecorder recorder;
  ENGAGED_RETURN_IF_ERROR(recorder.Start(o.kafka, o.output_topic, since_ms, since_ms + warmup_ms));
  auto producer = topologies::kafka::OpenLoadProducer(o.kafka, o.latency_topic);
  if (!producer.ok()) return producer.status();
  TrafficOptions traffic{.events = static_cast<int64_t>(
                             r.latency_rate * (o.latency_warmup_seconds + o.latency_seconds)),
                         .rate = r.latency_rate,
                         .clickstream = o.clickstream};
  auto produced = ProduceTraffic(**producer, traffic);
  if (!produced.ok()) return produced.status();
  r.latency_events = produced->events;
  r.latency_behind_ms = produced->max_behind_ms;
  ENGAGED_RETURN_IF_ERROR(WaitForCommitted(progress, child, o.latency_topic,
                                           *base + produced->events, o.timeout_s, [](int64_t) {}));
  std::this_thread::sleep_for(kTailDrain);
  ENGAGED_RETURN_IF_ERROR(recorder.Stop());
  r.latencies_ms = recorder.latencies_ms();
  r.latency_started_ms = static_cast<int64_t>(recorder.started_ms());
  if (!o.samples_path.empty()) return WriteSamples(o.samples_path, recorder.samples());
  return ops::Status::Ok();
}

}  // namespace

ops::Result<MeasureReport> Measure(const MeasureOptions& o) {
  auto progress = topologies::kafka::OpenGroupProgress(o.kafka, o.group);
  if (!progress.ok()) return progress.status();
  // A group that already committed would make the throughput phase end at once.
  auto committed = (*progress)->Committed(o.input_topic);
  if (!committed.ok()) return committed.status();
  if (*committed > 0) {
    return ops::Status::FailedPrecondition(
        fmt::format("group {} already committed {} records of {}: use a fresh group", o.group,
                    *committed, o.input_topic));
  }
  MeasureReport r;
  const auto started = SteadyClock::now();
  auto child = Child::Start(o.command, o.log_path);
  if (!child.ok()) return child.status();
  ops::Status s = MeasureThroughput(o, **progress, *child, started, r);
  if (s.ok() && !o.latency_topic.empty()) {
    std::this_thread::sleep_for(std::chrono::duration<double>(o.settle_seconds));
  }
  if (s.ok() && o.metrics_port > 0) s = ScrapeMetrics(o.metrics_port, o.metrics_path + ".before");
  if (s.ok() && !o.latency_topic.empty()) s = MeasureLatency(o, **progress, *child, r);
  if (s.ok() && o.metrics_port > 0) s = ScrapeMetrics(o.metrics_port, o.metrics_path);
  const ChildUsage usage = child->Stop(kStopTimeoutMs);
  r.peak_rss_kb = usage.peak_rss_kb;
  r.exit_code = usage.exit_code;
  if (!s.ok()) return s;
  if (usage.exit_code != 0) {
    return ops::Status::Internal(
        fmt::format("the processor exited with {} (log: {})", usage.exit_code, o.log_path));
  }
  return r;
}

std::string FormatReport(const std::string& label, const MeasureReport& r) {
  const auto& l = r.latencies_ms;
  return fmt::format(
      "label={} events={} startup_s={:.2f} total_s={:.2f} throughput_eps={:.0f} "
      "cpu_s_per_mevent={:.2f} "
      "latency_rate={:.0f} latency_events={} latency_samples={} p50_ms={:.1f} p99_ms={:.1f} "
      "p999_ms={:.1f} max_ms={:.1f} producer_behind_ms={:.1f} latency_started_ms={} "
      "peak_rss_mib={:.1f} exit={}",
      label, r.events, r.startup_s, r.total_s, r.throughput_eps, r.cpu_s_per_mevent, r.latency_rate,
      r.latency_events, l.size(), Quantile(l, 0.5), Quantile(l, 0.99), Quantile(l, 0.999),
      Quantile(l, 1.0), r.latency_behind_ms, r.latency_started_ms,
      static_cast<double>(r.peak_rss_kb) / 1024.0, r.exit_code);
}

}  // namespace load
