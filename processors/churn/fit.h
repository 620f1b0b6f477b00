#pragma once

// Maximum-likelihood estimation of the BG/NBD parameters, and the derivative-free
// Nelder-Mead minimiser it uses. Pure functions: no I/O, no randomness (the same
// input always gives the same fit), no exceptions; thread-safe.

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "ops/status.h"
#include "processors/churn/bgnbd.h"

namespace processors::churn {

struct NelderMeadOptions {
  int max_iterations = 5000;   // per run; a run that hits it is not converged
  double initial_step = 0.5;   // distance of the first simplex's vertices from start
  double x_tolerance = 1e-8;   // converged when every vertex is this close to the best,
  double f_tolerance = 1e-12;  // and every value this close to the best value
};

struct NelderMeadResult {
  std::vector<double> x;  // the best vertex found
  double f = 0;           // f(x)
  int iterations = 0;
  int evaluations = 0;
  bool converged = false;  // false: max_iterations was reached first
};

// Minimises `f` from `start` with the Nelder-Mead simplex method (reflection 1,
// expansion 2, contraction 1/2, shrink 1/2; Lagarias et al. 1998). `f` may return
// +inf or NaN for points outside its domain; they are treated as +inf.
// REQUIRES: start is not empty.
NelderMeadResult NelderMead(const std::function<double(std::span<const double>)>& f,
                            std::span<const double> start, const NelderMeadOptions& options = {});

struct FitOptions {
  NelderMeadOptions nelder_mead;
  // Each start is re-run from its own result (a fresh simplex) until the
  // log-likelihood improves by less than this, at most kMaxRestarts times.
  double restart_tolerance = 1e-9;
};

struct FitResult {
  BgNbdParams params;
  double log_likelihood = 0;  // equation (7) at params
  int64_t n_customers = 0;
  int iterations = 0;      // Nelder-Mead iterations over all starts and restarts
  int starts = 0;          // how many starting points were tried
  bool converged = false;  // the best start's last run met the tolerances
};

// Fits (r, alpha, a, b) by maximising the BG/NBD log-likelihood of `customers`.
// Nelder-Mead runs over the log-parameters (so they stay positive) from several
// deterministic starting points scaled to the data's purchase rate, and the best
// result wins. Identical summaries are grouped first, so day-granular data fits fast.
// Errors: InvalidArgument for an empty input or an invalid summary (with its index);
// FailedPrecondition when nobody made a repeat purchase (the likelihood then has no
// maximum: r / alpha -> 0).
ops::Result<FitResult> FitBgNbd(std::span<const CustomerSummary> customers,
                                const FitOptions& options = {});

}  // namespace processors::churn
