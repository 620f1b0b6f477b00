#pragma once

// The load tool's traffic: a paced producer of the synthetic clickstream, and a
// recorder of end-to-end latency that reads an output topic.
//
// Latency is measured from the time an input event was due to be produced (open
// loop: a producer that falls behind does not hide the delay) until its output is
// read from the output topic. Events carry that time as their event time, and every
// output carries the event time of the input that caused it: `changed_at` in a
// segment change, `ts` in the passthrough's copy of the input.

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ops/status.h"
#include "topologies/clickstream_gen.h"
#include "topologies/kafka/kafka_io.h"
#include "topologies/kafka/kafka_load.h"

namespace load {

struct TrafficOptions {
  int64_t events = 0;
  // Offered rate. 0: as fast as the producer goes. Unit: events/s.
  double rate = 0;
  // The generator's customers, seed and sessions; the event time is the wall clock.
  topologies::ClickstreamOptions clickstream;
};

struct TrafficReport {
  int64_t events = 0;
  double seconds = 0;        // from the first record to the last acknowledgement
  double max_behind_ms = 0;  // how far the producer fell behind its schedule
};

// Produces `events` and waits until all are acknowledged.
ops::Result<TrafficReport> ProduceTraffic(topologies::kafka::LoadProducer& producer,
                                          const TrafficOptions& options);

// Reads an output topic on its own thread from Start until Stop, recording the
// latency of each output whose event time is at or after `since_ms` as a sample, and
// counting it among latencies_ms when its event time is at or after `count_from_ms`
// (the end of a warm-up).
// Start, Stop and the accessors are called from one thread.
class LatencyRecorder {
 public:
  LatencyRecorder() = default;
  ~LatencyRecorder();
  LatencyRecorder(const LatencyRecorder&) = delete;
  LatencyRecorder& operator=(const LatencyRecorder&) = delete;

  // Opens the tail at the topic's current end.
  ops::Status Start(const topologies::kafka::Properties& properties, const std::string& topic,
                    int64_t since_ms, int64_t count_from_ms);
  // Stops reading; the first error of the reading thread, if any.
  ops::Status Stop();

  // Latencies in ms of the outputs counted, sorted. REQUIRES: Stop was called.
  const std::vector<double>& latencies_ms() const { return latencies_ms_; }
  // (seconds since Start, latency in ms) of each output, in the order read.
  const std::vector<std::pair<double, double>>& samples() const { return samples_; }
  // Wall-clock time of Start, ms since the epoch: where samples' seconds count from.
  double started_ms() const { return started_ms_; }
  // Outputs read whose event time could not be found.
  int64_t unparsed() const { return unparsed_; }

 private:
  void Read();

  std::unique_ptr<topologies::kafka::TopicTail> tail_;
  int64_t since_ms_ = 0;
  int64_t count_from_ms_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  ops::Status error_;
  double started_ms_ = 0;
  std::vector<double> latencies_ms_;
  std::vector<std::pair<double, double>> samples_;
  int64_t unparsed_ = 0;
};

// The value at quantile q (0..1) of sorted `v`, nearest rank; NaN when empty.
double Quantile(const std::vector<double>& v, double q);

}  // namespace load
