#pragma once

// Forward decay (Cormode, Shkapenyuk, Srivastava & Xu, "Forward Decay: A Practical
// Time Decay Model for Streaming Systems", ICDE 2009) for the counters of
// state::DecayedCounters. Pure functions; thread-safe; no allocation.
//
// An event at time t_i adds g(t_i) = 2^((t_i − L)/h) to a sum kept against the
// landmark L; the decayed count at query time t is sum · 2^(−(t − L)/h), which equals
// Σ_i 2^(−(t − t_i)/h) exactly, whatever order the events arrived in. That is why a
// late event needs no special case: its weight depends on its own time only.
//
// 2^x is FastExp2: x = n + j/64 + r with integer n, j in [0, 64) and r in [0, 1/64);
// 2^x = 2^n · T[j] · e^(r·ln 2), T a 64-entry table computed at compile time and e^u a
// degree-6 Taylor polynomial (u < ln2/64 ≈ 0.0108, so the truncation error is below
// u^7/7! < 4e-18). The result is within 4 ulp (< 1e-15 relative) of 2^x for
// −1022 <= x <= 1023; below that it returns 0 (a weight below 2^−1022 is nothing),
// above it +inf (never reached: see the landmark bound below).
//
// Overflow: g grows as 2^((t − L)/h). When an event is more than kRenormHalfLives
// half-lives (of the shortest one) past the landmark, Renormalise moves the landmark to
// the event's UTC day and multiplies every sum by 2^(−ΔL/h); the sums therefore stay
// below 2^kRenormHalfLives · (events) and never overflow a double. Each
// renormalisation adds one rounding (≤ 1 ulp) per sum.
//
// Error bound (tested in tests/processors/decay_test.cc against a brute-force
// Σ 2^(−(t − t_i)/h) in long double): the relative error of a decayed value is at most
// (n_renormalisations + 2) · 4 ulp + |x| · 2^−52 · ln 2 from rounding x = Δ/h, i.e.
// below 1e-13 for any realistic history, far inside the 1e-9 the tests demand.

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

#include "state/customer_state.h"
#include "state/types.h"

namespace processors {

// An event further than this many (shortest) half-lives past the landmark moves it.
inline constexpr double kRenormHalfLives = 64;

namespace decay_internal {

inline constexpr int kTableBits = 6;
inline constexpr int kTableSize = 1 << kTableBits;
inline constexpr long double kLn2 = 0.693147180559945309417232121458176568L;
inline constexpr int kDoubleExponentBias = 1023;
inline constexpr int kDoubleMantissaBits = 52;
inline constexpr double kMinExponent = -1022;
inline constexpr double kMaxExponent = 1023;

// e^x by its Taylor series in long double; exact to long double precision for
// 0 <= x <= 1 (used at compile time only).
constexpr long double ExpTaylor(long double x) {
  constexpr int kTerms = 30;
  long double sum = 1, term = 1;
  for (int n = 1; n < kTerms; ++n) {
    term *= x / n;
    sum += term;
  }
  return sum;
}

// T[j] = 2^(j/64).
constexpr std::array<double, kTableSize> MakeTable() {
  std::array<double, kTableSize> t{};
  for (int j = 0; j < kTableSize; ++j) {
    t[j] = static_cast<double>(ExpTaylor(kLn2 * j / kTableSize));
  }
  return t;
}
inline constexpr std::array<double, kTableSize> kTable = MakeTable();

}  // namespace decay_internal

// 2^x; see the header comment for the error bound.
inline double FastExp2(double x) {
  using namespace decay_internal;
  if (!(x >= kMinExponent)) return 0;  // also NaN
  if (x > kMaxExponent) return HUGE_VAL;
  const double n = std::floor(x);
  const double f = x - n;  // [0, 1)
  const int j = static_cast<int>(f * kTableSize);
  const double u = (f - static_cast<double>(j) / kTableSize) * static_cast<double>(kLn2);
  constexpr double c2 = 1.0 / 2, c3 = 1.0 / 6, c4 = 1.0 / 24, c5 = 1.0 / 120, c6 = 1.0 / 720;
  const double p = 1 + u * (1 + u * (c2 + u * (c3 + u * (c4 + u * (c5 + u * c6)))));
  const uint64_t bits = static_cast<uint64_t>(static_cast<int64_t>(n) + kDoubleExponentBias)
                        << kDoubleMantissaBits;
  return kTable[j] * p * std::bit_cast<double>(bits);
}

// The per-half-life constants of one configuration. Immutable; thread-safe.
struct HalfLives {
  int count = 0;                                      // half-lives in use
  std::array<uint16_t, state::kMaxHalfLives> days{};  // as configured, days
  std::array<double, state::kMaxHalfLives> inv_ms{};  // 1 / half-life, 1/ms
  double renorm_after_ms = 0;  // kRenormHalfLives × the shortest half-life, ms
};

// REQUIRES: 1 <= days.size() <= kMaxHalfLives; every entry in [1, 65535].
template <typename Range>
HalfLives MakeHalfLives(const Range& days) {
  HalfLives h;
  double shortest = 0;
  for (const auto d : days) {
    const double ms = static_cast<double>(d) * state::kMsPerDay;
    h.days[h.count] = static_cast<uint16_t>(d);
    h.inv_ms[h.count] = 1.0 / ms;
    shortest = h.count == 0 ? ms : std::min(shortest, ms);
    ++h.count;
  }
  h.renorm_after_ms = kRenormHalfLives * shortest;
  return h;
}

// The weights 2^((t − L)/h_k) of an event at `t`, one per half-life in use.
inline std::array<double, state::kMaxHalfLives> Weights(const HalfLives& h, state::TimeMs landmark,
                                                        state::TimeMs t) {
  std::array<double, state::kMaxHalfLives> w{};
  const auto delta = static_cast<double>(t.value() - landmark.value());
  for (int k = 0; k < h.count; ++k) w[k] = FastExp2(delta * h.inv_ms[k]);
  return w;
}

// The factor 2^(−(t − L)/h_k) that turns a sum into the decayed value at `t`.
inline double DecayFactor(const HalfLives& h, int k, state::TimeMs landmark, state::TimeMs t) {
  return FastExp2(-static_cast<double>(t.value() - landmark.value()) * h.inv_ms[k]);
}

// Makes `c` use the half-lives `h`: sums kept with a half-life that `h` also has move
// to its slot, the others are dropped, new ones start at 0 (they then count events
// from now on). A no-op when `c` already matches (the common case).
void AdoptHalfLives(const HalfLives& h, state::DecayedCounters& c);

// Moves the landmark forward to `t`'s UTC day when `t` is more than
// h.renorm_after_ms past it, rescaling every sum. A no-op otherwise.
void MaybeRenormalise(const HalfLives& h, state::TimeMs t, state::DecayedCounters& c);

// The UTC day of `t`: days since 1970-01-01, rounding towards −infinity.
inline int64_t UtcDay(state::TimeMs t) {
  const int64_t ms = t.value();
  return ms >= 0 ? ms / state::kMsPerDay : -((-ms + state::kMsPerDay - 1) / state::kMsPerDay);
}

}  // namespace processors
