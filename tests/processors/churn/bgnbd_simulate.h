#pragma once

// Draws purchase histories from the BG/NBD generative process (Fader, Hardie & Lee
// 2005, section 2), for tests: lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b); while
// alive a customer buys with Poisson rate lambda, and after each repeat purchase drops
// out for good with probability p. Deterministic for a seed (std::mt19937_64 and
// libstdc++'s distributions). Owned by one test; not thread-safe.

#include <cstdint>
#include <random>
#include <vector>

#include "processors/churn/bgnbd.h"

namespace churn_test {

class BgNbdSimulator {
 public:
  BgNbdSimulator(const processors::churn::BgNbdParams& params, uint64_t seed)
      : rng_(seed),
        lambda_(params.r, 1.0 / params.alpha),
        beta_a_(params.a, 1.0),
        beta_b_(params.b, 1.0) {}

  // One new customer observed for `age` time units after their first purchase.
  processors::churn::CustomerSummary Next(double age) {
    const double lambda = lambda_(rng_);
    const double ga = beta_a_(rng_);
    const double p = ga / (ga + beta_b_(rng_));  // Beta(a, b) from two Gammas
    std::exponential_distribution<double> wait(lambda);
    std::bernoulli_distribution drops_out(p);
    processors::churn::CustomerSummary s{.x = 0, .t_x = 0, .T = age};
    for (double t = wait(rng_); t <= age; t += wait(rng_)) {
      ++s.x;
      s.t_x = t;
      if (drops_out(rng_)) break;
    }
    return s;
  }

  // `n` customers with ages uniform in [min_age, max_age] (staggered first purchases).
  std::vector<processors::churn::CustomerSummary> Cohort(int n, double min_age, double max_age) {
    std::uniform_real_distribution<double> age(min_age, max_age);
    std::vector<processors::churn::CustomerSummary> out;
    out.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) out.push_back(Next(age(rng_)));
    return out;
  }

 private:
  std::mt19937_64 rng_;
  std::gamma_distribution<double> lambda_;  // shape r, scale 1 / alpha
  std::gamma_distribution<double> beta_a_;
  std::gamma_distribution<double> beta_b_;
};

}  // namespace churn_test
