#include "ops/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>

namespace ops {

struct MetricsRegistry::Families {
  std::map<std::string, prometheus::Family<prometheus::Counter>*, std::less<>> counters;
  std::map<std::string, prometheus::Family<prometheus::Gauge>*, std::less<>> gauges;
  std::map<std::string, prometheus::Family<prometheus::Histogram>*, std::less<>> histograms;
};

void Counter::Inc(double v) const {
  if (c_ != nullptr) c_->Increment(v);
}
double Counter::Value() const { return c_ != nullptr ? c_->Value() : 0.0; }
void Gauge::Set(double v) const {
  if (g_ != nullptr) g_->Set(v);
}
void Gauge::Inc(double v) const {
  if (g_ != nullptr) g_->Increment(v);
}
void Gauge::Dec(double v) const {
  if (g_ != nullptr) g_->Decrement(v);
}
double Gauge::Value() const { return g_ != nullptr ? g_->Value() : 0.0; }
void Histogram::Observe(double v) const {
  if (h_ != nullptr) h_->Observe(v);
}

std::vector<double> LatencyBucketsSeconds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1.0,   2.5,    5.0,   10.0, 30.0};
}

std::vector<double> EndToEndBucketsSeconds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,  0.1,   0.25,   0.5,   1.0,
          2.5,   5.0,    10.0,  30.0, 60.0,  300.0, 900.0, 1800.0, 3600.0};
}

MetricsRegistry::MetricsRegistry()
    : registry_(std::make_unique<prometheus::Registry>()),
      families_(std::make_unique<Families>()) {}
MetricsRegistry::~MetricsRegistry() = default;

Counter MetricsRegistry::GetCounter(std::string_view name, std::string_view help,
                                    const Labels& labels) {
  std::lock_guard lock(mu_);
  auto it = families_->counters.find(name);
  if (it == families_->counters.end()) {
    auto& family = prometheus::BuildCounter()
                       .Name(std::string(name))
                       .Help(std::string(help))
                       .Register(*registry_);
    it = families_->counters.emplace(std::string(name), &family).first;
  }
  return Counter(&it->second->Add(labels));
}

Gauge MetricsRegistry::GetGauge(std::string_view name, std::string_view help,
                                const Labels& labels) {
  std::lock_guard lock(mu_);
  auto it = families_->gauges.find(name);
  if (it == families_->gauges.end()) {
    auto& family = prometheus::BuildGauge()
                       .Name(std::string(name))
                       .Help(std::string(help))
                       .Register(*registry_);
    it = families_->gauges.emplace(std::string(name), &family).first;
  }
  return Gauge(&it->second->Add(labels));
}

void MetricsRegistry::RemoveGauge(std::string_view name, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto it = families_->gauges.find(name);
  if (it == families_->gauges.end() || !it->second->Has(labels)) return;
  it->second->Remove(&it->second->Add(labels));
}

Histogram MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                        const std::vector<double>& buckets, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto it = families_->histograms.find(name);
  if (it == families_->histograms.end()) {
    auto& family = prometheus::BuildHistogram()
                       .Name(std::string(name))
                       .Help(std::string(help))
                       .Register(*registry_);
    it = families_->histograms.emplace(std::string(name), &family).first;
  }
  return Histogram(&it->second->Add(labels, buckets));
}

std::string MetricsRegistry::Serialize() const {
  const prometheus::TextSerializer serializer;
  std::ostringstream out;
  serializer.Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace ops
