#pragma once

// Prometheus metrics behind small handles, so that only ops/ knows prometheus-cpp.
// Modules keep their handles in probe classes (for example topologies/task_probe.h).
//
// MetricsRegistry is owned by the process's composition root and outlives every
// handle taken from it. Handles are thread-safe and cheap to copy; a default-made
// handle is a no-op, which tests and tools without metrics use.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace ops {

using Labels = std::map<std::string, std::string>;

class Counter {
 public:
  Counter() = default;
  explicit Counter(prometheus::Counter* c) : c_(c) {}
  void Inc(double v = 1.0) const;
  double Value() const;

 private:
  prometheus::Counter* c_ = nullptr;
};

class Gauge {
 public:
  Gauge() = default;
  explicit Gauge(prometheus::Gauge* g) : g_(g) {}
  void Set(double v) const;
  void Inc(double v = 1.0) const;
  void Dec(double v = 1.0) const;
  double Value() const;

 private:
  prometheus::Gauge* g_ = nullptr;
};

class Histogram {
 public:
  Histogram() = default;
  explicit Histogram(prometheus::Histogram* h) : h_(h) {}
  void Observe(double v) const;

 private:
  prometheus::Histogram* h_ = nullptr;
};

// Bucket boundaries, in seconds, for latencies from 100 µs to 30 s.
std::vector<double> LatencyBucketsSeconds();

// Bucket boundaries, in seconds, for end-to-end latencies from 1 ms to 1 h: a record
// may wait in Kafka for minutes when an instance falls behind.
std::vector<double> EndToEndBucketsSeconds();

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Returns the series `name{labels}`, creating its family on first use. A name must
  // always be used with the same kind and help text. Thread-safe.
  Counter GetCounter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge GetGauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram GetHistogram(std::string_view name, std::string_view help,
                         const std::vector<double>& buckets, const Labels& labels = {});
  // Removes the series `name{labels}` (for example of a revoked partition).
  void RemoveGauge(std::string_view name, const Labels& labels);

  // The Prometheus text exposition format (version 0.0.4) of every series.
  std::string Serialize() const;

 private:
  struct Families;
  std::unique_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Families> families_;
  std::mutex mu_;  // guards families_
};

}  // namespace ops
