#include "processors/churn/bgnbd.h"

#include <math.h>  // lgamma_r: the reentrant log-gamma (std::lgamma writes signgam)

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "processors/churn/hyp2f1.h"

namespace processors::churn {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// TotalLogLikelihood caches the x-dependent terms in a vector indexed by x up to this;
// beyond it (absurd for purchase counts) it computes them per customer.
constexpr int64_t kMaxCachedX = int64_t{1} << 20;

bool PositiveFinite(double v) { return std::isfinite(v) && v > 0; }

// ln Gamma(v) for v > 0.
double LogGamma(double v) {
  int sign = 1;
  return lgamma_r(v, &sign);
}

// ln(e^u + e^v) without overflow or underflow.
double LogSumExp(double u, double v) {
  const double hi = std::max(u, v);
  const double lo = std::min(u, v);
  return hi + std::log1p(std::exp(lo - hi));
}

// ln A1 + ln A2 of equation (6): the terms that depend on x only.
//   A1 = Gamma(r+x) alpha^r / Gamma(r)
//   A2 = Gamma(a+b) Gamma(b+x) / (Gamma(b) Gamma(a+b+x))
double LogA1A2(const BgNbdParams& p, int64_t x) {
  const auto xd = static_cast<double>(x);
  return LogGamma(p.r + xd) - LogGamma(p.r) + p.r * std::log(p.alpha) + LogGamma(p.a + p.b) +
         LogGamma(p.b + xd) - LogGamma(p.b) - LogGamma(p.a + p.b + xd);
}

// ln(A3 + [x > 0] A4) of equation (6):
//   A3 = (alpha + T)^-(r+x),  A4 = a / (b + x - 1) (alpha + t_x)^-(r+x).
double LogA3PlusA4(const BgNbdParams& p, const CustomerSummary& s) {
  const double rx = p.r + static_cast<double>(s.x);
  const double log_a3 = -rx * std::log(p.alpha + s.T);
  if (s.x == 0) return log_a3;
  const double log_a4 =
      std::log(p.a) - std::log(p.b + static_cast<double>(s.x) - 1) - rx * std::log(p.alpha + s.t_x);
  return LogSumExp(log_a3, log_a4);
}

// ln of the odds that the customer is dead: ln(a / (b+x-1)) + (r+x) ln((alpha+T)/(alpha+t_x)).
// REQUIRES: x > 0.
double LogOddsDead(const BgNbdParams& p, const CustomerSummary& s) {
  const auto xd = static_cast<double>(s.x);
  return std::log(p.a / (p.b + xd - 1)) +
         (p.r + xd) * std::log1p((s.T - s.t_x) / (p.alpha + s.t_x));
}

// The common core of equations (9) and (10):
//   D = [1 - (1-z)^(r+x) 2F1(r+x, b+x; c; z)] / (a-1),  c = a+b+x-1,
// where the factor (1-z)^(r+x) is (alpha/(alpha+t))^r in (9) and
// ((alpha+T)/(alpha+T+t))^(r+x) in (10). Euler's transformation turns the product into
// (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z), whose parameters do not grow with x, and
// writing that 2F1 as 1 + (a-1) G, G = Hyp2F1MinusOneOverB, gives
//   D = -expm1((a-1) ln(1-z)) / (a-1) - (1-z)^(a-1) G,
// which has no 0/0 at a = 1 (the first term tends to -ln(1-z)).
// `log_one_minus_z` is ln(1-z), passed in because callers get it more accurately.
double ExpectationCore(const BgNbdParams& p, double c, double z, double log_one_minus_z) {
  const double q = p.a - 1;
  const double first = q == 0 ? -log_one_minus_z : -std::expm1(q * log_one_minus_z) / q;
  auto g = Hyp2F1MinusOneOverB(p.a + p.b - 1 - p.r, q, c, z);
  if (!g) return kNaN;
  return first - std::exp(q * log_one_minus_z) * *g;
}

const CustomerSummary& SummaryOf(const CustomerSummary& s) { return s; }
const CustomerSummary& SummaryOf(const SummaryGroup& g) { return g.summary; }
double CountOf(const CustomerSummary&) { return 1; }
double CountOf(const SummaryGroup& g) { return static_cast<double>(g.count); }

// The sum of count * ln L over customers or groups, with ln A1 + ln A2 cached per x.
template <typename Item>
double SumLogLikelihood(const BgNbdParams& params, std::span<const Item> items) {
  if (!IsValid(params)) return kNaN;
  int64_t max_x = 0;
  for (const auto& item : items) {
    if (!IsValid(SummaryOf(item)) || CountOf(item) < 1) return kNaN;
    max_x = std::max(max_x, SummaryOf(item).x);
  }
  const bool cached = max_x < kMaxCachedX;
  std::vector<double> by_x(cached ? static_cast<size_t>(max_x) + 1 : 0, kNaN);
  double total = 0;
  for (const auto& item : items) {
    const CustomerSummary& s = SummaryOf(item);
    double a1a2 = 0;
    if (cached) {
      double& slot = by_x[static_cast<size_t>(s.x)];
      if (std::isnan(slot)) slot = LogA1A2(params, s.x);
      a1a2 = slot;
    } else {
      a1a2 = LogA1A2(params, s.x);
    }
    total += CountOf(item) * (a1a2 + LogA3PlusA4(params, s));
  }
  return total;
}

}  // namespace

bool IsValid(const BgNbdParams& p) {
  return PositiveFinite(p.r) && PositiveFinite(p.alpha) && PositiveFinite(p.a) &&
         PositiveFinite(p.b);
}

bool IsValid(const CustomerSummary& s) {
  return s.x >= 0 && std::isfinite(s.t_x) && std::isfinite(s.T) && s.t_x >= 0 && s.t_x <= s.T &&
         (s.x > 0 || s.t_x == 0);
}

double LogLikelihood(const BgNbdParams& params, const CustomerSummary& s) {
  if (!IsValid(params) || !IsValid(s)) return kNaN;
  return LogA1A2(params, s.x) + LogA3PlusA4(params, s);
}

double TotalLogLikelihood(const BgNbdParams& params, std::span<const CustomerSummary> customers) {
  return SumLogLikelihood(params, customers);
}

double TotalLogLikelihood(const BgNbdParams& params, std::span<const SummaryGroup> groups) {
  return SumLogLikelihood(params, groups);
}

double ProbabilityAlive(const BgNbdParams& params, const CustomerSummary& s) {
  if (!IsValid(params) || !IsValid(s)) return kNaN;
  if (s.x == 0) return 1.0;
  return 1.0 / (1.0 + std::exp(LogOddsDead(params, s)));
}

double ExpectedTransactions(const BgNbdParams& params, double t) {
  if (!IsValid(params) || !std::isfinite(t) || t < 0) return kNaN;
  const double c = params.a + params.b - 1;
  const double z = t / (params.alpha + t);
  const double log_one_minus_z = -std::log1p(t / params.alpha);
  return c * ExpectationCore(params, c, z, log_one_minus_z);
}

double ConditionalExpectedTransactions(const BgNbdParams& params, const CustomerSummary& s,
                                       double t) {
  if (!IsValid(params) || !IsValid(s) || !std::isfinite(t) || t < 0) return kNaN;
  const double c = params.a + params.b + static_cast<double>(s.x) - 1;
  const double age = params.alpha + s.T;
  const double z = t / (age + t);
  const double log_one_minus_z = -std::log1p(t / age);
  // The denominator of (10), 1 + [x > 0] a/(b+x-1) (...)^(r+x), is 1 / P(alive).
  return c * ExpectationCore(params, c, z, log_one_minus_z) * ProbabilityAlive(params, s);
}

}  // namespace processors::churn
