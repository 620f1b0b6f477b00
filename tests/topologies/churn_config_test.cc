// The churn and timer keys of the config, and ChurnModels: loading the model files at
// start-up and reloading them when they change.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/testutil/files.h"
#include "tests/testutil/temp_dir.h"
#include "topologies/churn_models.h"
#include "topologies/config.h"

namespace topologies {
namespace {

constexpr char kModel[] =
    R"({"model":"bgnbd","r":0.24,"alpha":4.4,"a":0.79,"b":2.4,"time_unit":"weeks"})";

TEST(ChurnConfigTest, ParsesTheChurnSectionAndTurnsChurnOn) {
  const ConfigLoad load = LoadConfigText(
      "churn:\n  model_file: m.json\n  inactivity_half_life_ms: 86400000\n  medium: 0.4\n"
      "  high: 0.9\n  hysteresis: 0.1\noutput:\n  churn_risk_topic: risk\n"
      "  segment_changes_format: segment_audience\nprocessing:\n  silence_horizon_ms: 0\n");
  ASSERT_TRUE(load.ok()) << load.errors[0].message;
  const Config& c = load.config;
  EXPECT_TRUE(ChurnEnabled(c));
  EXPECT_EQ(c.churn.model_file, "m.json");
  EXPECT_EQ(c.churn.inactivity_half_life_ms, 86400000);
  EXPECT_DOUBLE_EQ(c.churn.high, 0.9);
  EXPECT_EQ(c.output.churn_risk_topic, "risk");
  EXPECT_EQ(c.output.segment_changes_format, SegmentChangeFormat::kSegmentAudience);
  EXPECT_EQ(c.processing.silence_horizon_ms, 0);
  EXPECT_FALSE(ChurnEnabled(LoadConfigText("application_id: x\n").config));
}

TEST(ChurnConfigTest, BadChurnValuesAreErrorsWithPositions) {
  const ConfigLoad load = LoadConfigText(
      "churn:\n  medium: 0.9\n  high: 0.5\n  hysteresis: 2\n  inactivity_half_life_ms: 0\n"
      "  p_alive_weight: 0.5\noutput:\n  segment_changes_format: audience\n");
  std::string all;
  for (const ConfigError& e : load.errors) all += FormatConfigError("c.yaml", e) + "\n";
  EXPECT_NE(all.find("c.yaml:2:3: churn.high (0.5) must be above churn.medium (0.9)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("c.yaml:4:15: must be between 0 and 0.5, got 2"), std::string::npos) << all;
  EXPECT_NE(all.find("c.yaml:5:28:"), std::string::npos) << all;
  EXPECT_NE(all.find("c.yaml:6:3: unknown key 'churn.p_alive_weight'"), std::string::npos) << all;
  EXPECT_NE(all.find("c.yaml:8:27: output.segment_changes_format must be engaged or "
                     "segment_audience, got 'audience'"),
            std::string::npos)
      << all;
  EXPECT_EQ(load.errors.size(), 5u) << all;
}

TEST(ChurnModelsTest, AMissingOrBrokenModelFileIsAnErrorNamingIt) {
  testutil::TempDir dir;
  processors::churn::ChurnOptions o;
  o.model_file = dir.File("missing.json");
  auto missing = ChurnModels::Load(o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing.json"), std::string::npos);
  testutil::WriteFile(dir.File("bad.json"), R"({"model":"bgnbd","r":1})");
  o.model_file = dir.File("bad.json");
  auto bad = ChurnModels::Load(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.json: model member \"alpha\""), std::string::npos)
      << bad.status().message();
}

TEST(ChurnModelsTest, ReloadsAChangedFileAndKeepsTheOldModelOnABadOne) {
  testutil::TempDir dir;
  const std::string path = dir.File("model.json");
  testutil::WriteFile(path, kModel);
  processors::churn::ChurnOptions o;
  o.model_file = path;
  auto models = ChurnModels::Load(o);
  ASSERT_TRUE(models.ok()) << models.status().ToString();
  EXPECT_DOUBLE_EQ((*models)->scorer().purchases()->params.r, 0.24);
  EXPECT_FALSE(*(*models)->ReloadChanged()) << "unchanged";

  // A nightly fit replaces the file (a different size, so no mtime granularity issue).
  testutil::WriteFile(path, R"({"model":"bgnbd","r":0.5,"alpha":4.4,"a":0.79,"b":2.4,)"
                            R"("time_unit":"weeks","fitted_at":"2026-11-25T00:00:00Z"})");
  auto reloaded = (*models)->ReloadChanged();
  ASSERT_TRUE(reloaded.ok());
  EXPECT_TRUE(*reloaded);
  EXPECT_DOUBLE_EQ((*models)->scorer().purchases()->params.r, 0.5);

  testutil::WriteFile(path, "{ truncated");
  EXPECT_FALSE((*models)->ReloadChanged().ok());
  EXPECT_DOUBLE_EQ((*models)->scorer().purchases()->params.r, 0.5) << "the old model stays";
  EXPECT_FALSE(*(*models)->ReloadChanged()) << "a bad file is reported once per change";
}

}  // namespace
}  // namespace topologies
