#pragma once

// One measurement of a processor (engaged or the passthrough) against a real broker:
//   1. throughput: the input topic already holds N records; start the processor and
//      watch its consumer group's committed offsets until all N are committed. The
//      sustained rate is taken between the first commit and the last, so start-up
//      and the group join are left out;
//   2. latency (optional): with the processor caught up, produce to a second input
//      topic at a fixed rate and record produce->visible latency on its output topic;
//   3. stop it with SIGTERM and read its peak RSS and CPU time from wait4.

#include <cstdint>
#include <string>
#include <vector>

#include "ops/status.h"
#include "topologies/clickstream_gen.h"
#include "topologies/kafka/kafka_io.h"

namespace load {

struct MeasureOptions {
  std::string label;  // names the processor in the report
  topologies::kafka::Properties kafka;
  std::string group;          // the processor's consumer group (application_id)
  std::string input_topic;    // pre-filled with the throughput run's records
  std::string latency_topic;  // also consumed by the processor; empty: no latency phase
  std::string output_topic;   // where the processor's outputs become visible
  // Offered rate of the latency phase: `latency_rate`, or when it is 0,
  // `latency_fraction` of the throughput just measured. Unit: events/s.
  double latency_rate = 0;
  double latency_fraction = 0.5;
  double latency_seconds = 30;
  // Seconds of the same load before latency_seconds, whose outputs are not counted
  // (written to samples_path all the same).
  double latency_warmup_seconds = 0;
  // Idle time between the throughput phase and the latency phase. Unit: s.
  double settle_seconds = 0;
  topologies::ClickstreamOptions clickstream;  // of the latency phase's events
  int timeout_s = 1800;                        // for each phase
  std::string log_path;                        // the processor's stdout and stderr
  std::string samples_path;  // CSV "seconds,latency_ms" of every output; empty: none
  // When set, GET http://127.0.0.1:metrics_port/metrics into metrics_path + ".before"
  // as the latency phase starts and into metrics_path as it ends, so that engaged's own
  // histograms of that phase (their difference) cross-check the load tool's. 0: none.
  int metrics_port = 0;
  std::string metrics_path;
  std::vector<std::string> command;  // the processor
};

struct MeasureReport {
  int64_t events = 0;                // records of the throughput phase
  double startup_s = 0;              // process start to first commit
  double total_s = 0;                // process start to the last record committed
  double throughput_eps = 0;         // sustained, first commit to last
  double cpu_s_per_mevent = 0;       // the processor's CPU in the throughput phase
  double latency_rate = 0;           // offered, events/s
  int64_t latency_events = 0;        // produced in the latency phase
  double latency_behind_ms = 0;      // how far the load producer fell behind its schedule
  int64_t latency_started_ms = 0;    // wall clock (ms since the epoch) of the samples' 0 s
  std::vector<double> latencies_ms;  // sorted
  int64_t peak_rss_kb = 0;
  int exit_code = -1;
};

ops::Result<MeasureReport> Measure(const MeasureOptions& options);

// The report as one line of key=value pairs, for scripts.
std::string FormatReport(const std::string& label, const MeasureReport& r);

}  // namespace load
