#pragma once

// The Gauss hypergeometric function 2F1(a, b; c; z) for real arguments, as the BG/NBD
// expectations need it. Pure functions: no state, no allocation, no exceptions;
// thread-safe (log-gamma goes through the reentrant lgamma_r).
//
// How Hyp2F1 evaluates (docs/churn-model.md has the derivations):
//  - a or b a non-positive integer: the series terminates; summed for any z <= 1.
//  - z < 0: Pfaff, 2F1(a,b;c;z) = (1-z)^-a 2F1(a, c-b; c; z/(z-1)), maps z into [0, 1).
//  - 0 <= z <= 0.75: the power series, after Euler's transformation
//    2F1(a,b;c;z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z) when c-a-b < 0 and that makes the
//    parameters smaller (the transformed series is then finite at z = 1).
//  - 0.75 < z < 1: the same series if it converges within 1000 terms (it does when c
//    is large or z is not too close to 1). Otherwise, with c-a-b at least 0.05 away
//    from an integer, the connection formula in 1-z (Abramowitz & Stegun 15.3.6),
//    whose two series converge like 0.25^n; and otherwise the series up to
//    kMaxSeriesTerms terms, which converges like z^n and so reaches 1-z ~ 2e-5
//    (nullopt closer to 1).
//  - z = 1: Gauss's theorem, when c-a-b > 0.
// Every series stops once a bound on its remaining tail is below half an ulp of the
// sum, and is summed with Neumaier compensation.
//
// Accuracy: at 26 reference points computed with mpmath at 40 digits (every branch
// above; tests/processors/churn/bgnbd_test.cc) the relative error is at most 8e-16; the
// test asserts 1e-13. The connection formula's Gamma functions lose about |ln Gamma|
// ulps, so for large parameters the series is preferred. Accuracy degrades where the
// function itself is ill-conditioned: c near a non-positive integer, or parameters so
// large that the terms overflow (then nullopt rather than a wrong number).

#include <cstdint>
#include <optional>

namespace processors::churn {

// At most this many terms of one series are summed before giving up.
inline constexpr int64_t kMaxSeriesTerms = 2'000'000;

// 2F1(a, b; c; z). nullopt when an argument is not finite, z > 1, c is a non-positive
// integer, z = 1 with c-a-b <= 0, or a series did not converge within kMaxSeriesTerms.
std::optional<double> Hyp2F1(double a, double b, double c, double z);

// (2F1(a, b; c; z) - 1) / b, that is the sum over n >= 1 of
// (a)_n (b+1)_(n-1) / ((c)_n n!) z^n. Well defined at b = 0, where 2F1 - 1 vanishes;
// the BG/NBD expectations divide by (a-1) and use it to stay exact at a = 1.
// REQUIRES: 0 <= z < 1. nullopt outside that, for a non-positive integer c, or when
// the series did not converge within kMaxSeriesTerms.
std::optional<double> Hyp2F1MinusOneOverB(double a, double b, double c, double z);

}  // namespace processors::churn
