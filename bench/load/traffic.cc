#include "bench/load/traffic.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "processors/timestamp.h"

namespace load {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr int kFlushTimeoutMs = 120000;
constexpr int kTailPollMs = 50;
// The most a paced producer sleeps at once, so that it wakes for the next events.
constexpr auto kMaxSleep = std::chrono::microseconds(500);

double WallNowMs() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The event time an output carries: a segment change's changed_at, else the input
// copy's ts. Both are ISO-8601 strings written by engaged or the generator.
std::optional<state::TimeMs> EventTimeOf(std::string_view json) {
  for (const std::string_view field : {R"("changed_at":")", R"("ts":")"}) {
    const size_t at = json.find(field);
    if (at == std::string_view::npos) continue;
    const size_t begin = at + field.size();
    const size_t end = json.find('"', begin);
    if (end == std::string_view::npos) return std::nullopt;
    return processors::ParseIso8601(json.substr(begin, end - begin));
  }
  return std::nullopt;
}

}  // namespace

ops::Result<TrafficReport> ProduceTraffic(topologies::kafka::LoadProducer& producer,
                                          const TrafficOptions& options) {
  topologies::ClickstreamGenerator gen(options.clickstream);
  std::string customer;
  TrafficReport report;
  const auto steady0 = SteadyClock::now();
  const double wall0_ms = WallNowMs();
  for (int64_t i = 0; i < options.events; ++i) {
    double due_ms = WallNowMs();
    if (options.rate > 0) {
      const double offset_ms = static_cast<double>(i) * 1000.0 / options.rate;
      const auto due = steady0 + std::chrono::duration_cast<SteadyClock::duration>(
                                     std::chrono::duration<double, std::milli>(offset_ms));
      for (auto now = SteadyClock::now(); now < due; now = SteadyClock::now()) {
        std::this_thread::sleep_for(std::min<SteadyClock::duration>(due - now, kMaxSleep));
      }
      const double behind =
          std::chrono::duration<double, std::milli>(SteadyClock::now() - due).count();
      report.max_behind_ms = std::max(report.max_behind_ms, behind);
      due_ms = wall0_ms + offset_ms;
    }
    const std::string& event =
        gen.Next(&customer, state::TimeMs(static_cast<int64_t>(std::floor(due_ms))));
    ENGAGED_RETURN_IF_ERROR(producer.Produce(customer, event));
  }
  ENGAGED_RETURN_IF_ERROR(producer.Flush(kFlushTimeoutMs));
  report.events = options.events;
  report.seconds = std::chrono::duration<double>(SteadyClock::now() - steady0).count();
  return report;
}

LatencyRecorder::~LatencyRecorder() { Stop().IgnoreError(); }

ops::Status LatencyRecorder::Start(const topologies::kafka::Properties& properties,
                                   const std::string& topic, int64_t since_ms,
                                   int64_t count_from_ms) {
  auto tail = topologies::kafka::OpenTopicTail(properties, topic);
  if (!tail.ok()) return tail.status();
  tail_ = std::move(*tail);
  since_ms_ = since_ms;
  count_from_ms_ = count_from_ms;
  started_ms_ = WallNowMs();
  stop_ = false;
  thread_ = std::thread([this] { Read(); });
  return ops::Status::Ok();
}

void LatencyRecorder::Read() {
  while (!stop_.load(std::memory_order_relaxed)) {
    auto polled = tail_->Poll(kTailPollMs);
    if (!polled.ok()) {
      error_ = polled.status();
      return;
    }
    if (!polled->has_value()) continue;
    const double seen_ms = WallNowMs();
    const auto t = EventTimeOf((*polled)->value);
    if (!t) {
      ++unparsed_;
      continue;
    }
    if (t->value() < since_ms_) continue;  // caused by input from before the phase
    const double latency_ms = seen_ms - static_cast<double>(t->value());
    if (t->value() >= count_from_ms_) latencies_ms_.push_back(latency_ms);
    samples_.emplace_back((seen_ms - started_ms_) / 1000.0, latency_ms);
  }
}

ops::Status LatencyRecorder::Stop() {
  if (!thread_.joinable()) return error_;
  stop_ = true;
  thread_.join();
  tail_.reset();
  std::sort(latencies_ms_.begin(), latencies_ms_.end());
  return error_;
}

double Quantile(const std::vector<double>& v, double q) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace load
