#pragma once

// The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting your
// customers the easy way: an alternative to the Pareto/NBD model", Marketing Science
// 24(2)). While alive, a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after
// each purchase they drop out for good with probability p ~ Beta(a, b).
//
// Pure functions over value types: no I/O, no allocation beyond TotalLogLikelihood's
// scratch vector, no exceptions; thread-safe. Times are in the model's time unit (days
// or weeks), the same for the parameters and the summaries. Equation numbers refer to
// the paper; docs/churn-model.md has the formulas.

#include <cstdint>
#include <span>

namespace processors::churn {

// The four population parameters. All must be positive and finite (IsValid).
struct BgNbdParams {
  double r = 0;      // shape of the Gamma distribution of purchase rates
  double alpha = 0;  // scale of that Gamma, in time units (its mean rate is r / alpha)
  double a = 0;      // Beta distribution of the dropout probability p
  double b = 0;      // (mean p = a / (a + b))
};

// One customer's calibration-period history. Time 0 is their first purchase.
struct CustomerSummary {
  int64_t x = 0;   // repeat transactions: purchases after the first; >= 0
  double t_x = 0;  // time of the last purchase; 0 when x = 0; 0 <= t_x <= T
  double T = 0;    // age: time from the first purchase to the end of calibration
};

// True when every parameter is finite and positive.
bool IsValid(const BgNbdParams& p);
// True when x >= 0, 0 <= t_x <= T, t_x = 0 when x = 0, and all are finite.
bool IsValid(const CustomerSummary& s);

// ln L(r, alpha, a, b | x, t_x, T), equation (6), in log space:
//   ln A1 + ln A2 + ln(A3 + [x > 0] A4), the last term by log-sum-exp.
// Finite for any valid input, including x in the millions.
// REQUIRES: IsValid(params) and IsValid(s); otherwise NaN.
double LogLikelihood(const BgNbdParams& params, const CustomerSummary& s);

// A customer history shared by `count` customers (day-granular logs repeat many).
struct SummaryGroup {
  CustomerSummary summary;
  int64_t count = 1;  // >= 1
};

// The sum of LogLikelihood over `customers` (equation (7)). The Gamma-function terms
// depend only on x and are computed once per distinct x. NaN if any input is invalid.
double TotalLogLikelihood(const BgNbdParams& params, std::span<const CustomerSummary> customers);
// The same over groups: each group's log-likelihood counts `count` times.
double TotalLogLikelihood(const BgNbdParams& params, std::span<const SummaryGroup> groups);

// P(alive | x, t_x, T): the probability that the customer has not dropped out by T,
//   1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)),
// evaluated as a logistic of a log-odds, so it never overflows.
// REQUIRES: valid inputs; otherwise NaN.
double ProbabilityAlive(const BgNbdParams& params, const CustomerSummary& s);

// E[X(t)]: the expected number of repeat transactions of a new customer in (0, t],
// equation (9). REQUIRES: valid params, t >= 0; otherwise NaN. Also NaN when t is so
// large relative to alpha (t > ~5e4 alpha) that the 2F1 series does not converge, and
// at a + b = 1 exactly, where 2F1(...; a+b-1; ...) has a removable pole.
double ExpectedTransactions(const BgNbdParams& params, double t);

// E[Y(t) | x, t_x, T]: the expected number of transactions in (T, T + t] of a customer
// with this history, equation (10). REQUIRES: valid inputs and t >= 0; otherwise NaN.
// Also NaN for t > ~5e4 (alpha + T), where the 2F1 series does not converge, and for
// x = 0 when a + b = 1 exactly (as ExpectedTransactions).
double ConditionalExpectedTransactions(const BgNbdParams& params, const CustomerSummary& s,
                                       double t);

}  // namespace processors::churn
