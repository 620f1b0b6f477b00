// Property test: random token soups and random mutations of valid expressions never
// crash the compiler; every result is either a program or an error positioned within
// the text. Seeded, so a failure reproduces.

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>

#include "processors/rules/expr_parser.h"

namespace processors::rules {
namespace {

constexpr uint32_t kSeed = 20261124;
constexpr int kSoups = 20000;
constexpr int kMutations = 20000;

constexpr std::array<const char*, 32> kPieces = {"events_total",
                                                 "active_days",
                                                 "days_since",
                                                 "last_seen",
                                                 "(",
                                                 ")",
                                                 "(",
                                                 ")",
                                                 "+",
                                                 "-",
                                                 "*",
                                                 "/",
                                                 "<",
                                                 "<=",
                                                 ">",
                                                 ">=",
                                                 "==",
                                                 "!=",
                                                 "and",
                                                 "or",
                                                 "not",
                                                 "3",
                                                 "0.5",
                                                 "1e3",
                                                 "=",
                                                 "!",
                                                 "#",
                                                 "x",
                                                 ".",
                                                 "bogus",
                                                 ",",
                                                 " "};

constexpr std::array<const char*, 6> kValid = {
    "events_total >= 3",
    "days_since(last_seen) > 30 and events_total > 1",
    "not (active_days >= 2 or events_total / active_days < 1.5)",
    "-(events_total - 2) * 3 <= -1e1",
    "days_since(first_seen) <= 7 and not days_since(last_seen) > 1",
    "(events_total + active_days) / 2 != 4 or events_total == 0",
};

// Compiles `text` and checks the property; returns whether it compiled.
bool Check(const FeatureCatalog& catalog, const std::string& text) {
  const Compiled c = Compile(text, catalog);
  if (c.ok()) {
    EXPECT_FALSE(c.program.code().empty()) << text;
    state::CustomerState s;
    (void)c.program.Run(catalog, s, state::TimeMs(0));  // must not crash either
    return true;
  }
  EXPECT_LE(c.error->offset, text.size()) << text;
  EXPECT_FALSE(c.error->message.empty()) << text;
  if (!c.error->token.empty()) {
    EXPECT_EQ(text.compare(c.error->offset, c.error->token.size(), c.error->token), 0)
        << "the token must be the text at the offset: " << text;
  }
  return false;
}

TEST(ExprFuzzTest, RandomTokenSoupsGiveAProgramOrAPositionedError) {
  const FeatureCatalog catalog{FeatureOptions{}};
  std::mt19937 rng(kSeed);
  int compiled = 0;
  for (int i = 0; i < kSoups; ++i) {
    std::string text;
    const int n = static_cast<int>(rng() % 24);
    for (int j = 0; j < n; ++j) {
      text += kPieces[rng() % kPieces.size()];
      if (rng() % 2 == 0) text += ' ';
    }
    compiled += Check(catalog, text) ? 1 : 0;
  }
  // Most soups are malformed, but the generator does reach valid programs too.
  EXPECT_GT(compiled, 0);
  EXPECT_LT(compiled, kSoups / 2);
}

TEST(ExprFuzzTest, RandomMutationsOfValidExpressions) {
  const FeatureCatalog catalog{FeatureOptions{}};
  for (const char* v : kValid) ASSERT_TRUE(Compile(v, catalog).ok()) << v;
  std::mt19937 rng(kSeed + 1);
  int failed = 0;
  for (int i = 0; i < kMutations; ++i) {
    std::string text = kValid[rng() % kValid.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t at = text.empty() ? 0 : rng() % text.size();
      switch (rng() % 4) {
        case 0:  // delete a character
          if (!text.empty()) text.erase(at, 1);
          break;
        case 1:  // insert a random byte, including non-ASCII and control bytes
          text.insert(at, 1, static_cast<char>(rng() % 256));
          break;
        case 2:  // insert a piece
          text.insert(at, kPieces[rng() % kPieces.size()]);
          break;
        default:  // truncate
          text.resize(at);
          break;
      }
    }
    failed += Check(catalog, text) ? 0 : 1;
  }
  EXPECT_GT(failed, kMutations / 4);  // the mutations do break most expressions
}

}  // namespace
}  // namespace processors::rules
