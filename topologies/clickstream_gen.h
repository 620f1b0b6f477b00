#pragma once

// A synthetic clickstream: Zipf-distributed customers sending a realistic mix of
// event types in the flat shape. Deterministic for a seed. Used by `engaged gen`, the
// demo and the benchmarks. Not thread-safe; one generator per thread.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "state/types.h"

namespace topologies {

struct ClickstreamOptions {
  int64_t customers = 10000;
  // Zipf exponent of customer popularity; 0 is uniform. Default 1.1.
  double zipf_s = 1.1;
  uint64_t seed = 1;
  // Event time of the first event and the step between events. Unit: ms.
  state::TimeMs start{1700000000000};
  int64_t interval_ms = 1000;
};

class ClickstreamGenerator {
 public:
  explicit ClickstreamGenerator(ClickstreamOptions options);

  // The next event as one JSON object (no newline); its customer id in `customer_id`.
  const std::string& Next(std::string* customer_id);

 private:
  int64_t PickCustomer();

  ClickstreamOptions options_;
  std::mt19937_64 rng_;
  std::vector<double> cdf_;  // cumulative Zipf weights of customers 0..n-1
  int64_t sequence_ = 0;
  std::string out_;
};

}  // namespace topologies
