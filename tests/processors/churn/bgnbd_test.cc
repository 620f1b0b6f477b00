#include "processors/churn/bgnbd.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "processors/churn/hyp2f1.h"
#include "tests/processors/churn/bgnbd_simulate.h"

namespace processors::churn {
namespace {

// The CDNOW estimates of the R package BTYD (the CDNOW README), in weeks.
constexpr BgNbdParams kCdnow{.r = 0.2425982, .alpha = 4.4136842, .a = 0.7929899, .b = 2.4261667};

double RelativeError(double got, double want) {
  return std::fabs(got - want) / std::max(std::fabs(want), std::numeric_limits<double>::min());
}

// ---- 2F1 -----------------------------------------------------------------------------

struct Hyp2F1Case {
  double a, b, c, z, want;
  double tolerance;  // relative
};

// References from mpmath.hyp2f1 at 40 significant digits (see docs/churn-model.md),
// covering each branch of Hyp2F1 (noted per row): the power series (z <= 0.75), the
// series tried first above 0.75 ("quick"), the 1-z connection formula, the long series
// for c-a-b near an integer, Euler, Pfaff for z < 0, Gauss at z = 1, and polynomials.
constexpr double kTight = 1e-13;
const Hyp2F1Case kHyp2F1Cases[] = {
    {0.5, 0.7, 1.3, 0.3, 1.097767974891362902, kTight},            // series
    {1.5, 2.5, 3.7, 0.8, 4.191310152324677371, kTight},            // quick, Euler
    {26.243, 28.426, 28.219, 0.6, 33237064884.615621921, kTight},  // Euler, BG/NBD-like
    {2.3, 1.1, 4.5, 0.95, 2.70958770633340634, kTight},            // quick
    {1.2, 0.8, 3.0, 0.97, 1.79679115597700327, kTight},            // quick, c-a-b = 1
    {0.5, 1.5, 2.0, 0.999, 4.8928107466753805023, kTight},         // long, c-a-b = 0
    {0.75, 1.25, 2.0, 0.9999, 8.436044375289749595, kTight},       // long, 3e5 terms
    {1.2, 0.8, 3.02, 0.9999, 1.9290473357339880493, kTight},       // long, c-a-b = 1.02
    {1.3, 2.7, 1.9, -0.7, 0.38425597233006346048, kTight},         // Pfaff
    {1.3, 2.7, 1.9, -15.0, 0.011482365400860725243, kTight},       // Pfaff, quick
    {1.3, 2.7, 1.9, -2000.0, 0.000018978423394354630829, kTight},  // Pfaff, connection
    {0.2, 0.3, 0.6, -0.999, 0.93029293618677483336, kTight},       // Pfaff
    {1.5, 0.5, 3.2, 1.0, 1.5856872045470272482, kTight},           // Gauss
    {-1.7, 2.2, 3.1, 0.85, 0.23570133428352272437, kTight},        // quick, a < 0
    {-1.7, 2.2, 3.1, 0.9995, 0.16501095352007561826, kTight},      // connection, a < 0
    {0.45, -0.2, 1500.0, 0.9, 0.9999459812039542379, kTight},      // quick, large c
    {0.45, -0.2, 1500.0, 0.999, 0.99994003683914327512, kTight},   // quick, large c
    {0.45, -0.2, 3.2, 0.6, 0.98141077581775671247, kTight},        // series
    {0.3, 0.4, -0.5, 0.5, 0.62350609253729467095, kTight},         // series, c < 0
    {5.0, 7.5, 2.5, 0.9, 93049600299.700509379, kTight},           // quick, large value
    {20.0, 25.0, 30.5, 0.4, 3828.8301482929841502, kTight},        // series, large a, b
    {3.0, -4.0, 2.5, -3.0, 388.67792207792207792, kTight},         // polynomial
    {2.3, 1.1, 4.5, 0.995, 3.2395070614162751646, kTight},         // connection, s > 0
    {1.5, 2.5, 3.7, 0.999, 66.552598123515308803, kTight},         // connection, s < 0
    {0.7, 0.4, 1.04, 0.9999, 4.9390675956630291159, kTight},       // connection
    {0.243, 2.426, 2.219, 0.9998, 22.148038782336891221, kTight},  // connection
};

TEST(Hyp2F1Test, MatchesMpmathReferences) {
  for (const auto& k : kHyp2F1Cases) {
    SCOPED_TRACE(testing::Message()
                 << "2F1(" << k.a << ", " << k.b << "; " << k.c << "; " << k.z << ")");
    auto got = Hyp2F1(k.a, k.b, k.c, k.z);
    ASSERT_TRUE(got.has_value());
    EXPECT_LE(RelativeError(*got, k.want), k.tolerance) << *got << " vs " << k.want;
  }
}

// 2F1(1, 1; 2; z) = -ln(1-z) / z, across every branch (c-a-b = 0 near z = 1).
TEST(Hyp2F1Test, MatchesLogClosedForm) {
  for (double z : {-50.0, -3.0, -0.5, 0.1, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999}) {
    SCOPED_TRACE(z);
    auto got = Hyp2F1(1, 1, 2, z);
    ASSERT_TRUE(got.has_value());
    EXPECT_LE(RelativeError(*got, -std::log1p(-z) / z), 1e-13);
  }
}

// 2F1(a, b; b; z) = (1-z)^-a: c-b = 0 puts a pole of Gamma in the connection formula.
TEST(Hyp2F1Test, MatchesPowerClosedForm) {
  for (double z : {-5.0, -0.3, 0.3, 0.8, 0.95, 0.995}) {
    SCOPED_TRACE(z);
    auto got = Hyp2F1(0.7, 2.3, 2.3, z);
    ASSERT_TRUE(got.has_value());
    EXPECT_LE(RelativeError(*got, std::pow(1 - z, -0.7)), 1e-13);
  }
}

// 2F1(1/2, 1/2; 3/2; x^2) = asin(x) / x.
TEST(Hyp2F1Test, MatchesArcsinClosedForm) {
  for (double x : {0.1, 0.5, 0.8, 0.9, 0.99}) {
    SCOPED_TRACE(x);
    auto got = Hyp2F1(0.5, 0.5, 1.5, x * x);
    ASSERT_TRUE(got.has_value());
    EXPECT_LE(RelativeError(*got, std::asin(x) / x), 1e-13);
  }
}

TEST(Hyp2F1Test, TerminatesForNonPositiveIntegerA) {
  const double b = 1.7, c = 2.9;
  for (double z : {-4.0, 0.5, 1.0}) {
    const double want = 1 - 2 * b * z / c + b * (b + 1) * z * z / (c * (c + 1));
    auto got = Hyp2F1(-2, b, c, z);
    ASSERT_TRUE(got.has_value());
    EXPECT_LE(RelativeError(*got, want), 1e-14) << z;
  }
}

TEST(Hyp2F1Test, RejectsArgumentsOutsideItsDomain) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(Hyp2F1(1, 1, 2, 1.5).has_value());   // z > 1
  EXPECT_FALSE(Hyp2F1(1, 1, -2, 0.5).has_value());  // c a pole
  EXPECT_FALSE(Hyp2F1(1, 1, 2, 1.0).has_value());   // diverges at z = 1
  EXPECT_FALSE(Hyp2F1(nan, 1, 2, 0.5).has_value());
  EXPECT_FALSE(Hyp2F1MinusOneOverB(1, 1, 2, 1.0).has_value());
  EXPECT_FALSE(Hyp2F1MinusOneOverB(1, 1, 2, -0.1).has_value());
}

// (2F1(a,b;c;z) - 1) / b, as the series sum_{n>=1} (a)_n (b+1)_{n-1} / ((c)_n n!) z^n
// summed by mpmath.nsum at 40 digits; b = 0 is the derivative in b.
TEST(Hyp2F1Test, MinusOneOverBMatchesMpmath) {
  const Hyp2F1Case cases[] = {
      {0.5, 0.0, 1.5, 0.5, 0.20024621999902325584, kTight},
      {2.219, -0.207, 2.219, 0.946, 2.1907279896647939501, kTight},
      {2.219, -0.207, 28.219, 0.6, 0.048484214001068557797, kTight},
      {1.2, 0.3, 2.5, 0.99, 1.0810658968707174893, kTight},
      {-0.4, 0.0, 3.0, 0.9, -0.13043018055816177364, kTight},
  };
  for (const auto& k : cases) {
    auto got = Hyp2F1MinusOneOverB(k.a, k.b, k.c, k.z);
    ASSERT_TRUE(got.has_value());
    EXPECT_LE(RelativeError(*got, k.want), k.tolerance) << k.a << " " << k.b << " " << k.z;
  }
}

TEST(Hyp2F1Test, MinusOneOverBAgreesWithHyp2F1) {
  for (double z : {0.2, 0.7, 0.95}) {
    auto f = Hyp2F1(0.6, 0.5, 2.2, z);
    auto g = Hyp2F1MinusOneOverB(0.6, 0.5, 2.2, z);
    ASSERT_TRUE(f && g);
    EXPECT_LE(RelativeError(*g, (*f - 1) / 0.5), 1e-13) << z;
  }
}

// ---- The model -----------------------------------------------------------------------

struct ModelCase {
  CustomerSummary s;
  double log_likelihood, p_alive, expected_52;
};

// ln L, P(alive) and E[Y(52)] at kCdnow, from the textbook formulas evaluated by
// mpmath at 60 digits (no transformations, so an independent check).
const ModelCase kModelCases[] = {
    {{0, 0, 38.86}, -0.55381164609484195741, 1.0, 0.25167084815425437898},
    {{2, 30.43, 38.86}, -9.4596761521250036604, 0.72660727415229475656, 1.5585633329364109436},
    {{26, 30.857143, 31}, -37.728439781113909645, 0.96885215425633517286, 25.756537831778011321},
    {{10, 20, 39}, -24.285135906871585158, 0.03812166922949970402, 0.34746024562624406005},
    {{1, 1.71, 38.86}, -4.4704589399106644952, 0.21223672900470700305, 0.25991768041325492178},
    {{150, 30, 39}, 60.071134032658636999, 1.324753734600064581e-13, 1.707793018252567291e-11},
    {{2000, 38, 39}, 5690.7650984736772287, 1.439885502464170142e-17, 2.46386605150097473e-14},
};

TEST(BgNbdTest, MatchesMpmathReferences) {
  for (const auto& k : kModelCases) {
    SCOPED_TRACE(testing::Message() << "x=" << k.s.x << " t_x=" << k.s.t_x << " T=" << k.s.T);
    EXPECT_LE(RelativeError(LogLikelihood(kCdnow, k.s), k.log_likelihood), 1e-12);
    EXPECT_LE(RelativeError(ProbabilityAlive(kCdnow, k.s), k.p_alive), 1e-12);
    EXPECT_LE(RelativeError(ConditionalExpectedTransactions(kCdnow, k.s, 52), k.expected_52),
              1e-11);
  }
}

// The figures the CDNOW README lists, each to the precision it is stated with.
TEST(BgNbdTest, MatchesCdnowReadmeFigures) {
  const CustomerSummary heavy{.x = 26, .t_x = 30.857143, .T = 31};
  EXPECT_NEAR(ProbabilityAlive(kCdnow, heavy), 0.96885, 0.000005);
  EXPECT_NEAR(ConditionalExpectedTransactions(kCdnow, heavy, 52), 25.7565, 0.00005);
  const CustomerSummary light{.x = 2, .t_x = 30.43, .T = 38.86};
  EXPECT_NEAR(ProbabilityAlive(kCdnow, light), 0.7266, 0.00005);
  EXPECT_NEAR(ConditionalExpectedTransactions(kCdnow, light, 39), 1.226, 0.0005);
}

TEST(BgNbdTest, ExpectedTransactionsMatchesReadme) {
  const double t[] = {1, 3, 32, 78};
  const double want[] = {0.0532, 0.1506, 1.0437, 1.858};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(ExpectedTransactions(kCdnow, t[i]), want[i], 0.001);
  // And to full precision against mpmath.
  EXPECT_LE(RelativeError(ExpectedTransactions(kCdnow, 78), 1.8579418800025615305), 1e-12);
  EXPECT_LE(RelativeError(ExpectedTransactions(kCdnow, 500), 4.8817853194451414148), 1e-12);
}

// A frequent buyer who went quiet is more likely gone than an infrequent one
// (t_x = 20, T = 39). Tolerances are half a unit in the README's last digit.
TEST(BgNbdTest, ShowsTheIncreasingFrequencyParadox) {
  struct Row {
    int64_t x;
    double p_alive, p_tolerance, expected, e_tolerance;
  };
  const Row rows[] = {{10, 0.03812, 5e-6, 0.34746, 5e-6},
                      {15, 0.003194, 5e-7, 0.042834, 5e-7},
                      {20, 0.000235, 5e-7, 0.0041590, 5e-8},
                      {25, 0.0000163, 5e-8, 0.00035837, 5e-9}};
  double previous = 1;
  for (const auto& row : rows) {
    const CustomerSummary s{.x = row.x, .t_x = 20, .T = 39};
    const double p = ProbabilityAlive(kCdnow, s);
    EXPECT_NEAR(p, row.p_alive, row.p_tolerance) << row.x;
    EXPECT_NEAR(ConditionalExpectedTransactions(kCdnow, s, 52), row.expected, row.e_tolerance)
        << row.x;
    EXPECT_LT(p, previous);
    previous = p;
  }
}

// Equation (10) as printed, with Hyp2F1 (no Euler, no division trick): must agree
// with the stable evaluation where both are well conditioned.
TEST(BgNbdTest, ConditionalExpectationAgreesWithTextbookFormula) {
  const auto& p = kCdnow;
  for (int64_t x : {0, 1, 3, 12, 30}) {
    const CustomerSummary s{.x = x, .t_x = x == 0 ? 0.0 : 25.0, .T = 35};
    for (double t : {1.0, 10.0, 52.0, 200.0}) {
      const double xd = static_cast<double>(x);
      const double z = t / (p.alpha + s.T + t);
      auto f = Hyp2F1(p.r + xd, p.b + xd, p.a + p.b + xd - 1, z);
      ASSERT_TRUE(f.has_value());
      const double textbook = (p.a + p.b + xd - 1) / (p.a - 1) *
                              (1 - std::pow((p.alpha + s.T) / (p.alpha + s.T + t), p.r + xd) * *f) *
                              ProbabilityAlive(p, s);
      EXPECT_LE(RelativeError(ConditionalExpectedTransactions(p, s, t), textbook), 1e-9)
          << "x=" << x << " t=" << t;
    }
  }
}

// A customer seen at their first purchase (x = 0, T = 0) is a new customer.
TEST(BgNbdTest, ConditionalExpectationOfANewCustomerIsTheUnconditionalOne) {
  for (double t : {0.5, 10.0, 100.0}) {
    EXPECT_LE(RelativeError(ConditionalExpectedTransactions(kCdnow, {0, 0, 0}, t),
                            ExpectedTransactions(kCdnow, t)),
              1e-14);
  }
}

// The paper's formulas divide by a - 1; the implementation must not.
TEST(BgNbdTest, ExpectationsAreContinuousAtAEqualsOne) {
  const CustomerSummary s{.x = 4, .t_x = 20, .T = 30};
  BgNbdParams at_one = kCdnow;
  at_one.a = 1.0;
  BgNbdParams below = at_one, above = at_one;
  below.a -= 1e-7;
  above.a += 1e-7;
  const double e = ConditionalExpectedTransactions(at_one, s, 52);
  ASSERT_TRUE(std::isfinite(e));
  EXPECT_NEAR(e, ConditionalExpectedTransactions(below, s, 52), 1e-6 * e);
  EXPECT_NEAR(e, ConditionalExpectedTransactions(above, s, 52), 1e-6 * e);
  const double u = ExpectedTransactions(at_one, 52);
  ASSERT_TRUE(std::isfinite(u));
  EXPECT_NEAR(u, ExpectedTransactions(below, 52), 1e-6 * u);
}

TEST(BgNbdTest, ExpectationsGrowWithTheHorizon) {
  const CustomerSummary s{.x = 3, .t_x = 30, .T = 39};
  EXPECT_EQ(ConditionalExpectedTransactions(kCdnow, s, 0), 0.0);
  EXPECT_EQ(ExpectedTransactions(kCdnow, 0), 0.0);
  double previous = 0;
  for (double t = 1; t <= 4096; t *= 2) {
    const double e = ConditionalExpectedTransactions(kCdnow, s, t);
    EXPECT_GT(e, previous) << t;
    previous = e;
  }
}

// Customers with thousands of purchases: everything finite, in range, and where the
// customer is clearly alive (t_x = T) the expectation is about their rate times t.
TEST(BgNbdTest, StaysFiniteForLargeX) {
  for (int64_t x : {1000, 5000, 20000, 1000000}) {
    for (double t_x : {1.0, 20.0, 39.0}) {
      const CustomerSummary s{.x = x, .t_x = t_x, .T = 39};
      SCOPED_TRACE(testing::Message() << "x=" << x << " t_x=" << t_x);
      const double ll = LogLikelihood(kCdnow, s);
      const double p = ProbabilityAlive(kCdnow, s);
      const double e = ConditionalExpectedTransactions(kCdnow, s, 52);
      EXPECT_TRUE(std::isfinite(ll));
      EXPECT_TRUE(p >= 0 && p <= 1) << p;
      EXPECT_TRUE(std::isfinite(e) && e >= 0) << e;
      const std::vector<CustomerSummary> one = {s};
      EXPECT_DOUBLE_EQ(TotalLogLikelihood(kCdnow, one), ll);
    }
  }
  const CustomerSummary alive{.x = 5000, .t_x = 39, .T = 39};
  EXPECT_GT(ProbabilityAlive(kCdnow, alive), 0.99);
  const double rate = 5000 / (kCdnow.alpha + 39);  // the posterior mean of lambda, roughly
  EXPECT_NEAR(ConditionalExpectedTransactions(kCdnow, alive, 1), rate, 0.01 * rate);
}

TEST(BgNbdTest, TotalLogLikelihoodSumsIndividualsAndGroups) {
  const std::vector<CustomerSummary> customers = {
      {0, 0, 38.86}, {2, 30.43, 38.86}, {2, 30.43, 38.86}, {26, 30.857143, 31}, {1, 1.71, 38.86}};
  double sum = 0;
  for (const auto& s : customers) sum += LogLikelihood(kCdnow, s);
  EXPECT_NEAR(TotalLogLikelihood(kCdnow, customers), sum, 1e-12 * std::fabs(sum));
  const std::vector<SummaryGroup> groups = {
      {{0, 0, 38.86}, 1}, {{2, 30.43, 38.86}, 2}, {{26, 30.857143, 31}, 1}, {{1, 1.71, 38.86}, 1}};
  EXPECT_NEAR(TotalLogLikelihood(kCdnow, groups), sum, 1e-12 * std::fabs(sum));
}

TEST(BgNbdTest, InvalidInputsGiveNaN) {
  const CustomerSummary ok{.x = 1, .t_x = 2, .T = 3};
  BgNbdParams bad = kCdnow;
  bad.alpha = -1;
  EXPECT_TRUE(std::isnan(LogLikelihood(bad, ok)));
  EXPECT_TRUE(std::isnan(ProbabilityAlive(bad, ok)));
  EXPECT_TRUE(std::isnan(ExpectedTransactions(bad, 1)));
  EXPECT_TRUE(std::isnan(LogLikelihood(kCdnow, {1, 4, 3})));   // t_x > T
  EXPECT_TRUE(std::isnan(LogLikelihood(kCdnow, {0, 1, 3})));   // t_x > 0 without repeats
  EXPECT_TRUE(std::isnan(LogLikelihood(kCdnow, {-1, 0, 3})));  // negative x
  EXPECT_TRUE(std::isnan(ConditionalExpectedTransactions(kCdnow, ok, -1)));
  const std::vector<CustomerSummary> with_bad = {ok, {1, 4, 3}};
  EXPECT_TRUE(std::isnan(TotalLogLikelihood(kCdnow, with_bad)));
}

// Monte Carlo check of equation (9), independent of the algebra: the mean number of
// repeat purchases of simulated new customers in (0, t].
TEST(BgNbdTest, ExpectedTransactionsMatchesSimulation) {
  constexpr int kCustomers = 200000;
  constexpr double kHorizon = 39;
  churn_test::BgNbdSimulator sim(kCdnow, /*seed=*/7);
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < kCustomers; ++i) {
    const auto x = static_cast<double>(sim.Next(kHorizon).x);
    sum += x;
    sum_sq += x * x;
  }
  const double mean = sum / kCustomers;
  const double standard_error = std::sqrt((sum_sq / kCustomers - mean * mean) / kCustomers);
  EXPECT_NEAR(mean, ExpectedTransactions(kCdnow, kHorizon), 4 * standard_error);
}

}  // namespace
}  // namespace processors::churn
