#pragma once

// A synthetic clickstream: Zipf-distributed customers sending a realistic mix of
// event types in the flat shape, optionally in sessions. Deterministic for a seed.
// Used by `engaged gen`, the demo and the benchmarks (bench/load). Not thread-safe;
// one generator per thread.

#include <cstdint>
#include <random>
#include <string>
#include <utility>
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
  // Sessions: this many are open at once, interleaved; each event continues a random
  // open one, and a finished one is replaced by a new session of a Zipf-drawn
  // customer. A session opens with an entry event (page_view, app_open, email_open or
  // search) and has 1 + Geometric events, `session_events_mean` on average. 0 turns
  // sessions off: each event then draws its own customer. Default 0.
  int concurrent_sessions = 0;
  double session_events_mean = 6.0;
  // Prefix of customer ids: "<prefix><rank>". Default "cust-".
  std::string customer_prefix = "cust-";
};

class ClickstreamGenerator {
 public:
  explicit ClickstreamGenerator(ClickstreamOptions options);

  // The next event as one JSON object (no newline); its customer id in `customer_id`.
  // Its event time is start + n * interval_ms for the n-th event.
  const std::string& Next(std::string* customer_id);
  // The same with event time `at` (for load at the wall clock).
  const std::string& Next(std::string* customer_id, state::TimeMs at);

 private:
  struct Session {
    int64_t customer = 0;
    int64_t remaining = 0;  // events still to come; 0: closed
  };
  int64_t PickCustomer();
  // The customer of the next event and whether it opens a session.
  std::pair<int64_t, bool> NextCustomer();

  ClickstreamOptions options_;
  std::mt19937_64 rng_;
  std::vector<double> cdf_;        // cumulative Zipf weights of customers 0..n-1
  std::vector<Session> sessions_;  // concurrent_sessions slots
  int64_t sequence_ = 0;
  std::string out_;
};

}  // namespace topologies
