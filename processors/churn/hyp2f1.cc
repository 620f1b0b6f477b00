#include "processors/churn/hyp2f1.h"

#include <math.h>  // lgamma_r: the reentrant log-gamma (std::lgamma writes signgam)

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <initializer_list>

namespace processors::churn {
namespace {

// A series stops once the bound on its tail is below this fraction of the sum.
constexpr double kTailTolerance = DBL_EPSILON / 2;
// At or below this z the power series needs at most ~130 terms (times a power of n).
constexpr double kDirectSeriesMaxZ = 0.75;
// Above kDirectSeriesMaxZ the power series is still tried first, with this budget: it
// is the more accurate method when it converges (large c makes it converge fast, while
// the connection formula's Gamma functions of large arguments lose ~|lgamma| ulps).
constexpr int64_t kQuickSeriesTerms = 1000;
// The connection formula divides by sin(pi (c-a-b)); closer than this to an integer,
// its two terms cancel badly and the power series is used instead.
constexpr double kMinIntegerGap = 0.05;

bool IsNonPositiveInteger(double v) { return v <= 0 && v == std::floor(v); }

double DistanceToInteger(double v) { return std::fabs(v - std::round(v)); }

// Compensated (Neumaier) summation: the error does not grow with the number of terms.
class CompensatedSum {
 public:
  void Add(double v) {
    const double t = sum_ + v;
    compensation_ += std::fabs(sum_) >= std::fabs(v) ? (sum_ - t) + v : (v - t) + sum_;
    sum_ = t;
  }
  double Value() const { return sum_ + compensation_; }

 private:
  double sum_ = 0;
  double compensation_ = 0;
};

// The ratio of consecutive series terms, without z: (a+n)(b+n) / ((c+n)(n+1)).
double TermRatio(double a, double b, double c, double n) {
  return (a + n) * (b + n) / ((c + n) * (n + 1));
}

// The index past which TermRatio is monotone: the largest real root of the numerator of
// its derivative, -k n^2 - 2 m n + (k c - m (c+1)), with k = a+b-c-1 and m = ab-c.
double LastTurningPoint(double a, double b, double c) {
  const double k = a + b - c - 1;
  const double m = a * b - c;
  const double qa = -k;
  const double qb = -2 * m;
  const double qc = k * c - m * (c + 1);
  if (qa == 0) return qb == 0 ? 0 : -qc / qb;
  const double disc = qb * qb - 4 * qa * qc;
  if (disc < 0) return 0;
  const double root = std::sqrt(disc);
  return std::max((-qb + root) / (2 * qa), (-qb - root) / (2 * qa));
}

// Sums t_n over n >= n0, where t_n0 = first and t_(n+1) = t_n TermRatio(n) z.
// Past `settle` every factor is positive and TermRatio is monotone, so the ratios of
// all later terms are at most q = z max(TermRatio, 1) and the tail after t is at most
// |t| q / (1-q); the sum stops when that is below kTailTolerance of the sum.
std::optional<double> SumSeries(double a, double b, double c, double z, int64_t n0, double first,
                                int64_t max_terms = kMaxSeriesTerms) {
  CompensatedSum sum;
  sum.Add(first);
  double term = first;
  const double settle = std::max({-a, -b, -c, LastTurningPoint(a, b, c), 0.0}) + 1;
  const double abs_z = std::fabs(z);
  for (int64_t n = n0; n < n0 + max_terms; ++n) {
    if (term == 0) return sum.Value();  // terminated (a or b = -n), or underflowed
    const auto dn = static_cast<double>(n);
    term *= TermRatio(a, b, c, dn) * z;
    sum.Add(term);
    if (dn + 1 < settle) continue;
    const double q = abs_z * std::max(std::fabs(TermRatio(a, b, c, dn + 1)), 1.0);
    if (q >= 1) continue;
    if (std::fabs(term) * q / (1 - q) <= kTailTolerance * std::fabs(sum.Value())) {
      return sum.Value();
    }
  }
  return std::nullopt;
}

std::optional<double> PowerSeries(double a, double b, double c, double z,
                                  int64_t max_terms = kMaxSeriesTerms) {
  return SumSeries(a, b, c, z, 0, 1.0, max_terms);
}

// Gamma(num...) / Gamma(den...); 0 when a denominator sits on a pole of Gamma.
// REQUIRES: no numerator is a non-positive integer.
double GammaRatio(std::initializer_list<double> num, std::initializer_list<double> den) {
  double log_abs = 0;
  int sign = 1;
  for (double v : den) {
    if (IsNonPositiveInteger(v)) return 0;
    int s = 1;
    log_abs -= lgamma_r(v, &s);
    sign *= s;
  }
  for (double v : num) {
    int s = 1;
    log_abs += lgamma_r(v, &s);
    sign *= s;
  }
  return sign * std::exp(log_abs);
}

// Abramowitz & Stegun 15.3.6, for 0 < z < 1 and s = c-a-b not an integer:
//   2F1(a,b;c;z) = G(c)G(s)/(G(c-a)G(c-b)) 2F1(a, b; 1-s; 1-z)
//                + (1-z)^s G(c)G(-s)/(G(a)G(b)) 2F1(c-a, c-b; 1+s; 1-z).
std::optional<double> ConnectionInOneMinusZ(double a, double b, double c, double z) {
  const double s = c - a - b;
  const double w = 1 - z;
  const double g1 = GammaRatio({c, s}, {c - a, c - b});
  const double g2 = GammaRatio({c, -s}, {a, b});
  double total = 0;
  if (g1 != 0) {
    auto f1 = PowerSeries(a, b, 1 - s, w);
    if (!f1) return std::nullopt;
    total += g1 * *f1;
  }
  if (g2 != 0) {
    auto f2 = PowerSeries(c - a, c - b, 1 + s, w);
    if (!f2) return std::nullopt;
    total += g2 * std::pow(w, s) * *f2;
  }
  return total;
}

// Euler: 2F1(a,b;c;z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z). Used when c-a-b < 0 (the
// original grows without bound at z = 1, the transformed one does not) and the
// transformed parameters are smaller, so its terms are smaller too.
std::optional<double> SeriesMaybeEuler(double a, double b, double c, double z,
                                       int64_t max_terms = kMaxSeriesTerms) {
  const double s = c - a - b;
  if (s < 0 && std::fabs(c - a) + std::fabs(c - b) < std::fabs(a) + std::fabs(b)) {
    auto f = PowerSeries(c - a, c - b, c, z, max_terms);
    if (!f) return std::nullopt;
    return std::pow(1 - z, s) * *f;
  }
  return PowerSeries(a, b, c, z, max_terms);
}

// REQUIRES: 0 <= z < 1.
std::optional<double> Hyp2F1NonNegative(double a, double b, double c, double z) {
  if (z <= kDirectSeriesMaxZ) return SeriesMaybeEuler(a, b, c, z);
  if (auto quick = SeriesMaybeEuler(a, b, c, z, kQuickSeriesTerms)) return quick;
  if (DistanceToInteger(c - a - b) >= kMinIntegerGap) return ConnectionInOneMinusZ(a, b, c, z);
  return SeriesMaybeEuler(a, b, c, z);
}

// Pfaff: 2F1(a,b;c;z) = (1-z)^-a 2F1(a, c-b; c; z/(z-1)), or the same with a and b
// swapped; picks the one with the smaller series parameters. REQUIRES: z < 0.
std::optional<double> Hyp2F1Negative(double a, double b, double c, double z) {
  if (std::fabs(c - a) + std::fabs(b) < std::fabs(a) + std::fabs(c - b)) std::swap(a, b);
  const double w = z / (z - 1);
  auto f = Hyp2F1NonNegative(a, c - b, c, w);
  if (!f) return std::nullopt;
  return std::pow(1 - z, -a) * *f;
}

std::optional<double> Finite(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return std::nullopt;
  return v;
}

}  // namespace

std::optional<double> Hyp2F1(double a, double b, double c, double z) {
  if (!std::isfinite(a) || !std::isfinite(b) || !std::isfinite(c) || !std::isfinite(z)) {
    return std::nullopt;
  }
  if (IsNonPositiveInteger(c) || z > 1) return std::nullopt;
  if (IsNonPositiveInteger(a) || IsNonPositiveInteger(b)) {
    return Finite(PowerSeries(a, b, c, z));  // a polynomial in z
  }
  if (z == 1) {  // Gauss's theorem
    if (c - a - b <= 0) return std::nullopt;
    return Finite(GammaRatio({c, c - a - b}, {c - a, c - b}));
  }
  if (z < 0) return Finite(Hyp2F1Negative(a, b, c, z));
  return Finite(Hyp2F1NonNegative(a, b, c, z));
}

std::optional<double> Hyp2F1MinusOneOverB(double a, double b, double c, double z) {
  if (!std::isfinite(a) || !std::isfinite(b) || !std::isfinite(c) || !std::isfinite(z)) {
    return std::nullopt;
  }
  if (IsNonPositiveInteger(c) || z < 0 || z >= 1) return std::nullopt;
  // Its terms are those of 2F1 divided by b, starting at n = 1: t_1 = a z / c.
  return Finite(SumSeries(a, b, c, z, 1, a * z / c));
}

}  // namespace processors::churn
