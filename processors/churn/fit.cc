#include "processors/churn/fit.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>

#include "fmt/format.h"

namespace processors::churn {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Nelder-Mead coefficients (the standard choice).
constexpr double kReflect = 1.0;
constexpr double kExpand = 2.0;
constexpr double kContract = 0.5;
constexpr double kShrink = 0.5;

// The fit keeps every log-parameter within +-this (parameters within e^+-30); outside,
// the objective is +inf. No real purchase log gets near it.
constexpr double kMaxAbsLogParam = 30.0;
// A start is re-run from its own result at most this many times.
constexpr int kMaxRestarts = 5;

// Starting points as (r, a, b); alpha is set so that r / alpha, the mean purchase
// rate, matches the data's repeat-purchase rate, which makes them unit-free.
struct Start {
  double r, a, b;
};
constexpr std::array<Start, 3> kStarts = {{{1.0, 1.0, 1.0}, {0.5, 0.5, 3.0}, {2.0, 2.0, 8.0}}};

struct Vertex {
  std::vector<double> x;
  double f = kInf;
};

using Objective = std::function<double(std::span<const double>)>;

// Counts evaluations and maps NaN to +inf.
class CountingObjective {
 public:
  explicit CountingObjective(const Objective& f) : f_(f) {}
  Vertex At(std::vector<double> x) {
    ++evaluations_;
    double value = f_(x);
    if (std::isnan(value)) value = kInf;
    return {std::move(x), value};
  }
  int evaluations() const { return evaluations_; }

 private:
  const Objective& f_;
  int evaluations_ = 0;
};

// from + t (to - from).
std::vector<double> Along(const std::vector<double>& from, const std::vector<double>& to,
                          double t) {
  std::vector<double> out(from.size());
  for (size_t i = 0; i < from.size(); ++i) out[i] = from[i] + t * (to[i] - from[i]);
  return out;
}

// The centroid of every vertex but the worst (the last after sorting).
std::vector<double> Centroid(const std::vector<Vertex>& simplex) {
  const size_t n = simplex.size() - 1;
  std::vector<double> c(simplex[0].x.size(), 0.0);
  for (size_t v = 0; v < n; ++v) {
    for (size_t i = 0; i < c.size(); ++i) c[i] += simplex[v].x[i];
  }
  for (double& ci : c) ci /= static_cast<double>(n);
  return c;
}

void SortByValue(std::vector<Vertex>& simplex) {
  std::stable_sort(simplex.begin(), simplex.end(),
                   [](const Vertex& l, const Vertex& r) { return l.f < r.f; });
}

bool Converged(const std::vector<Vertex>& simplex, const NelderMeadOptions& options) {
  const Vertex& best = simplex.front();
  for (size_t v = 1; v < simplex.size(); ++v) {
    if (!(std::fabs(simplex[v].f - best.f) <= options.f_tolerance)) return false;
    for (size_t i = 0; i < best.x.size(); ++i) {
      if (std::fabs(simplex[v].x[i] - best.x[i]) > options.x_tolerance) return false;
    }
  }
  return true;
}

void Shrink(std::vector<Vertex>& simplex, CountingObjective& f) {
  for (size_t v = 1; v < simplex.size(); ++v) {
    simplex[v] = f.At(Along(simplex[0].x, simplex[v].x, kShrink));
  }
}

// One Nelder-Mead step on a sorted simplex: replaces the worst vertex, or shrinks.
void Step(std::vector<Vertex>& simplex, CountingObjective& f) {
  const size_t n = simplex.size() - 1;
  Vertex& worst = simplex[n];
  const std::vector<double> c = Centroid(simplex);
  Vertex reflected = f.At(Along(c, worst.x, -kReflect));
  if (reflected.f < simplex[0].f) {
    Vertex expanded = f.At(Along(c, worst.x, -kReflect * kExpand));
    worst = expanded.f < reflected.f ? std::move(expanded) : std::move(reflected);
    return;
  }
  if (reflected.f < simplex[n - 1].f) {
    worst = std::move(reflected);
    return;
  }
  if (reflected.f < worst.f) {  // outside contraction
    Vertex contracted = f.At(Along(c, worst.x, -kReflect * kContract));
    if (contracted.f <= reflected.f) {
      worst = std::move(contracted);
      return;
    }
  } else {  // inside contraction
    Vertex contracted = f.At(Along(c, worst.x, kContract));
    if (contracted.f < worst.f) {
      worst = std::move(contracted);
      return;
    }
  }
  Shrink(simplex, f);
}

// Sorts the summaries and merges identical ones into counted groups.
std::vector<SummaryGroup> Group(std::span<const CustomerSummary> customers) {
  std::vector<CustomerSummary> sorted(customers.begin(), customers.end());
  auto key = [](const CustomerSummary& s) { return std::tie(s.x, s.t_x, s.T); };
  std::sort(sorted.begin(), sorted.end(),
            [&](const CustomerSummary& l, const CustomerSummary& r) { return key(l) < key(r); });
  std::vector<SummaryGroup> groups;
  for (const auto& s : sorted) {
    if (!groups.empty() && key(groups.back().summary) == key(s)) {
      ++groups.back().count;
    } else {
      groups.push_back({s, 1});
    }
  }
  return groups;
}

BgNbdParams FromLog(std::span<const double> theta) {
  return {std::exp(theta[0]), std::exp(theta[1]), std::exp(theta[2]), std::exp(theta[3])};
}

ops::Status Validate(std::span<const CustomerSummary> customers) {
  if (customers.empty()) return ops::Status::InvalidArgument("no customers to fit");
  for (size_t i = 0; i < customers.size(); ++i) {
    const auto& s = customers[i];
    if (!IsValid(s)) {
      return ops::Status::InvalidArgument(
          fmt::format("customer {}: invalid summary (x={}, t_x={}, T={})", i, s.x, s.t_x, s.T));
    }
  }
  return ops::Status::Ok();
}

// Runs Nelder-Mead from `start`, then again from each result until it stops improving.
NelderMeadResult RunWithRestarts(const Objective& objective, std::vector<double> start,
                                 const FitOptions& options, double n_customers) {
  NelderMeadResult best = NelderMead(objective, start, options.nelder_mead);
  int iterations = best.iterations;
  for (int i = 0; i < kMaxRestarts; ++i) {
    NelderMeadResult again = NelderMead(objective, best.x, options.nelder_mead);
    iterations += again.iterations;
    const double gain = (best.f - again.f) * n_customers;  // in log-likelihood units
    if (again.f < best.f) best = std::move(again);
    if (!(gain > options.restart_tolerance)) break;
  }
  best.iterations = iterations;
  return best;
}

}  // namespace

NelderMeadResult NelderMead(const Objective& f, std::span<const double> start,
                            const NelderMeadOptions& options) {
  CountingObjective objective(f);
  std::vector<Vertex> simplex;
  simplex.push_back(objective.At({start.begin(), start.end()}));
  for (size_t i = 0; i < start.size(); ++i) {
    std::vector<double> x(start.begin(), start.end());
    x[i] += options.initial_step;
    simplex.push_back(objective.At(std::move(x)));
  }
  NelderMeadResult result;
  SortByValue(simplex);
  for (; result.iterations < options.max_iterations; ++result.iterations) {
    if (Converged(simplex, options)) {
      result.converged = true;
      break;
    }
    Step(simplex, objective);
    SortByValue(simplex);
  }
  result.x = simplex.front().x;
  result.f = simplex.front().f;
  result.evaluations = objective.evaluations();
  return result;
}

ops::Result<FitResult> FitBgNbd(std::span<const CustomerSummary> customers,
                                const FitOptions& options) {
  ENGAGED_RETURN_IF_ERROR(Validate(customers));
  double total_x = 0;
  double total_age = 0;
  for (const auto& s : customers) {
    total_x += static_cast<double>(s.x);
    total_age += s.T;
  }
  if (total_x == 0 || total_age == 0) {
    return ops::Status::FailedPrecondition(
        "no repeat purchases in the calibration period: the BG/NBD model cannot be fitted");
  }
  const std::vector<SummaryGroup> groups = Group(customers);
  const auto n = static_cast<double>(customers.size());
  // The mean negative log-likelihood per customer, over log-parameters.
  const Objective objective = [&](std::span<const double> theta) {
    for (double t : theta) {
      if (!(std::fabs(t) <= kMaxAbsLogParam)) return kInf;
    }
    return -TotalLogLikelihood(FromLog(theta), std::span<const SummaryGroup>(groups)) / n;
  };
  const double rate = total_x / total_age;
  FitResult fit;
  NelderMeadResult best;
  best.f = kInf;
  for (const Start& s : kStarts) {
    std::vector<double> start = {std::log(s.r), std::log(s.r / rate), std::log(s.a), std::log(s.b)};
    NelderMeadResult run = RunWithRestarts(objective, std::move(start), options, n);
    fit.iterations += run.iterations;
    ++fit.starts;
    if (run.f < best.f) best = std::move(run);
  }
  if (!std::isfinite(best.f)) {
    return ops::Status::Internal("the BG/NBD log-likelihood is not finite at any start");
  }
  fit.params = FromLog(best.x);
  fit.log_likelihood = TotalLogLikelihood(fit.params, customers);
  fit.n_customers = static_cast<int64_t>(customers.size());
  fit.converged = best.converged;
  return fit;
}

}  // namespace processors::churn
