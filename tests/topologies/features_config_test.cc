// The `features:` section of the config (topologies/config.cc, Loader::Features).

#include <gtest/gtest.h>

#include "topologies/config.h"

namespace topologies {
namespace {

TEST(FeaturesConfigTest, DefaultsWhenAbsent) {
  const ConfigLoad load = LoadConfigText("application_id: x\n");
  ASSERT_TRUE(load.ok());
  const auto& f = load.config.features;
  EXPECT_EQ(f.half_lives_days, (std::vector<int64_t>{7, 30}));
  EXPECT_EQ(f.session_gap_ms, 1800000);
  EXPECT_EQ(f.score.half_life_days, 30);
  EXPECT_FALSE(f.rfm.quantiles);
}

TEST(FeaturesConfigTest, ParsesEveryKey) {
  const ConfigLoad load = LoadConfigText(R"(
features:
  half_lives_days: [1, 14, 90]
  session_gap_ms: 600000
  conversion_types: [purchase, checkout]
  score:
    half_life_days: 14
    weights: {emotional: 2, contextual: 1, convenience: 0.5, social: 0}
    saturation: {emotional: 3, contextual: 10, convenience: 4, social: 2.5}
    type_weights: {page_view: 0.5, custom: 1}
  rfm:
    quantiles: true
    min_samples: 500
    recency_days: [3, 10, 30, 60]
    frequency: [2, 4, 8, 16]
    monetary: [10, 20.5, 40, 80]
)");
  ASSERT_TRUE(load.ok()) << load.errors[0].message;
  const auto& f = load.config.features;
  EXPECT_EQ(f.half_lives_days, (std::vector<int64_t>{1, 14, 90}));
  EXPECT_EQ(f.session_gap_ms, 600000);
  EXPECT_EQ(f.conversion_types,
            (std::vector<processors::EventType>{processors::EventType::kPurchase,
                                                processors::EventType::kCheckout}));
  EXPECT_EQ(f.score.half_life_days, 14);
  EXPECT_EQ(f.score.weights, (std::array<double, 4>{2, 1, 0.5, 0}));
  EXPECT_EQ(f.score.saturation, (std::array<double, 4>{3, 10, 4, 2.5}));
  EXPECT_EQ(f.score.type_weights[static_cast<int>(processors::EventType::kPageView)], 0.5);
  EXPECT_EQ(f.score.type_weights[static_cast<int>(processors::EventType::kCustom)], 1);
  EXPECT_EQ(f.score.type_weights[static_cast<int>(processors::EventType::kPurchase)], 3);
  EXPECT_TRUE(f.rfm.quantiles);
  EXPECT_EQ(f.rfm.min_samples, 500);
  EXPECT_EQ(f.rfm.monetary, (processors::CutPoints{10, 20.5, 40, 80}));
}

TEST(FeaturesConfigTest, ReportsBadValuesWithPositions) {
  const ConfigLoad load = LoadConfigText(R"(features:
  half_lives_days: [7, 7, 1, 2, 3]
  conversion_types: [purchase, bogus]
  score:
    half_life_days: 45
    saturation: {social: 0}
    colour: red
  rfm:
    frequency: [5, 3, 8, 9]
)");
  ASSERT_FALSE(load.ok());
  std::string all;
  for (const auto& e : load.errors) all += std::to_string(e.line) + ": " + e.message + "\n";
  EXPECT_NE(all.find("2: 'features.half_lives_days' must be a list of 1 to 4"), std::string::npos)
      << all;
  EXPECT_NE(all.find("3: 'bogus' is not a canonical event type"), std::string::npos) << all;
  EXPECT_NE(all.find("6: must be above 0"), std::string::npos) << all;
  EXPECT_NE(all.find("7: unknown key 'features.score.colour'"), std::string::npos) << all;
  EXPECT_NE(all.find("9: cut points must be ascending"), std::string::npos) << all;
  EXPECT_NE(all.find("features.score.half_life_days (45) must be one of"), std::string::npos)
      << all;
}

TEST(FeaturesConfigTest, RejectsRepeatedHalfLives) {
  const ConfigLoad load = LoadConfigText("features:\n  half_lives_days: [30, 30]\n");
  ASSERT_FALSE(load.ok());
  EXPECT_NE(load.errors[0].message.find("listed twice"), std::string::npos);
}

TEST(FeaturesConfigTest, KnownKeysListTheSection) {
  const auto keys = KnownConfigKeys();
  for (const char* k : {"features.half_lives_days", "features.session_gap_ms",
                        "features.score.weights.social", "features.rfm.monetary"}) {
    EXPECT_NE(std::find(keys.begin(), keys.end(), k), keys.end()) << k;
  }
}

}  // namespace
}  // namespace topologies
